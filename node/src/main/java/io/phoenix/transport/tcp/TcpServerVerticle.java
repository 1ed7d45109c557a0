package io.phoenix.transport.tcp;

import io.netty.channel.Channel;
import io.phoenix.session.Connection;
import io.phoenix.session.Session;
import io.phoenix.session.SessionServices;
import io.phoenix.transport.ChannelSocket;
import io.phoenix.transport.Listener;
import io.phoenix.transport.TransportVerticle;
import io.vertx.core.Future;

/**
 * Serves TCP clients: each connection gets a {@link ChannelSocket}, a {@link TcpConnection} (its
 * varint frame decoder and its writes) and a {@link Session}. Several instances share one
 * {@link Listener}, one instance per event loop; each instance's connections live on its event
 * loop.
 *
 * <p>Runs on its event loop.
 */
public final class TcpServerVerticle extends TransportVerticle implements Listener.Member {
  private final Listener listener;

  public TcpServerVerticle(SessionServices services, Listener listener) {
    super(services);
    this.listener = listener;
  }

  @Override
  protected Future<?> listen() {
    return listener.join(this);
  }

  @Override
  public int actualPort() {
    return listener.port();
  }

  @Override
  public void accepted(Channel channel) {
    channel.pipeline().addLast(
        new ChannelSocket(channel, context, new TcpConnection(context, this)));
  }

  int maxFrameBytes() {
    return services.limits().maxFrameBytes();
  }

  /** {@link #open(Connection)} for this package's connections. */
  Session open(TcpConnection connection) {
    return open((Connection) connection);
  }

  /** {@link #closed(Session)} for this package's connections. */
  void connectionClosed(Session session) {
    closed(session);
  }

  @Override
  public Future<?> stop() {
    for (Connection c : connections()) {
      ((TcpConnection) c).abort();
    }
    return listener.leave(this).compose(v -> super.stop());
  }
}
