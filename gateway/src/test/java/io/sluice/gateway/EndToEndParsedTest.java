package io.sluice.gateway;

/**
 * The end-to-end tests again, with a processor in gateway A that reads every item's attributes
 * (an {@code attributes} processor deleting a key no item has): the received resources are parsed
 * into messages and encoded again on the way out, and must still arrive field for field.
 */
class EndToEndParsedTest extends EndToEndTest {
  @Override
  String gatewayAConfig() {
    String config = super.gatewayAConfig()
        .replace("""
              processors:
                memory_limiter:""", """
              processors:
                attributes/reads:
                  actions:
                    - key: sluice.test.absent
                      action: delete
                memory_limiter:""")
        .replace("processors: [memory_limiter, batch]", "processors: [memory_limiter, attributes/reads, batch]");
    if (!config.contains("attributes/reads:") || !config.contains("attributes/reads, batch]")) {
      throw new IllegalStateException("gateway A's config no longer has the shape this test edits");
    }
    return config;
  }
}
