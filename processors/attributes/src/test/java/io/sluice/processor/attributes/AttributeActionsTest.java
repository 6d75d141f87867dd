package io.sluice.processor.attributes;

import static io.sluice.core.testkit.TestData.attr;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AttributeActionsTest {
  private static final String SHA256_OF_ALICE = "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90";

  private static AttributeActionConfig action(String action, String key, Object value) {
    return new AttributeActionConfig(key, value, null, null, null, action, null);
  }

  private static List<KeyValue> run(List<KeyValue> in, AttributeActionConfig... actions) {
    return run(in, Map.of(), actions);
  }

  private static List<KeyValue> run(List<KeyValue> in, Map<String, String> md, AttributeActionConfig... actions) {
    assertThat(AttributeActionConfig.validateAll("actions", List.of(actions))).isEmpty();
    return AttributeActions.compile(List.of(actions)).apply(in, md);
  }

  private static Map<String, AnyValue> asMap(List<KeyValue> kvs) {
    Map<String, AnyValue> m = new LinkedHashMap<>();
    kvs.forEach(kv -> m.put(kv.getKey(), kv.getValue()));
    return m;
  }

  private static AnyValue s(String v) {
    return AnyValue.newBuilder().setStringValue(v).build();
  }

  private static AnyValue i(long v) {
    return AnyValue.newBuilder().setIntValue(v).build();
  }

  private static AnyValue d(double v) {
    return AnyValue.newBuilder().setDoubleValue(v).build();
  }

  private final List<KeyValue> base = List.of(attr("a", "1"), attr("b", 2));

  @Test
  void insertAddsOnlyAbsentKeys() {
    List<KeyValue> out = run(base, action("insert", "a", "new"), action("insert", "c", "new"));
    assertThat(asMap(out)).containsExactly(Map.entry("a", s("1")), Map.entry("b", i(2)), Map.entry("c", s("new")));
  }

  @Test
  void updateChangesOnlyPresentKeysInPlace() {
    List<KeyValue> out = run(base, action("update", "a", "new"), action("update", "c", "new"));
    assertThat(asMap(out)).containsExactly(Map.entry("a", s("new")), Map.entry("b", i(2)));
  }

  @Test
  void upsertDoesBoth() {
    List<KeyValue> out = run(base, action("upsert", "a", "new"), action("upsert", "c", "new"));
    assertThat(asMap(out)).containsExactly(Map.entry("a", s("new")), Map.entry("b", i(2)), Map.entry("c", s("new")));
  }

  @Test
  void defaultValueIsWrittenWhenTheSourceAttributeIsMissing() {
    AttributeActionConfig env = new AttributeActionConfig("env", null, "environment", null, null, "insert", null,
        "production");
    AttributeActionConfig region = new AttributeActionConfig("region", null, "a", null, null, "upsert", null, "eu");

    assertThat(asMap(run(base, env, region))).containsExactly(Map.entry("a", s("1")), Map.entry("b", i(2)),
        Map.entry("env", s("production")), Map.entry("region", s("1")));
    assertThat(asMap(run(List.of(attr("environment", "staging"), attr("env", "kept")), env)))
        .as("insert keeps a key that is there").containsEntry("env", s("kept"));
    assertThat(asMap(run(List.of(attr("environment", "staging")), env))).containsEntry("env", s("staging"));
  }

  @Test
  void defaultValueAloneIsTheValueAndFromContextFallsBackToIt() {
    AttributeActionConfig alone = new AttributeActionConfig("tier", null, null, null, null, "upsert", null, 3);
    AttributeActionConfig tenant = new AttributeActionConfig("tenant", null, null, "metadata.x-tenant", null,
        "insert", null, "unknown");

    assertThat(asMap(run(base, alone, tenant))).containsEntry("tier", i(3)).containsEntry("tenant", s("unknown"));
    assertThat(asMap(run(base, Map.of("x-tenant", "acme"), tenant))).containsEntry("tenant", s("acme"));
  }

  @Test
  void valuesKeepTheirYamlType() {
    List<KeyValue> out = run(List.of(), action("insert", "s", "x"), action("insert", "i", 42),
        action("insert", "l", 9_000_000_000L), action("insert", "d", 1.5), action("insert", "t", true),
        action("insert", "arr", List.of("x", 1)));
    Map<String, AnyValue> m = asMap(out);
    assertThat(m.get("s")).isEqualTo(s("x"));
    assertThat(m.get("i")).isEqualTo(i(42));
    assertThat(m.get("l")).isEqualTo(i(9_000_000_000L));
    assertThat(m.get("d")).isEqualTo(d(1.5));
    assertThat(m.get("t")).isEqualTo(AnyValue.newBuilder().setBoolValue(true).build());
    assertThat(m.get("arr").getArrayValue().getValuesList()).containsExactly(s("x"), i(1));
  }

  @Test
  void fromAttributeCopiesTheCurrentValueAndSkipsWhenAbsent() {
    AttributeActionConfig copyB = new AttributeActionConfig("c", null, "b", null, null, "insert", null);
    AttributeActionConfig copyMissing = new AttributeActionConfig("e", null, "zzz", null, null, "upsert", null);
    List<KeyValue> out = run(base, copyB, copyMissing);
    assertThat(asMap(out)).containsExactly(Map.entry("a", s("1")), Map.entry("b", i(2)), Map.entry("c", i(2)));
  }

  @Test
  void fromContextReadsEnvelopeMetadataIgnoringCase() {
    AttributeActionConfig tenant = new AttributeActionConfig("tenant", null, null, "metadata.X-Tenant", null,
        "insert", null);
    AttributeActionConfig bare = new AttributeActionConfig("region", null, null, "x-region", null, "insert", null);
    AttributeActionConfig auth = new AttributeActionConfig("subject", null, null, "auth.subject", null, "insert",
        null);
    List<KeyValue> out = run(base, Map.of("x-tenant", "acme", "x-region", "eu"), tenant, bare, auth);
    assertThat(asMap(out)).containsEntry("tenant", s("acme")).containsEntry("region", s("eu"))
        .doesNotContainKey("subject");
  }

  @Test
  void fromContextAuthReadsWhatTheReceiversAuthenticatorKnows() {
    AttributeActionConfig user = new AttributeActionConfig("user", null, null, "auth.username", null, "insert",
        null);
    List<KeyValue> out = run(base, Map.of("auth.username", "ann"), user);
    assertThat(asMap(out)).containsEntry("user", s("ann"));
  }

  @Test
  void deleteRemovesTheKeyAndEveryKeyMatchingThePattern() {
    List<KeyValue> in = List.of(attr("keep", "k"), attr("tmp.a", "1"), attr("x.tmp.b", "2"), attr("gone", "g"));
    List<KeyValue> out = run(in, new AttributeActionConfig("gone", null, null, null, "^tmp\\.", "delete", null));
    assertThat(asMap(out)).containsOnlyKeys("keep", "x.tmp.b");
    List<KeyValue> unanchored = run(in, new AttributeActionConfig(null, null, null, null, "tmp", "delete", null));
    assertThat(asMap(unanchored)).containsOnlyKeys("keep", "gone");
  }

  @Test
  void hashWritesTheSha256HexOfStringsAndOfOtherTypesStringForm() {
    List<KeyValue> in = List.of(attr("user", "alice"), attr("n", 42), attr("user.email", "a@b"),
        attr("owner.email", "c@d"));
    List<KeyValue> out = run(in, action("hash", "user", null), action("hash", "n", null),
        new AttributeActionConfig(null, null, null, null, "\\.email$", "hash", null));
    Map<String, AnyValue> m = asMap(out);
    assertThat(m.get("user")).isEqualTo(s(SHA256_OF_ALICE));
    assertThat(m.get("n")).isEqualTo(Values.hash(s("42")));
    assertThat(m.get("n").getStringValue()).hasSize(64);
    assertThat(m.get("user.email")).isEqualTo(Values.hash(s("a@b")));
    assertThat(m.get("owner.email")).isEqualTo(Values.hash(s("c@d")));
    assertThat(m.get("user.email")).isNotEqualTo(m.get("owner.email"));
  }

  @Test
  void extractUpsertsOneAttributePerNamedGroup() {
    List<KeyValue> in = List.of(attr("url", "https://shop.example.com:8443/cart?id=7"), attr("host", "old"));
    List<KeyValue> out = run(in, new AttributeActionConfig("url", null, null, null,
        "^(?P<scheme>[a-z]+)://(?P<host>[^/:]+)(:(?P<port>\\d+))?(?P<path>/[^?]*)", "extract", null));
    assertThat(asMap(out)).containsExactly(Map.entry("url", s("https://shop.example.com:8443/cart?id=7")),
        Map.entry("host", s("shop.example.com")), Map.entry("scheme", s("https")), Map.entry("port", s("8443")),
        Map.entry("path", s("/cart")));
  }

  @Test
  void extractDoesNothingWithoutAMatchOrAStringValue() {
    AttributeActionConfig extract = new AttributeActionConfig("url", null, null, null, "^(?P<scheme>[a-z]+)://",
        "extract", null);
    List<KeyValue> noMatch = List.of(attr("url", "not a url"));
    assertThat(run(noMatch, extract)).isSameAs(noMatch);
    List<KeyValue> notString = List.of(attr("url", 5));
    assertThat(run(notString, extract)).isSameAs(notString);
  }

  @Test
  void convertChangesTypesWhenPossible() {
    List<KeyValue> in = List.of(attr("code", "200"), attr("ratio", "0.5"), attr("n", 7),
        KeyValue.newBuilder().setKey("f").setValue(d(2.9)).build(),
        KeyValue.newBuilder().setKey("t").setValue(AnyValue.newBuilder().setBoolValue(true)).build());
    List<KeyValue> out = run(in, convert("code", "int"), convert("ratio", "double"), convert("n", "string"),
        convert("f", "int"), convert("t", "double"));
    assertThat(asMap(out)).containsExactly(Map.entry("code", i(200)), Map.entry("ratio", d(0.5)),
        Map.entry("n", s("7")), Map.entry("f", i(2)), Map.entry("t", d(1.0)));
  }

  @Test
  void convertLeavesValuesThatCannotBeConvertedUnchanged() {
    List<KeyValue> in = List.of(attr("code", "OK"), attr("ratio", "1.5d"), attr("big", "99999999999999999999"),
        attr("blank", ""));
    List<KeyValue> out = run(in, convert("code", "int"), convert("ratio", "double"), convert("big", "int"),
        convert("blank", "double"), convert("absent", "int"));
    assertThat(out).isSameAs(in);
  }

  @Test
  void actionsRunInOrder() {
    List<KeyValue> out = run(List.of(attr("code", "404")), convert("code", "int"),
        new AttributeActionConfig("status", null, "code", null, null, "insert", null), action("delete", "code", null),
        action("update", "status", 500));
    assertThat(asMap(out)).containsExactly(Map.entry("status", i(500)));
  }

  @Test
  void returnsTheSameListWhenNothingChanges() {
    assertThat(run(base, action("update", "zzz", "x"), action("delete", "zzz", null), action("insert", "a", "9"),
        action("upsert", "b", 2))).isSameAs(base);
  }

  private static AttributeActionConfig convert(String key, String type) {
    return new AttributeActionConfig(key, null, null, null, null, "convert", type);
  }
}
