package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Extension;
import io.sluice.core.Host;
import io.sluice.core.Signal;
import io.sluice.core.auth.BasicAuthConfig;
import io.sluice.core.auth.BasicAuthExtensionFactory;
import io.sluice.core.auth.BearerTokenAuthConfig;
import io.sluice.core.auth.BearerTokenAuthExtensionFactory;
import io.sluice.core.testkit.TestCertificates;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.tls.TlsServerSettings;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A receiver over TLS whose gRPC listener checks bearer tokens and whose HTTP listener checks
 * basic auth, reached by the OpenTelemetry SDK and by plain gRPC and HTTP clients.
 */
class OtlpAuthTest {
  private static final String TOKEN = "tok-7f3a9c";
  private static final String USER = "alice";
  private static final String PASSWORD = "wonder-land-42";

  @TempDir
  static Path dir;

  private static Vertx extensionsVertx;
  private static TestCertificates certs;
  private static RunningReceiver r;
  private static final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeAll
  static void start() throws Exception {
    ch.qos.logback.classic.Logger sluice = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.sluice");
    sluice.setLevel(Level.DEBUG);
    logs.start();
    sluice.addAppender(logs);
    certs = TestCertificates.newCa(dir, "test-ca");
    TestCertificates.Issued server = certs.server("server");
    TlsServerSettings tls = TlsServerSettings.ofFiles(server.certFile().toString(), server.keyFile().toString());

    extensionsVertx = Vertx.vertx();
    Extension bearer = new BearerTokenAuthExtensionFactory().create(
        TestContexts.context(extensionsVertx, ComponentKind.EXTENSION, "bearertokenauth/server"),
        new BearerTokenAuthConfig(null, null, null, null, List.of("other-token", TOKEN)));
    Extension basic = new BasicAuthExtensionFactory().create(
        TestContexts.context(extensionsVertx, ComponentKind.EXTENSION, "basicauth/server"),
        new BasicAuthConfig(null, new BasicAuthConfig.HtpasswdSettings(null, USER + ":" + PASSWORD)));
    bearer.start().await(10, TimeUnit.SECONDS);
    basic.start().await(10, TimeUnit.SECONDS);
    Host host = TestContexts.hostWith(Map.of(ComponentId.parse("bearertokenauth/server"), bearer,
        ComponentId.parse("basicauth/server"), basic));
    r = RunningReceiver.start(Signal.values(), g -> g.withTls(tls).withAuth("bearertokenauth/server"),
        h -> h.withTls(tls).withAuth("basicauth/server"), host);
  }

  @AfterAll
  static void stop() throws Exception {
    r.close();
    extensionsVertx.close().await(10, TimeUnit.SECONDS);
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.sluice")).detachAppender(logs);
  }

  @AfterEach
  void reset() {
    r.reset();
  }

  private static byte[] caPem() {
    return certs.ca().certPem().getBytes(StandardCharsets.US_ASCII);
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static boolean sdkGrpc(String authorization) {
    return OtlpTlsTest.export(OtlpGrpcSpanExporter.builder().setEndpoint("https://localhost:" + r.grpcPort)
        .setTrustedCertificates(caPem()).addHeader("Authorization", authorization).build()).isSuccess();
  }

  private static boolean sdkHttp(String authorization) {
    return OtlpTlsTest.export(OtlpHttpSpanExporter.builder().setEndpoint(r.httpsUrl("/v1/traces"))
        .setTrustedCertificates(caPem()).addHeader("Authorization", authorization).build()).isSuccess();
  }

  @Test
  void theSdkWithABearerTokenOverGrpcIsRefusedWithAWrongTokenAndTakenWithTheRightOne() {
    assertThat(sdkGrpc("Bearer " + TOKEN)).isTrue();
    assertThat(sdkGrpc("Bearer wrong-token")).isFalse();
    assertThat(sdkGrpc("Bearer " + TOKEN)).isTrue();
    assertThat(r.consumer(Signal.TRACES).batches()).hasSize(2);
  }

  @Test
  void theSdkWithBasicAuthOverHttpIsRefusedWithAWrongPasswordAndTakenWithTheRightOne() {
    assertThat(sdkHttp(basic(USER, PASSWORD))).isTrue();
    assertThat(sdkHttp(basic(USER, "wrong-password"))).isFalse();
    assertThat(sdkHttp(basic(USER, PASSWORD))).isTrue();
    assertThat(r.consumer(Signal.TRACES).batches()).hasSize(2);
  }

  @Test
  void theAuthenticatedUserTravelsInTheEnvelopeAndAClaimedOneIsDropped() throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(certs.clientContext(null))
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> resp = client.send(HttpRequest.newBuilder(URI.create(r.httpsUrl("/v1/traces")))
        .header("Content-Type", "application/json")
        .header("Authorization", basic(USER, PASSWORD))
        .header("auth.username", "root")
        .POST(HttpRequest.BodyPublishers.ofString(OtlpSamples.TRACES_JSON)).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(resp.statusCode()).isEqualTo(200);
    assertThat(r.consumer(Signal.TRACES).batches()).singleElement()
        .satisfies(b -> assertThat(b.envelope().metadata()).containsExactly(Map.entry("auth.username", USER)));
  }

  @Test
  void grpcAnswersUnauthenticatedWithoutQuotingTheCredential() throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", r.grpcPort)
        .sslContext(GrpcSslContexts.forClient().trustManager(certs.ca().certFile().toFile()).build()).build();
    try {
      Metadata wrong = new Metadata();
      wrong.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer secret-guess-123");
      ExportTraceServiceRequest request = ExportTraceServiceRequest.newBuilder()
          .addResourceSpans(TestData.resourceSpans("checkout", 1, 1)).build();
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> TraceServiceGrpc
          .newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(wrong)).export(request));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(e.getStatus().getDescription()).isEqualTo("unauthenticated: the token is not valid");

      StatusRuntimeException none = catchThrowableOfType(StatusRuntimeException.class, () -> TraceServiceGrpc
          .newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).export(request));
      assertThat(none.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(none.getStatus().getDescription()).contains("missing or empty Authorization header");
      assertThat(r.consumer(Signal.TRACES).batches()).isEmpty();
      assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
          .anySatisfy(m -> assertThat(m).contains("refused a request as unauthenticated"))
          .allSatisfy(m -> assertThat(m).doesNotContain("secret-guess-123"));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void httpAnswers401WithoutQuotingTheCredential() throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(certs.clientContext(null))
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> resp = client.send(HttpRequest.newBuilder(URI.create(r.httpsUrl("/v1/traces")))
        .header("Content-Type", "application/json")
        .header("Authorization", basic(USER, "guessed-pass-987"))
        .POST(HttpRequest.BodyPublishers.ofString(OtlpSamples.TRACES_JSON)).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(resp.statusCode()).isEqualTo(401);
    assertThat(resp.body()).contains("the user name or password is not valid").doesNotContain("guessed-pass-987");
    assertThat(r.consumer(Signal.TRACES).batches()).isEmpty();
    assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
        .allSatisfy(m -> assertThat(m).doesNotContain("guessed-pass-987")
            .doesNotContain(Base64.getEncoder().encodeToString((USER + ":guessed-pass-987").getBytes())));
  }
}
