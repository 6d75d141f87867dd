package io.sluice.core.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.codec.digest.Md5Crypt;
import org.apache.commons.codec.digest.Sha2Crypt;
import org.bouncycastle.crypto.DataLengthException;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Users and password hashes in Apache's htpasswd format, one {@code user:hash} a line, checked
 * as the Collector's {@code basicauth} checks them (go-htpasswd): bcrypt ({@code $2y$},
 * {@code $2a$}, {@code $2b$}), Apache MD5 ({@code $apr1$}), MD5-crypt ({@code $1$}), SHA-256 and
 * SHA-512 crypt ({@code $5$}, {@code $6$}), {@code {SHA}}, {@code {SSHA}}, and anything else as a
 * plain-text password. DES crypt is not supported, as in go-htpasswd. Blank lines and lines
 * starting with {@code #} are skipped; a later line for the same user replaces an earlier one.
 */
final class Htpasswd {
  /** How a stored hash is checked. */
  enum Scheme {
    BCRYPT(true), APR1(true), MD5_CRYPT(true), SHA256_CRYPT(true), SHA512_CRYPT(true), SHA(false), SSHA(false),
    PLAIN(false);

    /** Slow on purpose (bcrypt, the crypt family): checked off the event loop. */
    final boolean slow;

    Scheme(boolean slow) {
      this.slow = slow;
    }

    static Scheme of(String hash) {
      if (hash.startsWith("$2y$") || hash.startsWith("$2a$") || hash.startsWith("$2b$")) {
        return BCRYPT;
      } else if (hash.startsWith("$apr1$")) {
        return APR1;
      } else if (hash.startsWith("$1$")) {
        return MD5_CRYPT;
      } else if (hash.startsWith("$5$")) {
        return SHA256_CRYPT;
      } else if (hash.startsWith("$6$")) {
        return SHA512_CRYPT;
      } else if (hash.startsWith("{SHA}")) {
        return SHA;
      } else if (hash.startsWith("{SSHA}")) {
        return SSHA;
      }
      return PLAIN;
    }
  }

  private final Map<String, String> hashes;

  private Htpasswd(Map<String, String> hashes) {
    this.hashes = hashes;
  }

  /**
   * Parses htpasswd text from several sources, later ones overriding earlier ones per user.
   *
   * @throws IllegalArgumentException naming the source and line of a malformed entry (never its hash)
   */
  static Htpasswd parse(List<Map.Entry<String, String>> sources) {
    Map<String, String> hashes = new LinkedHashMap<>();
    for (Map.Entry<String, String> source : sources) {
      String[] lines = source.getValue().split("\r?\n", -1);
      for (int i = 0; i < lines.length; i++) {
        String line = lines[i].strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        int colon = line.indexOf(':');
        if (colon <= 0 || colon == line.length() - 1) {
          throw new IllegalArgumentException(source.getKey() + " line " + (i + 1) + " is not \"user:hash\"");
        }
        hashes.put(line.substring(0, colon), line.substring(colon + 1));
      }
    }
    return new Htpasswd(hashes);
  }

  /** Number of users. */
  int size() {
    return hashes.size();
  }

  /** The scheme of the user's hash, or null for an unknown user. */
  Scheme schemeOf(String user) {
    String hash = hashes.get(user);
    return hash == null ? null : Scheme.of(hash);
  }

  /** True when the user is known and the password matches; false otherwise. May be slow: see {@link Scheme#slow}. */
  boolean matches(String user, String password) {
    String hash = hashes.get(user);
    if (hash == null) {
      return false;
    }
    byte[] pw = password.getBytes(StandardCharsets.UTF_8);
    try {
      return switch (Scheme.of(hash)) {
        case BCRYPT -> OpenBSDBCrypt.checkPassword(hash, password.toCharArray());
        case APR1 -> same(Md5Crypt.apr1Crypt(pw, hash), hash);
        case MD5_CRYPT -> same(Md5Crypt.md5Crypt(pw, hash), hash);
        case SHA256_CRYPT -> same(Sha2Crypt.sha256Crypt(pw, hash), hash);
        case SHA512_CRYPT -> same(Sha2Crypt.sha512Crypt(pw, hash), hash);
        case SHA -> same("{SHA}" + Base64.getEncoder().encodeToString(sha1(pw)), hash);
        case SSHA -> ssha(pw, hash.substring("{SSHA}".length()));
        case PLAIN -> same(password, hash);
      };
    } catch (IllegalArgumentException | DataLengthException e) {
      // a malformed hash (bad salt, bad cost, bad length) matches no password
      return false;
    }
  }

  private static boolean ssha(byte[] pw, String encoded) {
    byte[] decoded = Base64.getDecoder().decode(encoded);
    if (decoded.length <= 20) {
      return false;
    }
    byte[] digest = Arrays.copyOfRange(decoded, 0, 20);
    byte[] salt = Arrays.copyOfRange(decoded, 20, decoded.length);
    byte[] salted = Arrays.copyOf(pw, pw.length + salt.length);
    System.arraycopy(salt, 0, salted, pw.length, salt.length);
    return MessageDigest.isEqual(sha1(salted), digest);
  }

  private static byte[] sha1(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-1", e);
    }
  }

  /** Compares in time independent of where the strings differ. */
  static boolean same(String a, String b) {
    return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
