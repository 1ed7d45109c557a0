package io.phoenix.stream.log;

import java.util.ArrayList;
import java.util.List;

/**
 * Copies every stream of one store into another ({@code phoenix copy-store}): each stored
 * message at its offset, with its message_id, type, time of acceptance and bytes, and each
 * stream's row (head, DELIVERED, READ, RECEIVER runs), so that a cluster on the copy goes on
 * where the node on the original stopped: the same offsets, the same duplicates detected, the
 * same positions. The copy takes the original's epoch, so that clients keep their cursors.
 *
 * <p>Commits carry whole streams (their messages, then their row, in one commit once a stream
 * fits), about {@link #BATCH} messages each. The copy may be run again into a store that an
 * earlier copy of the same store stopped in (same epoch): what is there already is left as it
 * is and the rest is written. A target that holds another store's streams is refused, and so
 * is an offset of the target that holds another message than the original's.
 *
 * <p>Blocks its caller; neither store may be used by a node meanwhile.
 */
public final class StoreCopy {
  /** Messages read and written at a time. */
  static final int BATCH = 1_000;

  private final MessageLog from;
  private final MessageLog to;
  private final Progress progress;
  private final List<MessageLog.Entry> entries = new ArrayList<>();
  private final List<MessageLog.StreamRow> rows = new ArrayList<>();
  private long streams;
  private long messages;

  /**
   * What was copied: streams and messages; {@code resumed} when the target held an earlier
   * copy of the same store.
   */
  public record Copied(long streams, long messages, boolean resumed) {}

  /** Told the figures so far after each commit. */
  @FunctionalInterface
  public interface Progress {
    void copied(long streams, long messages);
  }

  private StoreCopy(MessageLog from, MessageLog to, Progress progress) {
    this.from = from;
    this.to = to;
    this.progress = progress;
  }

  /**
   * Copies {@code from} into {@code to}.
   *
   * @throws LogException (one line) if {@code to} holds another store's streams, if an offset
   *     of {@code to} holds another message than {@code from}'s, or if either store fails
   */
  public static Copied copy(MessageLog from, MessageLog to, Progress progress)
      throws LogException {
    boolean resumed = false;
    if (!to.isEmpty()) {
      if (!to.epoch().equals(from.epoch())) {
        throw new LogException("the target store holds streams of another store (epoch "
            + to.epoch() + ", not " + from.epoch() + "): copy into an empty database");
      }
      resumed = true; // an earlier copy of this store stopped there
    } else {
      to.adoptEpoch(from.epoch());
    }
    StoreCopy c = new StoreCopy(from, to, progress);
    from.eachStream(c::stream);
    c.flush();
    return new Copied(c.streams, c.messages, resumed);
  }

  private void stream(MessageLog.StreamRow row) throws LogException {
    long after = 0;
    while (true) {
      List<MessageLog.Entry> page = from.read(row.from(), row.to(), after, Long.MAX_VALUE,
          BATCH, 0);
      if (page.isEmpty()) {
        break;
      }
      entries.addAll(page);
      after = page.get(page.size() - 1).offset();
      if (entries.size() >= BATCH) {
        flush();
      }
    }
    rows.add(row);
    streams++;
    if (rows.size() >= BATCH) {
      flush();
    }
  }

  /** Writes what is gathered: the messages first, the rows of the streams they end with them. */
  private void flush() throws LogException {
    if (entries.isEmpty() && rows.isEmpty()) {
      return;
    }
    List<MessageLog.Entry> displaced = to.commit(entries, rows);
    if (!displaced.isEmpty()) {
      MessageLog.Entry e = displaced.get(0);
      throw new LogException("offset " + e.offset() + " of " + e.from() + "->" + e.to()
          + " holds another message in the target store than " + e.messageId() + ": it was "
          + "written to after an earlier copy; copy into an empty database");
    }
    messages += entries.size();
    entries.clear();
    rows.clear();
    progress.copied(streams, messages);
  }
}
