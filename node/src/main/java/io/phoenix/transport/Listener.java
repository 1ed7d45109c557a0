package io.phoenix.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening socket of the node, shared by the instances of a server verticle as Vert.x shares
 * a port between the instances of a server: it accepts on Vert.x's acceptor loop and hands each
 * connection, in turn, to an instance, registering the socket on that instance's own event loop.
 * The connection is then served there by Netty handlers the instance adds ({@link Member}), whose
 * events run on the instance's context ({@link ChannelSocket}).
 *
 * <p>Why not Vert.x's {@code NetServer} or {@code HttpServer}: every socket they accept carries
 * a queue for writes from other threads whose first chunk alone is 4.1 KB, half of an idle
 * session, and Phoenix writes only from the socket's own loop. The TCP port
 * ({@code TcpServerVerticle}) and the HTTP port ({@code HttpServerVerticle}) each have one.
 *
 * <p>Each connection holds one socket of the node's {@link ConnectionBudget} while it is open;
 * one accepted past it is refused at once: it gets the port's refusal (a Goodbye 503 on the TCP
 * port, an HTTP 503 on the HTTP port; nothing with TLS, which would need a handshake first, nor
 * past {@link ConnectionBudget#MAX_ANSWERING} refusals being written) and is closed.
 *
 * <p>Threading: {@link #join} and {@link #leave} from the instances' start and stop (any
 * thread); accepting runs on the acceptor loop.
 */
public final class Listener {
  private static final Logger log = LoggerFactory.getLogger(Listener.class);

  /** An instance that takes connections. */
  public interface Member {
    /**
     * Called on the acceptor loop before the socket is registered: adds its handlers, after
     * the listener's TLS handler when the port has TLS.
     */
    void accepted(Channel channel);
  }

  private final String name;
  private final EventLoops loops;
  private final String host;
  private final int port;
  private final SslContext tls;
  private final ConnectionBudget budget;
  /** Written to a connection refused for the budget, before it is closed; null: none. */
  private final byte[] refusal;
  /** An instance and the event loop its connections are registered on. */
  private record Joined(Member member, EventLoop loop) {}

  /** The instances taking connections; replaced, never changed, under this object's lock. */
  private volatile Joined[] members = new Joined[0];
  private final AtomicInteger turn = new AtomicInteger();
  private Channel server;
  private Future<Integer> bound;

  /**
   * @param name what the port serves, for the log ("TCP", "HTTP")
   * @param tls the server side of TLS (from {@link ServerTls#context}), or null for none
   * @param budget the client sockets of the node, shared by its listeners
   * @param refusal what a connection refused for the budget is sent before it is closed
   *     (ignored with TLS)
   */
  public Listener(String name, EventLoops loops, String host, int port, SslContext tls,
      ConnectionBudget budget, byte[] refusal) {
    this.name = name;
    this.loops = loops;
    this.host = host;
    this.port = port;
    this.tls = tls;
    this.budget = budget;
    this.refusal = tls == null ? refusal : null;
  }

  /**
   * Adds an instance; the first one binds the socket. Completes with the bound port. Call it on
   * the instance's context (from its {@code start}): its connections go on that event loop.
   */
  public synchronized Future<Integer> join(Member member) {
    EventLoop loop = loops.current();
    if (loop == null) {
      return Future.failedFuture(new IllegalStateException("the " + name
          + " listener needs a Vert.x built with Phoenix's transport (EventLoops), joined from"
          + " one of its event loops"));
    }
    Joined[] more = Arrays.copyOf(members, members.length + 1);
    more[more.length - 1] = new Joined(member, loop);
    members = more; // published whole: the acceptor never sees an empty slot
    if (bound == null) {
      bound = bind();
    }
    return bound;
  }

  /** Removes an instance; the last one closes the listening socket. */
  public synchronized Future<Void> leave(Member member) {
    members = Arrays.stream(members).filter(j -> j.member() != member).toArray(Joined[]::new);
    if (members.length > 0) {
      return Future.succeededFuture();
    }
    bound = null;
    if (server == null) { // not bound (yet): a bind under way closes what it opens
      return Future.succeededFuture();
    }
    Channel closing = server;
    server = null;
    Promise<Void> closed = Promise.promise();
    closing.close().addListener(f -> closed.complete());
    return closed.future();
  }

  /** The bound port, once bound. */
  public synchronized int port() {
    return server == null ? -1 : ((InetSocketAddress) server.localAddress()).getPort();
  }

  private Future<Integer> bind() {
    Promise<Integer> result = Promise.promise();
    Channel channel = loops.serverChannels().newChannel();
    channel.config().setOption(ChannelOption.SO_REUSEADDR, true);
    channel.config().setOption(ChannelOption.SO_BACKLOG, NetUtil.SOMAXCONN);
    channel.pipeline().addLast(new Acceptor());
    loops.acceptor().register(channel).addListener(registered -> {
      if (!registered.isSuccess()) {
        result.fail(registered.cause());
        return;
      }
      channel.bind(new InetSocketAddress(host, port)).addListener(b -> {
        if (b.isSuccess()) {
          synchronized (this) {
            if (members.length == 0) { // every instance left while binding
              channel.close();
              result.fail(new IllegalStateException("the " + name + " listener was stopped"));
              return;
            }
            server = channel;
          }
          result.complete(((InetSocketAddress) channel.localAddress()).getPort());
        } else {
          channel.close();
          result.fail(b.cause());
        }
      });
    });
    return result.future();
  }

  /** On the listening socket: gives each accepted socket to the next instance. */
  @ChannelHandler.Sharable
  private final class Acceptor extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Channel child = (Channel) msg;
      Joined next = next();
      if (next == null) {
        child.unsafe().closeForcibly();
        return;
      }
      if (!budget.hold(child, 1)) {
        budget.refused(name.toLowerCase(Locale.ROOT));
        refuse(child, next.loop());
        return;
      }
      child.config().setOption(ChannelOption.TCP_NODELAY, true);
      if (tls != null) {
        child.pipeline().addLast(tls.newHandler(child.alloc()));
      }
      next.member().accepted(child);
      next.loop().register(child).addListener(f -> {
        if (!f.isSuccess()) {
          log.debug("could not register an accepted socket: {}", f.cause().toString());
          child.unsafe().closeForcibly();
        }
      });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // e.g. too many open files: stop accepting for a second rather than fail in a busy loop
      log.warn("accepting a {} connection failed: {}; pausing accepts for 1 s", name,
          cause.toString());
      ctx.channel().config().setAutoRead(false);
      ctx.channel().eventLoop().schedule(() -> ctx.channel().config().setAutoRead(true),
          1, TimeUnit.SECONDS);
    }
  }

  /**
   * Writes the refusal, if any, to a connection past the budget and closes it; closes it at
   * once when there is none or when many refusals are being written already (each holds a
   * descriptor until it is closed).
   */
  private void refuse(Channel child, EventLoop loop) {
    if (refusal == null || !budget.answering()) {
      child.unsafe().closeForcibly();
      return;
    }
    child.pipeline().addLast(new ChannelInboundHandlerAdapter() {
      @Override
      public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(refusal))
            .addListener(ChannelFutureListener.CLOSE);
      }

      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
      }
    });
    loop.register(child).addListener(f -> {
      if (f.isSuccess()) {
        child.closeFuture().addListener(closed -> budget.answered());
      } else {
        budget.answered();
        child.unsafe().closeForcibly();
      }
    });
  }

  private Joined next() {
    Joined[] now = members;
    return now.length == 0 ? null : now[Math.floorMod(turn.getAndIncrement(), now.length)];
  }
}
