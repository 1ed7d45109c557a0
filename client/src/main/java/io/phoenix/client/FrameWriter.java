package io.phoenix.client;

import io.phoenix.protocol.v1.Frame;

/**
 * Where the client's parts write frames: the current session, if there is one.
 *
 * <p>Called on the client's context.
 */
@FunctionalInterface
interface FrameWriter {
  /** Writes {@code frame}; false (nothing written) while not connected. */
  boolean write(Frame frame);
}
