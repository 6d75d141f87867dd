package io.sluice.receiver.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access token of an {@code oauth2} block, fetched with the OAuth 2.0 client credentials grant
 * as Prometheus does: a form POST to {@code token_url} with {@code grant_type=client_credentials},
 * the {@code scopes} and {@code endpoint_params}, the client id and secret as HTTP basic
 * credentials. The token is kept until a tenth of its lifetime is left, then fetched again in the
 * background; requests made meanwhile carry the old one (and the first ones none, until it has
 * come). Tokens are fetched with the client of the scrapes, never blocking an event loop.
 */
final class OAuth2Token {
  private static final Logger log = LoggerFactory.getLogger(OAuth2Token.class);
  private static final long DEFAULT_LIFETIME_MS = 3_600_000;

  private final String keyPath;
  private final String tokenUrl;
  private final String basicCredentials;
  private final String form;
  private volatile HttpClient client;
  private volatile String token;
  private volatile long refreshAtMs;
  private volatile boolean fetching;

  private OAuth2Token(String keyPath, String tokenUrl, String clientId, String clientSecret, String form) {
    this.keyPath = keyPath;
    this.tokenUrl = tokenUrl;
    this.basicCredentials = "Basic " + Base64.getEncoder().encodeToString(
        (encode(clientId) + ":" + encode(clientSecret)).getBytes(StandardCharsets.UTF_8));
    this.form = form;
  }

  /**
   * Fetches tokens with {@code client} from now on (the client of the requests the token is for,
   * which its owner closes), and fetches the first one.
   */
  void use(HttpClient client) {
    this.client = client;
    refresh();
  }

  /**
   * The token source of an {@code oauth2} block; {@code clientSecret} is the secret already read
   * from {@code client_secret_file} when that was given.
   */
  static OAuth2Token of(String keyPath, JsonNode oauth2, String clientSecret) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("grant_type", "client_credentials");
    List<String> scopes = new ArrayList<>();
    oauth2.path("scopes").forEach(s -> scopes.add(s.asText()));
    if (!scopes.isEmpty()) {
      params.put("scope", String.join(" ", scopes));
    }
    oauth2.path("endpoint_params").properties().forEach(e -> params.put(e.getKey(), e.getValue().asText()));
    StringBuilder form = new StringBuilder();
    params.forEach((k, v) -> form.append(form.length() == 0 ? "" : "&").append(encode(k)).append('=')
        .append(encode(v)));
    return new OAuth2Token(keyPath, oauth2.path("token_url").asText(""),
        oauth2.path("client_id").asText(""), clientSecret, form.toString());
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** The current token, or null before the first one arrived; starts a fetch when one is due. */
  String current() {
    if (System.currentTimeMillis() >= refreshAtMs) {
      refresh();
    }
    return token;
  }

  /** Fetches a token unless a fetch is under way; completes when it is stored (or failed). */
  Future<Void> refresh() {
    HttpClient http = client;
    if (fetching || http == null) {
      return Future.succeededFuture();
    }
    fetching = true;
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(tokenUrl)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/x-www-form-urlencoded")
        .putHeader(HttpHeaders.ACCEPT, "application/json")
        .putHeader(HttpHeaders.AUTHORIZATION, basicCredentials);
    return http.request(options)
        .compose(req -> req.send(Buffer.buffer(form)))
        .compose(resp -> resp.body().map(body -> {
          if (resp.statusCode() != 200) {
            throw new IllegalStateException("status " + resp.statusCode());
          }
          JsonObject json = new JsonObject(body);
          String accessToken = json.getString("access_token");
          if (accessToken == null || accessToken.isEmpty()) {
            throw new IllegalStateException("no access_token in the answer");
          }
          Number expiresIn = json.getNumber("expires_in");
          long lifetimeMs = expiresIn == null || expiresIn.longValue() <= 0 ? DEFAULT_LIFETIME_MS
              : expiresIn.longValue() * 1000;
          token = accessToken;
          refreshAtMs = System.currentTimeMillis() + lifetimeMs * 9 / 10;
          return (Void) null;
        }))
        .onFailure(e -> {
          // try again at the next request, at most every 10 s
          refreshAtMs = System.currentTimeMillis() + 10_000;
          log.warn("Could not fetch an OAuth 2.0 token for '{}' from '{}': {}", keyPath, tokenUrl,
              ClientSetup.reason(e));
        })
        .onComplete(ar -> fetching = false)
        .recover(e -> Future.succeededFuture());
  }
}
