package io.sluice.translation.kafka;

import java.security.KeyStore;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.apache.kafka.common.security.auth.SslEngineFactory;

/**
 * Makes the TLS engines of Sluice's Kafka clients from the {@link SSLContext} that
 * {@link KafkaClientSettings#properties} built from the component's {@code tls} block (so PEM
 * files and {@code insecure_skip_verify} work as for every other Sluice client). The broker's
 * host name is checked against its certificate unless {@code insecure_skip_verify} is set.
 */
public final class SluiceSslEngineFactory implements SslEngineFactory {
  private SSLContext context;
  private boolean verifyHost = true;

  @Override
  public void configure(Map<String, ?> configs) {
    Object c = configs.get(KafkaClientSettings.SSL_CONTEXT_KEY);
    if (!(c instanceof SSLContext ctx)) {
      throw new IllegalStateException("no TLS context was given to the Kafka client");
    }
    this.context = ctx;
    this.verifyHost = !Boolean.FALSE.equals(configs.get(KafkaClientSettings.VERIFY_HOST_KEY));
  }

  @Override
  public SSLEngine createClientSslEngine(String peerHost, int peerPort, String endpointIdentification) {
    SSLEngine engine = context.createSSLEngine(peerHost, peerPort);
    engine.setUseClientMode(true);
    if (verifyHost) {
      SSLParameters params = engine.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      engine.setSSLParameters(params);
    }
    return engine;
  }

  @Override
  public SSLEngine createServerSslEngine(String peerHost, int peerPort) {
    throw new UnsupportedOperationException("Sluice's Kafka clients make client connections only");
  }

  @Override
  public boolean shouldBeRebuilt(Map<String, Object> nextConfigs) {
    return false;
  }

  @Override
  public Set<String> reconfigurableConfigs() {
    return Set.of();
  }

  @Override
  public KeyStore keystore() {
    return null;
  }

  @Override
  public KeyStore truststore() {
    return null;
  }

  @Override
  public void close() {
    // nothing held
  }
}
