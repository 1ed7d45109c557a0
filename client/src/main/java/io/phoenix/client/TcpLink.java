package io.phoenix.client;

import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.VarintFrameDecoder;
import io.phoenix.protocol.v1.Frame;
import io.vertx.core.net.NetSocket;

/**
 * A {@link Link} over TCP: each frame is preceded by its length as a varint, both ways.
 *
 * <p>Used on the client's context (the socket's).
 */
final class TcpLink implements Link {
  private final NetSocket socket;
  private String closeReason = "connection closed";

  TcpLink(NetSocket socket, int maxFrameBytes, Handler handler) {
    this.socket = socket;
    VarintFrameDecoder decoder = new VarintFrameDecoder(maxFrameBytes,
        body -> handler.frame(FrameCodec.decode(body)));
    socket.handler(chunk -> {
      try {
        decoder.feed(chunk);
      } catch (ProtocolException e) {
        closeReason = "bad frame from node: " + e.getMessage();
        socket.close();
      }
    });
    socket.exceptionHandler(e -> closeReason = "connection error: " + e.getMessage());
    socket.closeHandler(v -> handler.closed(closeReason));
  }

  @Override
  public void write(Frame frame) {
    socket.write(FrameCodec.encode(frame).delimited());
  }

  @Override
  public void close() {
    socket.close();
  }
}
