package io.sluice.core.auth;

import java.util.Map;

/**
 * An extension that authenticates a component's outgoing HTTP requests ({@code basicauth},
 * {@code bearertokenauth}). A component names one with {@code auth: {authenticator: <id>}} and
 * adds its headers to every request it sends.
 */
public interface HttpClientAuth {
  /**
   * The headers to add to each request, such as {@code Authorization}. Called on the requesting
   * component's context for every request, once the extension has started; never blocks.
   *
   * @throws IllegalStateException when the extension has not started
   */
  Map<String, String> headers();
}
