package io.phoenix.protocol;

/** Thrown by the decoders when a frame announces or has more bytes than the configured limit. */
public final class FrameTooLargeException extends ProtocolException {
  public FrameTooLargeException(long size, int limit) {
    super(Status.TOO_LARGE, "frame of " + size + " bytes exceeds max_frame_bytes " + limit);
  }
}
