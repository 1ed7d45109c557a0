package io.phoenix.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.transport.Transport;

/**
 * The transport Vert.x is built with ({@code Vertx.builder().withTransport}): Vert.x's own NIO
 * transport, unchanged, except that it remembers the event loop groups it makes for Vert.x. With
 * them a {@link Listener} (the TCP port, the HTTP port) puts each connection on the event loop
 * of a verticle's context, so that the connection's I/O and the verticle's events run on one
 * thread, without Vert.x's {@code NetSocket} and its per-socket queues.
 *
 * <p>Only Vert.x's public transport API ({@code io.vertx.core.transport} and its SPI) is used.
 *
 * <p>Threading: the groups are set once, while Vert.x starts, and read afterwards.
 */
public final class EventLoops implements Transport {
  private final io.vertx.core.spi.transport.Transport nio = Transport.NIO.implementation();
  private final Remembering implementation = new Remembering();
  private volatile EventLoopGroup io;
  private volatile EventLoopGroup acceptor;

  @Override
  public String name() {
    return Transport.NIO.name();
  }

  @Override
  public boolean available() {
    return true;
  }

  @Override
  public Throwable unavailabilityCause() {
    return null;
  }

  @Override
  public io.vertx.core.spi.transport.Transport implementation() {
    return implementation;
  }

  /** The group that accepts connections (one loop, as Vert.x's listeners use). */
  public EventLoopGroup acceptor() {
    EventLoopGroup group = acceptor;
    if (group == null) {
      throw new IllegalStateException("Vert.x was not built with this transport");
    }
    return group;
  }

  /**
   * The event loop the calling thread runs, if it is one of Vert.x's (a verticle's {@code start}
   * runs on its context's loop); null on any other thread.
   */
  public EventLoop current() {
    EventLoopGroup group = io;
    if (group == null) {
      return null;
    }
    for (EventExecutor e : group) {
      if (e.inEventLoop() && e instanceof EventLoop loop) {
        return loop;
      }
    }
    return null;
  }

  /** Makes the client sockets of connections inside the node ({@link Splice}). */
  public ChannelFactory<? extends Channel> socketChannels() {
    return nio.channelFactory(false);
  }

  /** Makes the listening sockets of the {@link Listener}s. */
  public ChannelFactory<? extends ServerChannel> serverChannels() {
    return nio.serverChannelFactory(false);
  }

  /** Vert.x's NIO transport, remembering the groups it makes. */
  private final class Remembering implements io.vertx.core.spi.transport.Transport {
    @Override
    public EventLoopGroup eventLoopGroup(int type, int threads,
        java.util.concurrent.ThreadFactory factory, int ioRatio) {
      EventLoopGroup group = nio.eventLoopGroup(type, threads, factory, ioRatio);
      if (type == IO_EVENT_LOOP_GROUP) {
        io = group;
      } else if (type == ACCEPTOR_EVENT_LOOP_GROUP) {
        acceptor = group;
      }
      return group;
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
      return nio.ioHandlerFactory();
    }

    @Override
    public boolean supportsDomainSockets() {
      return nio.supportsDomainSockets();
    }

    @Override
    public boolean supportFileRegion() {
      return nio.supportFileRegion();
    }

    @Override
    public boolean isAvailable() {
      return nio.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
      return nio.unavailabilityCause();
    }

    @Override
    public java.net.SocketAddress convert(SocketAddress address) {
      return nio.convert(address);
    }

    @Override
    public SocketAddress convert(java.net.SocketAddress address) {
      return nio.convert(address);
    }

    @Override
    public DatagramChannel datagramChannel() {
      return nio.datagramChannel();
    }

    @Override
    public DatagramChannel datagramChannel(InternetProtocolFamily family) {
      return nio.datagramChannel(family);
    }

    @Override
    public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
      return nio.channelFactory(domainSocket);
    }

    @Override
    public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
      return nio.serverChannelFactory(domainSocket);
    }

    @Override
    public void configure(DatagramChannel channel, DatagramSocketOptions options) {
      nio.configure(channel, options);
    }

    @Override
    public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket,
        io.netty.bootstrap.Bootstrap bootstrap) {
      nio.configure(options, connectTimeout, domainSocket, bootstrap);
    }

    @Override
    public void configure(NetServerOptions options, boolean domainSocket,
        io.netty.bootstrap.ServerBootstrap bootstrap) {
      nio.configure(options, domainSocket, bootstrap);
    }
  }
}
