package io.phoenix.router;

import java.util.Objects;

/**
 * Names the stream {@code S(from → to)} (PROTOCOL.md §4): the ordered flow of stored messages
 * from one eid to another. Used as a key wherever something is kept or ordered per stream.
 *
 * <p>Immutable; thread-safe.
 *
 * @param from the sender's eid
 * @param to the recipient's eid
 */
public record StreamId(String from, String to) {

  public StreamId {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
  }

  @Override
  public String toString() {
    return from + "->" + to;
  }
}
