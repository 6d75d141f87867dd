package io.sluice.core.testkit;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made for one test with Bouncy Castle, never committed: a CA, and server and
 * client certificates it signs, written as PEM files. Server certificates are for
 * {@code localhost} and {@code 127.0.0.1}.
 */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** A certificate with its key, and where both are written. */
  public record Issued(X509Certificate certificate, PrivateKey key, Path certFile, Path keyFile) {
    /** The certificate's PEM. */
    public String certPem() {
      return pem(certificate);
    }

    /** The key's PEM (PKCS#8). */
    public String keyPem() {
      return pem(key);
    }
  }

  private final Path dir;
  private final Issued ca;

  private TestCertificates(Path dir, Issued ca) {
    this.dir = dir;
    this.ca = ca;
  }

  /** A new CA, its files in {@code dir}. */
  public static TestCertificates newCa(Path dir, String name) {
    try {
      KeyPair kp = keyPair();
      X500Name subject = new X500Name("CN=" + name);
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minusSeconds(60)),
          Date.from(now.plus(Duration.ofDays(2))), subject, kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      X509Certificate cert = sign(b, kp.getPrivate());
      return new TestCertificates(dir, write(dir, name, cert, kp.getPrivate()));
    } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  public Issued ca() {
    return ca;
  }

  /** A server certificate for localhost and 127.0.0.1, written as {@code <name>.crt} and {@code .key}. */
  public Issued server(String name) {
    return issue(name, true);
  }

  /** A client certificate, written as {@code <name>.crt} and {@code .key}. */
  public Issued client(String name) {
    return issue(name, false);
  }

  private Issued issue(String name, boolean server) {
    try {
      KeyPair kp = keyPair();
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(),
          Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), new X500Name("CN=" + name),
          kp.getPublic());
      if (server) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
      }
      X509Certificate cert = sign(b, ca.key());
      return write(dir, name, cert, kp.getPrivate());
    } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * An SSL context trusting this CA, presenting {@code clientCert} when not null: for clients in
   * tests.
   */
  public SSLContext clientContext(Issued clientCert) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", ca.certificate());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      KeyManagerFactory kmf = null;
      if (clientCert != null) {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("client", clientCert.key(), new char[0],
            new java.security.cert.Certificate[] {clientCert.certificate(), ca.certificate()});
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Replaces {@code target}'s certificate and key files with {@code source}'s, each in one atomic move. */
  public static void install(Issued source, Issued target) {
    try {
      copyAtomically(source.certFile(), target.certFile());
      copyAtomically(source.keyFile(), target.keyFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void copyAtomically(Path from, Path to) throws IOException {
    Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
    Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
    Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(SERIAL.incrementAndGet());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer)
      throws GeneralSecurityException, org.bouncycastle.operator.OperatorCreationException {
    ContentSigner s = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
    return new JcaX509CertificateConverter().getCertificate(b.build(s));
  }

  private static Issued write(Path dir, String name, X509Certificate cert, PrivateKey key) throws IOException {
    Files.createDirectories(dir);
    Path certFile = dir.resolve(name + ".crt");
    Path keyFile = dir.resolve(name + ".key");
    Files.writeString(certFile, pem(cert), StandardCharsets.US_ASCII);
    Files.writeString(keyFile, pem(key), StandardCharsets.US_ASCII);
    return new Issued(cert, key, certFile, keyFile);
  }

  private static String pem(Object o) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o instanceof PrivateKey k ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null) : o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }
}
