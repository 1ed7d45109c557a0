package io.phoenix.stream.log;

import java.util.List;

/**
 * The durable side of the stream store (PROTOCOL.md §9): message bodies and each stream's head
 * and acknowledged positions, kept in a database so that they outlive a restart of every node.
 * Offsets are assigned elsewhere (the cluster's stream index); the log writes and reads what it
 * is given.
 *
 * <p>Rules every implementation MUST keep (the contract tests check them):
 * <ol>
 *   <li>{@link #commit} is atomic and durable: when it returns, every entry and row it was given
 *       survives a crash of the process and of the machine's power; when it throws, the caller
 *       may give the same entries again.</li>
 *   <li>Writing an entry that is already stored (same stream, offset and message_id) again
 *       leaves one copy (a retry, another node writing an unwritten message below its own).
 *       An entry whose offset holds <em>another</em> message is not written, and {@link #commit}
 *       returns it (the rest of the commit is written): the offset was given twice, which
 *       happens when the cluster lost a stream's memory (both copies of its bucket) while a
 *       node's commit of that offset still waited, and read the stream back from the database
 *       without that offset. The first message written there keeps it; the caller gives the
 *       other one a new offset. Of two entries of one commit with the same offset, the first
 *       given is written.</li>
 *   <li>A stream row's head, DELIVERED and READ only move forward: a commit raises each to at
 *       least the value given (a value below the stored one is ignored).</li>
 *   <li>Reads see every commit that returned before they started.</li>
 *   <li>Every method blocks its caller: call from the store's own threads, never from an event
 *       loop. Methods may be called from several threads at once.</li>
 * </ol>
 */
public interface MessageLog extends AutoCloseable {

  /** One stored message: its stream, offset, dedupe id, type, time of acceptance and bytes. */
  record Entry(String from, String to, long offset, String messageId, int type, long acceptedAt,
      byte[] body) {

    /**
     * One entry per stream offset, the first given (rule 2): a later one of the same offset
     * with another message_id is added to {@code displaced}, one with the same is left out (it
     * is the same message).
     */
    public static List<Entry> firstPerOffset(List<Entry> entries, List<Entry> displaced) {
      if (entries.size() < 2) {
        return entries;
      }
      java.util.Map<OffsetKey, Entry> seen = new java.util.HashMap<>(entries.size() * 2);
      List<Entry> out = new java.util.ArrayList<>(entries.size());
      for (Entry e : entries) {
        Entry first = seen.putIfAbsent(new OffsetKey(e.from(), e.to(), e.offset()), e);
        if (first == null) {
          out.add(e);
        } else if (!first.messageId().equals(e.messageId())) {
          displaced.add(e);
        }
      }
      return out;
    }

    /** A stream's offset, as a map key (the eids' hashes are cached by their strings). */
    private record OffsetKey(String from, String to, long offset) {}

    /** {@code some}, entries of {@code all} (the same objects), in the order of {@code all}. */
    public static List<Entry> inOrderOf(List<Entry> all, List<Entry> some) {
      if (some.size() < 2) {
        return some;
      }
      java.util.Set<Entry> wanted = java.util.Collections.newSetFromMap(
          new java.util.IdentityHashMap<>());
      wanted.addAll(some);
      List<Entry> out = new java.util.ArrayList<>(some.size());
      for (Entry e : all) {
        if (wanted.contains(e)) {
          out.add(e);
        }
      }
      return out;
    }
  }

  /**
   * A stream's row: head (the last offset assigned and written), the recipient's DELIVERED and
   * READ positions, and the runs of RECEIVER offsets above READ ({first, last} pairs; null in a
   * commit means "leave as stored").
   */
  record StreamRow(String from, String to, long head, long delivered, long read, long[] runs) {

    /** One row per stream, each position the highest given, the last runs given (in order). */
    public static List<StreamRow> merged(List<StreamRow> rows) {
      java.util.Map<String, StreamRow> out = new java.util.LinkedHashMap<>();
      for (StreamRow r : rows) {
        out.merge(r.from() + '\u0000' + r.to(), r, (a, b) -> new StreamRow(a.from(), a.to(),
            Math.max(a.head(), b.head()), Math.max(a.delivered(), b.delivered()),
            Math.max(a.read(), b.read()), b.runs() != null ? b.runs() : a.runs()));
      }
      return new java.util.ArrayList<>(out.values());
    }
  }

  /** A message looked up by its id: the stream it was sent on and the id. */
  record IdKey(String from, String to, String messageId) {}

  /** The store's id, created with the database and kept in it (Welcome.epoch). */
  String epoch();

  /**
   * Whether {@link #offsetsOf} waits on something slower than the local disk (a server across
   * the network): then it is called on a thread of its own, pipelined with the rest.
   */
  default boolean lookupsBlock() {
    return false;
  }

  /** The offsets of the given ids where they are stored, 0 where they are not. */
  long[] offsetsOf(List<IdKey> keys) throws LogException;

  /** The row of {@code S(from → to)}, or null when the stream was never written. */
  StreamRow stream(String from, String to) throws LogException;

  /**
   * Throws unless the database answers; after a failed {@link #commit}, also unless it takes
   * writes again (an implementation may reopen it here). The commit loop asks while it has
   * nothing to write and the store is marked unavailable.
   */
  default void check() throws LogException {
    stream("", "");
  }

  /**
   * Writes entries and raises stream rows, atomically and durably.
   *
   * @return the entries not written because their offset holds another message (rule 2), in
   *     the order given; empty (the usual case) when every entry is stored
   */
  List<Entry> commit(List<Entry> entries, List<StreamRow> rows) throws LogException;

  /**
   * Up to {@code max} stored messages of {@code S(from → to)} with {@code after < offset <
   * before}, accepted at or after {@code notBefore}, in ascending offset order.
   */
  List<Entry> read(String from, String to, long after, long before, int max, long notBefore)
      throws LogException;

  /** The rows of every stream into {@code to} whose head is beyond DELIVERED. */
  List<StreamRow> backlogInto(String to) throws LogException;

  /** Deletes up to {@code max} messages accepted before {@code cutoff}; returns how many. */
  int trimExpired(long cutoff, int max) throws LogException;

  /** What {@link #eachStream} calls with each row. */
  @FunctionalInterface
  interface StreamVisitor {
    void visit(StreamRow row) throws LogException;
  }

  /**
   * Calls {@code each} with the row of every stream, one at a time, in an order of the store's
   * own; the rows written meanwhile may or may not be seen. For {@code phoenix copy-store},
   * which reads a store no node is using.
   */
  void eachStream(StreamVisitor each) throws LogException;

  /** Whether the store holds no stream row and no message. */
  boolean isEmpty() throws LogException;

  /**
   * Makes {@code epoch} this store's epoch (Welcome.epoch), which {@link #epoch} answers from
   * now on: a copy of another store takes its epoch, so that the clients' cursors stay valid.
   *
   * @throws LogException if the store holds anything already
   */
  void adoptEpoch(String epoch) throws LogException;

  /** Bytes the database takes on disk, or -1 where the log cannot tell. */
  long bytesOnDisk();

  @Override
  void close();
}
