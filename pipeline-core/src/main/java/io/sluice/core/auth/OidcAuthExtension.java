package io.sluice.core.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.sluice.core.ComponentContext;
import io.sluice.core.Extension;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.text.ParseException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts requests bearing a JWT of the configured OpenID Connect issuer, checked with
 * nimbus-jose-jwt: the signature against the issuer's keys (JWKS, found through its discovery
 * document when the extension starts), {@code iss}, {@code aud} and the validity times
 * ({@code exp} required, 60 s of clock skew). A token signed with a key id not yet known makes
 * the extension fetch the JWKS again (at most every {@value #REFETCH_MS} ms), so a rotated
 * issuer key is picked up without a restart. The client is known by its {@code username_claim}
 * and, when set, its {@code groups_claim}.
 */
final class OidcAuthExtension implements Extension, ServerAuthenticator {
  private static final Logger LOG = LoggerFactory.getLogger(OidcAuthExtension.class);
  /** The shortest time between two fetches of the JWKS for unknown key ids. */
  static final long REFETCH_MS = 10_000;
  private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
      JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256,
      JWSAlgorithm.ES384, JWSAlgorithm.ES512);

  private final ComponentContext ctx;
  private final OidcAuthConfig config;
  private volatile HttpClient client;
  private String jwksUri;
  private volatile JWKSet keys;
  private volatile DefaultJWTProcessor<SecurityContext> processor;
  private volatile long lastFetchNanos;
  private volatile Future<Void> fetching;

  OidcAuthExtension(ComponentContext ctx, OidcAuthConfig config) {
    this.ctx = ctx;
    this.config = config;
  }

  @Override
  public Future<Void> start() {
    String discovery = config.issuerUrl().replaceAll("/+$", "") + "/.well-known/openid-configuration";
    // Everything of the start, parsing included, runs on a worker: it loads many classes.
    return ctx.vertx().executeBlocking(() -> {
      warmUp();
      client = httpClient();
      Map<String, Object> doc;
      try {
        doc = JSONObjectUtils.parse(send(discovery));
      } catch (ParseException e) {
        throw new IllegalStateException("the discovery document " + discovery + " is not JSON");
      }
      Object issuer = doc.get("issuer");
      if (!config.issuerUrl().equals(issuer)) {
        throw new IllegalStateException("the discovery document names the issuer \"" + issuer
            + "\", not issuer_url \"" + config.issuerUrl() + "\"");
      }
      if (!(doc.get("jwks_uri") instanceof String uri) || uri.isEmpty()) {
        throw new IllegalStateException("the discovery document " + discovery + " has no jwks_uri");
      }
      jwksUri = uri;
      return null;
    }, false).compose(v -> fetchKeys())
        .onSuccess(v -> LOG.info("Extension '{}' accepts JWTs of issuer '{}' ({} keys)", ctx.id(),
            config.issuerUrl(), keys.getKeys().size()))
        .recover(err -> Future.failedFuture(new IllegalStateException("Extension '" + ctx.id()
            + "' cannot load the keys of issuer '" + config.issuerUrl() + "': " + err.getMessage(), err)));
  }

  /** The JDK's HTTP client, trusting issuer_ca_path when set: the issuer's documents are few and small. */
  private HttpClient httpClient() throws Exception {
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (!config.issuerCaPath().isEmpty()) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(Path.of(config.issuerCaPath()))) {
        int i = 0;
        for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          trust.setCertificateEntry("ca-" + i++, c);
        }
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      b.sslContext(ssl);
    }
    return b.build();
  }

  /** Classes a first token of any kind would otherwise load on an event loop. */
  private static final List<String> VERIFY_CLASSES = List.of(
      "com.nimbusds.jose.crypto.RSASSAVerifier", "com.nimbusds.jose.crypto.ECDSAVerifier",
      "com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory", "com.nimbusds.jose.jwk.RSAKey",
      "com.nimbusds.jose.jwk.ECKey", "com.nimbusds.jose.jwk.OctetKeyPair", "com.nimbusds.jose.jwk.Curve",
      "com.nimbusds.jose.crypto.impl.ECDSA", "com.nimbusds.jose.crypto.impl.RSASSA",
      "com.nimbusds.jwt.proc.DefaultJWTProcessor", "com.nimbusds.jwt.SignedJWT",
      "com.nimbusds.jose.util.JSONObjectUtils", "com.nimbusds.jose.util.Base64URL");

  private static void warmUp() {
    for (String name : VERIFY_CLASSES) {
      try {
        Class.forName(name, true, OidcAuthExtension.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        // only not warmed up
      }
    }
  }

  /** GETs a document of the issuer; blocks, so only on a worker. */
  private String send(String url) throws Exception {
    HttpResponse<String> resp = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    if (resp.statusCode() != 200) {
      throw new IllegalStateException("GET " + url + " answered " + resp.statusCode());
    }
    return resp.body();
  }

  /** Fetches and parses the JWKS on a worker, and builds the processor for it; one fetch at a time. */
  private synchronized Future<Void> fetchKeys() {
    if (fetching != null) {
      return fetching;
    }
    lastFetchNanos = System.nanoTime();
    Future<Void> f = ctx.vertx().executeBlocking(() -> {
      JWKSet set;
      try {
        set = JWKSet.parse(send(jwksUri));
      } catch (ParseException e) {
        throw new IllegalStateException("the JWKS at " + jwksUri + " does not parse: " + e.getMessage());
      }
      DefaultJWTProcessor<SecurityContext> p = processorFor(set);
      keys = set;
      processor = p;
      return (Void) null;
    }, false).andThen(ar -> {
      synchronized (this) {
        fetching = null;
      }
    });
    fetching = f.isComplete() ? null : f;
    return f;
  }

  private DefaultJWTProcessor<SecurityContext> processorFor(JWKSet set) {
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, new ImmutableJWKSet<>(set)));
    p.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(
        config.ignoreAudience() ? null : Set.of(config.audience()),
        new JWTClaimsSet.Builder().issuer(config.issuerUrl()).build(),
        Set.of("exp"), null));
    return p;
  }

  @Override
  public Future<Map<String, String>> authenticate(MultiMap headers) {
    if (processor == null) {
      return Future.failedFuture(new AuthenticationException("the authenticator has not started"));
    }
    String value = headers.get(config.attribute());
    if (value == null || value.isBlank()) {
      return Future.failedFuture(new AuthenticationException("missing or empty " + config.attribute() + " header"));
    }
    if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Future.failedFuture(new AuthenticationException("the " + config.attribute()
          + " header does not carry a bearer token"));
    }
    SignedJWT jwt;
    try {
      jwt = SignedJWT.parse(value.substring(7).trim());
    } catch (ParseException e) {
      return Future.failedFuture(new AuthenticationException("the bearer token is not a signed JWT"));
    }
    String kid = jwt.getHeader().getKeyID();
    boolean unknownKey = kid != null && keys.getKeyByKeyId(kid) == null;
    if (unknownKey && System.nanoTime() - lastFetchNanos >= REFETCH_MS * 1_000_000L) {
      LOG.info("Extension '{}' fetches the issuer's keys again for the unknown key id '{}'", ctx.id(), kid);
      return fetchKeys().transform(ar -> {
        if (ar.failed()) {
          LOG.warn("Extension '{}' could not fetch the issuer's keys: {}", ctx.id(), ar.cause().getMessage());
        }
        return verify(jwt);
      });
    }
    return verify(jwt);
  }

  private Future<Map<String, String>> verify(SignedJWT jwt) {
    JWTClaimsSet claims;
    try {
      claims = processor.process(jwt, null);
    } catch (BadJOSEException | JOSEException e) {
      return Future.failedFuture(new AuthenticationException("the token is not valid: " + e.getMessage()));
    }
    Map<String, String> who = new HashMap<>();
    Object user = claims.getClaim(config.usernameClaim());
    if (user == null) {
      return Future.failedFuture(new AuthenticationException("the token has no \"" + config.usernameClaim()
          + "\" claim (username_claim)"));
    }
    who.put("username", String.valueOf(user));
    if (!config.groupsClaim().isEmpty()) {
      Object groups = claims.getClaim(config.groupsClaim());
      if (groups instanceof List<?> list) {
        who.put("groups", String.join(",", list.stream().map(String::valueOf).toList()));
      } else if (groups != null) {
        who.put("groups", String.valueOf(groups));
      }
    }
    return Future.succeededFuture(Map.copyOf(who));
  }

  @Override
  public Future<Void> shutdown() {
    client = null;
    return Future.succeededFuture();
  }
}
