package io.sluice.receiver.otlp;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Grpc;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Http;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Protocols;
import java.io.IOException;

/**
 * Binds {@code protocols} so that a protocol key that is present turns the protocol on, even when
 * it has no value: YAML {@code grpc:} is a null, and a plain record binding could not tell it from
 * a key left out. Unknown keys go through the context's usual unknown-property handling.
 */
final class ProtocolsDeserializer extends StdDeserializer<Protocols> {
  ProtocolsDeserializer() {
    super(Protocols.class);
  }

  @Override
  public Protocols deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return null;
    }
    if (p.currentToken() != JsonToken.START_OBJECT) {
      return (Protocols) ctxt.handleUnexpectedToken(Protocols.class, p.currentToken(), p,
          "protocols must be a map with \"grpc\" and/or \"http\"");
    }
    // Read straight from the parser (not through a tree) so that errors inside grpc and http keep
    // their key paths and lines.
    Grpc grpc = null;
    Http http = null;
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String key = p.currentName();
      JsonToken value = p.nextToken();
      boolean empty = value == JsonToken.VALUE_NULL;
      switch (key) {
        case "grpc" -> grpc = empty ? Grpc.defaults() : ctxt.readValue(p, Grpc.class);
        case "http" -> http = empty ? Http.defaults() : ctxt.readValue(p, Http.class);
        default -> ctxt.handleUnknownProperty(p, this, Protocols.class, key);
      }
    }
    return new Protocols(grpc, http);
  }

  @Override
  public Protocols getNullValue(DeserializationContext ctxt) {
    return null;
  }
}
