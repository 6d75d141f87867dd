package io.sluice.core.auth;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code oidc} extension's config, with the Collector's keys: requests carry a JWT
 * ({@code Authorization: Bearer <token>}) signed by one of the issuer's keys, which are found
 * through {@code <issuer_url>/.well-known/openid-configuration} and its {@code jwks_uri}.
 *
 * @param issuerUrl the issuer, as the tokens' {@code iss} claim names it; required
 * @param issuerCaPath PEM CAs to trust when fetching the issuer's documents; the JVM's when empty
 * @param audience the {@code aud} a token must include; required unless {@code ignore_audience}
 * @param ignoreAudience accept any audience
 * @param usernameClaim the claim that names the user, {@code sub} by default
 * @param groupsClaim the claim that lists the user's groups; empty for none
 * @param attribute the header that carries the token, {@code authorization} by default
 */
public record OidcAuthConfig(String issuerUrl, String issuerCaPath, String audience, Boolean ignoreAudience,
    String usernameClaim, String groupsClaim, String attribute) implements ComponentConfig {

  public OidcAuthConfig {
    issuerUrl = issuerUrl == null ? "" : issuerUrl;
    issuerCaPath = issuerCaPath == null ? "" : issuerCaPath;
    audience = audience == null ? "" : audience;
    ignoreAudience = ignoreAudience != null && ignoreAudience;
    usernameClaim = usernameClaim == null || usernameClaim.isEmpty() ? "sub" : usernameClaim;
    groupsClaim = groupsClaim == null ? "" : groupsClaim;
    attribute = attribute == null || attribute.isEmpty() ? "authorization" : attribute;
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (issuerUrl.isEmpty()) {
      problems.add(new ConfigProblem("issuer_url", "is required: the issuer whose keys sign the tokens, such as"
          + " \"https://auth.example.com/realms/telemetry\""));
    } else {
      try {
        URI u = new URI(issuerUrl);
        if (!"https".equals(u.getScheme()) && !"http".equals(u.getScheme()) || u.getHost() == null) {
          problems.add(new ConfigProblem("issuer_url", "\"" + issuerUrl + "\" is not an http(s) URL such as"
              + " \"https://auth.example.com\""));
        }
      } catch (URISyntaxException e) {
        problems.add(new ConfigProblem("issuer_url", "\"" + issuerUrl + "\" is not a URL: " + e.getReason()));
      }
    }
    if (audience.isEmpty() && !ignoreAudience) {
      problems.add(new ConfigProblem("audience", "is required: the audience (aud) the tokens are issued for;"
          + " or set ignore_audience: true"));
    }
    if (!issuerCaPath.isEmpty()) {
      try {
        if (!Files.isReadable(Path.of(issuerCaPath))) {
          problems.add(new ConfigProblem("issuer_ca_path", "\"" + issuerCaPath + "\" is not a readable PEM file"));
        }
      } catch (InvalidPathException e) {
        problems.add(new ConfigProblem("issuer_ca_path", "\"" + issuerCaPath + "\" is not a valid path"));
      }
    }
    return problems;
  }
}
