package io.sluice.translation.kafka;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import io.sluice.core.tls.TlsClientSettings;
import java.io.IOException;

/**
 * The {@code tls} block of the kafka components, as the Collector reads it: without the block the
 * connection is plaintext; with it (even written empty, {@code tls:}) it is TLS with the given
 * settings, unless {@code insecure: true}.
 */
public final class KafkaTls {
  private KafkaTls() {}

  /** True when the connection uses TLS: a {@code tls} block without {@code insecure: true}. */
  public static boolean enabled(TlsClientSettings tls) {
    return tls != null && !tls.insecure();
  }

  /**
   * Binds the block so that an empty {@code tls:} means TLS with defaults and a missing one means
   * none (null). The config record leaves the key out of its defaults (it is null there), so the
   * user's empty value is what the binder sees.
   */
  public static final class Deserializer extends JsonDeserializer<TlsClientSettings> {
    @Override
    public TlsClientSettings deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      TlsClientSettings s = ctxt.readValue(p, TlsClientSettings.class);
      return s == null ? TlsClientSettings.defaults() : s;
    }

    @Override
    public TlsClientSettings getNullValue(DeserializationContext ctxt) {
      return TlsClientSettings.defaults();
    }

    @Override
    public Object getAbsentValue(DeserializationContext ctxt) {
      return null;
    }
  }
}
