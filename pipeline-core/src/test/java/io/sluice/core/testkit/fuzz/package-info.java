/**
 * The fuzz harness: {@link io.sluice.core.testkit.fuzz.Fuzz} runs a target's inputs from a seeded
 * random source, {@link io.sluice.core.testkit.fuzz.Mutator} makes mutants of real payloads,
 * {@link io.sluice.core.testkit.fuzz.FuzzGuard} checks the invariants of each input (only the
 * parser's own errors, a time bound, an allocation bound), and
 * {@link io.sluice.core.testkit.fuzz.SdkPayloads} gives the OpenTelemetry SDK's own requests as
 * seeds. The targets are plain JUnit tests named {@code *FuzzTest} beside the parsers they test;
 * the inputs they found are {@code *FuzzFindingsTest}s beside them. The README's "Fuzzing"
 * section lists them and tells how to run longer.
 *
 * <p>Kafka payloads: the kafka receiver's decoding of the Collector's encodings ({@code otlp_proto},
 * {@code otlp_json}, ...) is being written on its own branch. Its target goes beside that decoder
 * as {@code receivers/kafka/src/test/java/.../KafkaPayloadFuzzTest}, seeded with
 * {@link io.sluice.core.testkit.fuzz.SdkPayloads#protobuf} and
 * {@link io.sluice.core.testkit.fuzz.SdkPayloads#json}, with the invariants of the OTLP targets.
 */
package io.sluice.core.testkit.fuzz;
