package io.sluice.core.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPortTest {

  @Test
  void parsesHostAndPortWithAnEmptyHostMeaningEveryInterface() {
    assertThat(HostPort.parse("localhost:4317")).isEqualTo(new HostPort("localhost", 4317));
    assertThat(HostPort.parse(" :4318 ")).isEqualTo(new HostPort("0.0.0.0", 4318));
    assertThat(HostPort.parse("[::1]:4317")).isEqualTo(new HostPort("::1", 4317));
    assertThat(HostPort.parse("127.0.0.1:0")).isEqualTo(new HostPort("127.0.0.1", 0));
    assertThat(HostPort.parse(":4318").anyInterface()).isTrue();
    assertThat(HostPort.parse("[::]:4318").anyInterface()).isTrue();
    assertThat(HostPort.parse("localhost:4318").anyInterface()).isFalse();
  }

  @Test
  void printsIpv6HostsInBrackets() {
    assertThat(HostPort.parse("[::1]:4317")).hasToString("[::1]:4317");
    assertThat(HostPort.parse(":8888")).hasToString("0.0.0.0:8888");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''                     | is empty",
      "localhost              | \"localhost\" has no port; expected \"host:port\" such as \"localhost:4317\"",
      "[::1]                  | \"[::1]\" has no port",
      "localhost:             | \"localhost:\" has no valid port after the ':' (\"\")",
      "localhost:http         | has no valid port after the ':' (\"http\")",
      "localhost:65536        | port 65536 is out of range 0-65535",
      "::1:4317               | write an IPv6 host in brackets, such as \"[::1]:4317\"",
      "host name:4317         | has an invalid host \"host name\"",
      "http://0.0.0.0:4318    | has a scheme; a listen endpoint is \"host:port\", such as \"0.0.0.0:4318\""})
  void rejectsWhatIsNotHostColonPortSayingWhy(String endpoint, String message) {
    assertThatThrownBy(() -> HostPort.parse(endpoint))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
