package io.sluice.receiver.otlp;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Grpc;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Http;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Protocols;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

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
    JsonNode node = ctxt.readTree(p);
    if (node == null || node.isNull() || node.isMissingNode()) {
      return null;
    }
    if (!node.isObject()) {
      return (Protocols) ctxt.handleUnexpectedToken(Protocols.class, p.currentToken(), p,
          "protocols must be a map with \"grpc\" and/or \"http\"");
    }
    Grpc grpc = null;
    Http http = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode value = e.getValue();
      boolean empty = value == null || value.isNull() || value.isMissingNode();
      switch (e.getKey()) {
        case "grpc" -> grpc = empty ? Grpc.defaults() : ctxt.readTreeAsValue(value, Grpc.class);
        case "http" -> http = empty ? Http.defaults() : ctxt.readTreeAsValue(value, Http.class);
        default -> ctxt.handleUnknownProperty(p, this, Protocols.class, e.getKey());
      }
    }
    return new Protocols(grpc, http);
  }

  @Override
  public Protocols getNullValue(DeserializationContext ctxt) {
    return null;
  }
}
