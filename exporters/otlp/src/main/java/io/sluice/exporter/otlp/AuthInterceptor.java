package io.sluice.exporter.otlp;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.sluice.core.auth.HttpClientAuth;
import java.util.Locale;
import java.util.Map;

/**
 * Puts an authenticator extension's headers into every call's metadata, asking it afresh each
 * call so a token it refreshes goes out at once.
 */
final class AuthInterceptor implements ClientInterceptor {
  private final HttpClientAuth auth;
  private final String authenticator;

  AuthInterceptor(HttpClientAuth auth, String authenticator) {
    this.auth = auth;
    this.authenticator = authenticator;
  }

  @Override
  public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<A> listener, Metadata headers) {
        Map<String, String> add;
        try {
          add = auth.headers();
        } catch (RuntimeException e) {
          // The call fails as unauthenticated; the credential itself is never part of the message.
          throw Status.UNAUTHENTICATED.withDescription("authenticator '" + authenticator + "' gave no headers: "
              + e.getMessage()).withCause(e).asRuntimeException();
        }
        for (Map.Entry<String, String> h : add.entrySet()) {
          headers.put(Metadata.Key.of(h.getKey().toLowerCase(Locale.ROOT), Metadata.ASCII_STRING_MARSHALLER),
              h.getValue());
        }
        super.start(listener, headers);
      }
    };
  }
}
