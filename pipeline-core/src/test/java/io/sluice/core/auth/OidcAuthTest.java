package io.sluice.core.auth;

import static io.sluice.core.auth.AuthRefusals.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.sluice.core.ComponentKind;
import io.sluice.core.ConfigProblem;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServer;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The oidc authenticator against an issuer served by a test HTTP server, with keys made in the test. */
class OidcAuthTest {
  private final TestVertx tv = TestVertx.create();
  private final AtomicReference<JWKSet> published = new AtomicReference<>();
  private HttpServer issuerServer;
  private String issuer;
  private RSAKey rsa;
  private OidcAuthExtension oidc;

  @BeforeEach
  void issuer() throws Exception {
    rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    published.set(new JWKSet(rsa.toPublicJWK()));
    issuerServer = tv.vertx().createHttpServer().requestHandler(req -> {
      switch (req.path()) {
        case "/realm/.well-known/openid-configuration" -> req.response().putHeader("Content-Type", "application/json")
            .end("{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + issuer + "/keys\"}");
        case "/realm/keys" -> req.response().putHeader("Content-Type", "application/json")
            .end(published.get().toString());
        default -> req.response().setStatusCode(404).end();
      }
    });
    int port = issuerServer.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
    issuer = "http://127.0.0.1:" + port + "/realm";
    oidc = new OidcAuthExtension(TestContexts.context(tv.vertx(), ComponentKind.EXTENSION, "oidc"),
        new OidcAuthConfig(issuer, null, "sluice", null, "email", "groups", null));
    oidc.start().await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    oidc.shutdown().await(5, TimeUnit.SECONDS);
    issuerServer.close().await(5, TimeUnit.SECONDS);
    tv.close();
  }

  private JWTClaimsSet.Builder claims() {
    return new JWTClaimsSet.Builder().issuer(issuer).audience("sluice").subject("u-1").claim("email", "ann@example.com")
        .claim("groups", List.of("ops", "dev")).expirationTime(Date.from(Instant.now().plusSeconds(300)));
  }

  private String rsaToken(JWTClaimsSet c) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(rsa.getKeyID())
        .type(JOSEObjectType.JWT).build(), c);
    jwt.sign(new RSASSASigner(rsa));
    return jwt.serialize();
  }

  private static MultiMap bearer(String token) {
    return MultiMap.caseInsensitiveMultiMap().add("Authorization", "Bearer " + token);
  }

  @Test
  void aValidTokenIsAcceptedWithItsUserAndGroups() throws Exception {
    assertThat(oidc.authenticate(bearer(rsaToken(claims().build()))).await(10, TimeUnit.SECONDS))
        .containsEntry("username", "ann@example.com").containsEntry("groups", "ops,dev");
  }

  @Test
  void wrongAudienceIssuerExpiryOrSignatureAreRefused() throws Exception {
    assertThat(refusal(oidc.authenticate(bearer(rsaToken(claims().audience("other").build())))))
        .startsWith("the token is not valid").contains("aud");
    assertThat(refusal(oidc.authenticate(bearer(rsaToken(claims().issuer("http://evil").build())))))
        .startsWith("the token is not valid");
    assertThat(refusal(oidc.authenticate(bearer(rsaToken(claims()
        .expirationTime(Date.from(Instant.now().minusSeconds(600))).build()))))).contains("xpired");
    RSAKey impostor = new RSAKeyGenerator(2048).keyID(rsa.getKeyID()).generate();
    SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(rsa.getKeyID()).build(),
        claims().build());
    forged.sign(new RSASSASigner(impostor));
    assertThat(refusal(oidc.authenticate(bearer(forged.serialize())))).startsWith("the token is not valid");
    assertThat(refusal(oidc.authenticate(bearer("not.a.jwt")))).isEqualTo("the bearer token is not a signed JWT");
    assertThat(refusal(oidc.authenticate(MultiMap.caseInsensitiveMultiMap())))
        .isEqualTo("missing or empty authorization header");
  }

  @Test
  void aKeyTheIssuerRotatedInIsFetchedWhenATokenNamesIt() throws Exception {
    ECKey next = new ECKeyGenerator(Curve.P_256).keyID("ec-2").generate();
    published.set(new JWKSet(List.of(rsa.toPublicJWK(), next.toPublicJWK())));
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("ec-2").build(), claims().build());
    jwt.sign(new ECDSASigner(next));
    // the keys were fetched at start, just now: a fetch for the new id waits out the minimum interval
    java.lang.reflect.Field last = OidcAuthExtension.class.getDeclaredField("lastFetchNanos");
    last.setAccessible(true);
    last.setLong(oidc, System.nanoTime() - OidcAuthExtension.REFETCH_MS * 1_000_000L);

    assertThat(oidc.authenticate(bearer(jwt.serialize())).await(10, TimeUnit.SECONDS))
        .containsEntry("username", "ann@example.com");
  }

  @Test
  void configNeedsIssuerAndAudience() {
    assertThat(new OidcAuthExtensionFactory().defaultConfig().validate()).extracting(ConfigProblem::path)
        .containsExactly("issuer_url", "audience");
    assertThat(new OidcAuthConfig("ftp://x", null, null, true, null, null, null).validate())
        .extracting(ConfigProblem::path).containsExactly("issuer_url");
  }
}
