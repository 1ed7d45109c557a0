package io.phoenix.transport.ws;

import static io.phoenix.transport.ws.WebSocketFrames.BINARY;
import static io.phoenix.transport.ws.WebSocketFrames.CLOSE;
import static io.phoenix.transport.ws.WebSocketFrames.CONTINUATION;
import static io.phoenix.transport.ws.WebSocketFrames.PING;
import static io.phoenix.transport.ws.WebSocketFrames.PONG;
import static io.phoenix.transport.ws.WebSocketFrames.TEXT;

import io.phoenix.protocol.FrameTooLargeException;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.Status;
import io.vertx.core.buffer.Buffer;
import java.util.Arrays;

/**
 * Reads RFC 6455 frames from a byte stream, as they arrive in chunks of any size: joins the
 * fragments of a binary message and hands on whole messages, pings and the close frame. No
 * extension is ever negotiated, so the RSV bits must be clear. The node reads its clients'
 * frames, which must be masked and are unmasked here ({@link #ofClientFrames});
 * {@code phoenix bench} reads the node's, which must not be ({@link #ofServerFrames}).
 *
 * <p>Limits are checked from the frame headers: a message that would grow past
 * {@code maxBytes} is refused as soon as the header of the frame that crosses it has been read,
 * before its payload is received. A message is unmasked straight into the array that is handed
 * on, so each received byte is copied once.
 *
 * <p>A failure is reported once, to {@link Sink#failed}. After a violation of the framing itself
 * (close code 1002) the stream cannot be trusted and the rest is ignored. After any other
 * failure (a message too large, a text message, a message the sink refused), and after
 * {@link #skipMessages()}, the decoder goes on reading frame headers, skipping the payloads of
 * data frames, so that it still finds the client's close frame; it hands on nothing else. After a close frame the rest is ignored.
 *
 * <p>Not thread-safe: one per connection, on its event loop.
 */
public final class WebSocketFrameDecoder {

  /** What the decoder finds in the stream. */
  public interface Sink {
    /** A whole binary message, in {@code bytes[0..length)}; the array is not reused. */
    void message(byte[] bytes, int length);

    /** A ping, to be answered with a pong carrying {@code payload}. */
    void ping(byte[] payload);

    /** The client's close frame, with its payload (empty, or a code and a UTF-8 reason). */
    void close(byte[] payload);

    /**
     * The first failure: a {@link WebSocketException} for a violation of RFC 6455 (close code
     * 1002) or a text message (1003), a {@link FrameTooLargeException} for a message that would
     * grow past the limit (1009), or what {@link #message} threw.
     */
    void failed(ProtocolException e);
  }

  private static final int MAX_CONTROL_PAYLOAD = 125;

  private final int maxBytes;
  /** Whether frames must be masked (a client's) or must not be (a server's). */
  private final boolean masked;
  private final Sink sink;

  /**
   * What a message's array starts at, at most: it grows as its bytes arrive, so that a header
   * declaring a large frame costs nothing until the frame's bytes come.
   */
  static final int INITIAL_MESSAGE_BYTES = 4096;

  private final byte[] header = new byte[WebSocketFrames.MAX_HEADER];
  private int headerLength;

  // the frame whose payload is being read (inPayload)
  private boolean inPayload;
  private int opcode;
  private boolean fin;
  private int maskKey;
  /** Which byte of the mask key the payload's next byte is XORed with. */
  private int maskPhase;
  private long remaining;
  private byte[] target;
  private int targetPosition;

  // the binary message being joined from fragments (message != null)
  private byte[] message;
  private int messageLength;
  /** The message's length once the frame being read ends: {@code message} grows up to it. */
  private int messageEnd;

  /** Where {@link #feed} is in its chunk. */
  private int position;
  /** Payloads of data frames are skipped; nothing but a close frame is handed on. */
  private boolean skipping;
  private boolean done;

  private WebSocketFrameDecoder(int maxBytes, boolean masked, Sink sink) {
    this.maxBytes = maxBytes;
    this.masked = masked;
    this.sink = sink;
  }

  /** Reads what a client sends a server: every frame masked. */
  public static WebSocketFrameDecoder ofClientFrames(int maxBytes, Sink sink) {
    return new WebSocketFrameDecoder(maxBytes, true, sink);
  }

  /** Reads what a server sends a client: no frame masked. */
  public static WebSocketFrameDecoder ofServerFrames(int maxBytes, Sink sink) {
    return new WebSocketFrameDecoder(maxBytes, false, sink);
  }

  /** Consumes the next chunk of the stream; failures go to {@link Sink#failed}. */
  public void feed(Buffer chunk) {
    position = 0;
    int end = chunk.length();
    while (position < end && !done) {
      try {
        if (!inPayload) {
          readHeader(chunk, end);
          if (!inPayload) {
            return; // the rest of the header is in a later chunk
          }
        } else {
          int take = (int) Math.min(remaining, end - position);
          if (target != null && target == message && targetPosition + take > message.length) {
            // grown as bytes arrive, never to what a header merely declares
            message = Arrays.copyOf(message, Math.min(messageEnd,
                Math.max(targetPosition + take, 2 * message.length)));
            target = message;
          }
          if (target != null) {
            chunk.getBytes(position, position + take, target, targetPosition);
            if (masked) {
              maskPhase = WebSocketFrames.mask(target, targetPosition, take, maskKey,
                  maskPhase);
            }
            targetPosition += take;
          }
          position += take;
          remaining -= take;
        }
        if (inPayload && remaining == 0) {
          endFrame();
        }
      } catch (ProtocolException e) {
        fail(e);
      }
    }
  }

  private void fail(ProtocolException e) {
    message = null;
    if (e instanceof WebSocketException w && w.closeCode() == WebSocketException.PROTOCOL_ERROR) {
      done = true;
    }
    if (!skipping) {
      skipping = true;
      sink.failed(e);
    }
  }

  /**
   * From now on only the close frame is handed on: the payloads of data frames are skipped
   * without being stored (the node has sent its own close frame).
   */
  public void skipMessages() {
    skipping = true;
    message = null;
  }

  /** Reads header bytes from {@code chunk}; starts the frame once the header is complete. */
  private void readHeader(Buffer chunk, int end) {
    while (position < end && headerLength < 2) {
      header[headerLength++] = chunk.getByte(position++);
    }
    if (headerLength < 2) {
      return;
    }
    int lengthBits = header[1] & 0x7F;
    int full = 2 + (lengthBits == 126 ? 2 : lengthBits == 127 ? 8 : 0) + (masked ? 4 : 0);
    if (((header[1] & 0x80) != 0) != masked) {
      throw new WebSocketException(WebSocketException.PROTOCOL_ERROR,
          masked ? "client frames must be masked" : "server frames must not be masked");
    }
    while (position < end && headerLength < full) {
      header[headerLength++] = chunk.getByte(position++);
    }
    if (headerLength == full) {
      startFrame(lengthBits, full);
    }
  }

  private void startFrame(int lengthBits, int full) {
    int first = header[0];
    fin = (first & 0x80) != 0;
    opcode = first & 0x0F;
    long length = lengthBits;
    if (lengthBits == 126) {
      length = ((header[2] & 0xFFL) << 8) | (header[3] & 0xFFL);
    } else if (lengthBits == 127) {
      length = 0;
      for (int i = 2; i < 10; i++) {
        length = (length << 8) | (header[i] & 0xFFL);
      }
    }
    if (masked) {
      maskKey = ((header[full - 4] & 0xFF) << 24) | ((header[full - 3] & 0xFF) << 16)
          | ((header[full - 2] & 0xFF) << 8) | (header[full - 1] & 0xFF);
      maskPhase = 0;
    }
    headerLength = 0;
    // from here a refused frame's payload is skipped (target null)
    inPayload = true;
    remaining = length;
    target = null;
    targetPosition = 0;
    if ((first & 0x70) != 0) {
      throw new WebSocketException(WebSocketException.PROTOCOL_ERROR,
          "reserved bits set without an extension");
    }
    if (length < 0) {
      throw new WebSocketException(WebSocketException.PROTOCOL_ERROR,
          "frame length has its most significant bit set");
    }
    switch (opcode) {
      case BINARY, CONTINUATION -> {
        if (!skipping) {
          startData(length);
        }
      }
      case TEXT -> {
        if (!skipping) {
          throw new WebSocketException(WebSocketException.UNSUPPORTED_DATA,
              Status.BAD_REQUEST, "text messages are not frames: send binary");
        }
      }
      case CLOSE, PING, PONG -> {
        if (!fin || length > MAX_CONTROL_PAYLOAD) {
          throw new WebSocketException(WebSocketException.PROTOCOL_ERROR,
              "control frames must be whole and at most 125 bytes");
        }
        target = new byte[(int) length];
      }
      default -> throw new WebSocketException(WebSocketException.PROTOCOL_ERROR,
          "reserved opcode " + opcode);
    }
  }

  private void startData(long length) {
    boolean first = opcode == BINARY;
    if (first == (message != null)) {
      throw new WebSocketException(WebSocketException.PROTOCOL_ERROR, first
          ? "a new message started inside a fragmented one"
          : "continuation frame without a message to continue");
    }
    long size = (first ? 0 : messageLength) + length;
    if (size > maxBytes) {
      throw new FrameTooLargeException(size, maxBytes);
    }
    if (first) {
      message = new byte[(int) Math.min(length, INITIAL_MESSAGE_BYTES)];
      messageLength = 0;
    }
    messageEnd = (int) size;
    target = message;
    targetPosition = messageLength;
  }

  private void endFrame() {
    inPayload = false;
    byte[] payload = target;
    target = null;
    switch (opcode) {
      case BINARY, CONTINUATION -> {
        if (skipping) {
          return;
        }
        messageLength = targetPosition;
        if (fin) {
          byte[] whole = message;
          message = null;
          sink.message(whole, messageLength);
        }
      }
      case PING -> {
        if (!skipping) {
          sink.ping(payload);
        }
      }
      case CLOSE -> {
        done = true;
        message = null;
        sink.close(payload);
      }
      default -> { } // a pong: nothing to do
    }
  }
}
