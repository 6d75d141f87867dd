package io.sluice.exporter.prometheusremotewrite;

import io.sluice.core.testkit.Ports;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy on a loopback port of its own to a server on {@code targetPort}, which can be cut
 * off: {@link #down()} stops listening and closes every open connection, as a crashed server
 * would, so the port refuses connections until {@link #up()} listens on it again.
 */
final class TcpProxy implements AutoCloseable {
  private final Vertx vertx;
  private final int port;
  private final int targetPort;
  private final NetClient client;
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
  private volatile NetServer server;

  private TcpProxy(Vertx vertx, int port, int targetPort) {
    this.vertx = vertx;
    this.port = port;
    this.targetPort = targetPort;
    this.client = vertx.createNetClient();
  }

  static TcpProxy start(Vertx vertx, int targetPort) {
    TcpProxy proxy = new TcpProxy(vertx, Ports.freePort(), targetPort);
    proxy.up();
    return proxy;
  }

  int port() {
    return port;
  }

  void up() {
    NetServer s = vertx.createNetServer().connectHandler(in -> {
      in.pause();
      open.add(in);
      client.connect(targetPort, "127.0.0.1").onComplete(ar -> {
        if (ar.failed()) {
          open.remove(in);
          in.close();
          return;
        }
        NetSocket out = ar.result();
        open.add(out);
        in.closeHandler(v -> {
          open.remove(in);
          out.close();
        });
        out.closeHandler(v -> {
          open.remove(out);
          in.close();
        });
        in.pipeTo(out);
        out.pipeTo(in);
      });
    });
    try {
      s.listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("Proxy could not listen on port " + port, e);
    }
    server = s;
  }

  void down() {
    try {
      server.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    for (NetSocket s : open) {
      s.close();
    }
    open.clear();
  }

  @Override
  public void close() throws Exception {
    down();
    client.close().await(10, TimeUnit.SECONDS);
  }
}
