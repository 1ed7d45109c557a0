package io.phoenix.transport.tcp;

import io.phoenix.config.TlsOptions;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.VarintFrameDecoder;
import io.phoenix.session.Session;
import io.phoenix.session.SessionServices;
import io.phoenix.transport.ServerTls;
import io.phoenix.transport.TransportVerticle;
import io.vertx.core.Future;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;

/**
 * Owns the TCP listener: each connection gets a {@link VarintFrameDecoder} and a
 * {@link Session}. Several instances share the port, one per event loop. With {@code tls.tcp}
 * the listener speaks TLS; the frames inside are the same.
 *
 * <p>Runs on its event loop.
 */
public final class TcpServerVerticle extends TransportVerticle {
  private final String host;
  private final int port;
  private final TlsOptions tls;
  private NetServer server;

  public TcpServerVerticle(SessionServices services, String host, int port, TlsOptions tls) {
    super(services);
    this.host = host;
    this.port = port;
    this.tls = tls;
  }

  @Override
  protected Future<?> listen() {
    NetServerOptions options = new NetServerOptions()
        .setHost(host)
        .setPort(port)
        .setTcpNoDelay(true)
        .setReuseAddress(true);
    server = vertx.createNetServer(tls.tcp() ? ServerTls.apply(options, tls) : options);
    server.connectHandler(socket -> {
      Session session = open(new TcpConnection(socket, context));
      VarintFrameDecoder decoder = new VarintFrameDecoder(services.limits().maxFrameBytes(),
          body -> session.onFrame(FrameCodec.decode(body)));
      socket.handler(chunk -> {
        try {
          decoder.feed(chunk);
        } catch (ProtocolException e) {
          session.onProtocolError(e);
        }
      });
      socket.endHandler(v -> {
        if (decoder.inFrame()) {
          session.onProtocolError(new ProtocolException(400, "connection ended inside a frame"));
        }
      });
      socket.closeHandler(v -> closed(session));
      socket.exceptionHandler(e -> { });
    });
    return server.listen();
  }

  @Override
  public int actualPort() {
    return server.actualPort();
  }
}
