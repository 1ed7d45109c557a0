package io.phoenix.stream;

import com.hazelcast.map.IMap;
import io.phoenix.util.ContextFutures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link StreamStore} on a Hazelcast {@link IMap} of {@link Inbox}es keyed by recipient eid.
 * Every operation is one asynchronous entry-processor call on the recipient's key: one round
 * trip to the partition owner, which applies the change to its backups before answering.
 *
 * <p>Thread-safe; futures complete on the calling context.
 */
public final class HazelcastStreamStore implements StreamStore {
  /** Name of the map holding every inbox. */
  public static final String MAP_NAME = "phoenix.inbox";

  private final Vertx vertx;
  private final IMap<String, Inbox> inboxes;
  private final long retentionMs;
  private final int maxKeptPerStream;

  public HazelcastStreamStore(Vertx vertx, IMap<String, Inbox> inboxes, long retentionMs,
      int maxKeptPerStream) {
    this.vertx = vertx;
    this.inboxes = inboxes;
    this.retentionMs = retentionMs;
    this.maxKeptPerStream = maxKeptPerStream;
  }

  @Override
  public Future<AppendResult> append(String from, String to, String messageId, int type,
      byte[] message, long now) {
    var processor = new InboxProcessors.Append(from, messageId, type, message, now, retentionMs,
        maxKeptPerStream);
    return ContextFutures.onContext(vertx, inboxes.submitToKey(to, processor)).map(r -> {
      AppendResult.Outcome outcome = r[0] == InboxProcessors.STORED ? AppendResult.Outcome.STORED
          : r[0] == InboxProcessors.DUPLICATE ? AppendResult.Outcome.DUPLICATE
          : AppendResult.Outcome.FULL;
      return new AppendResult(outcome, r[1], r[2]);
    });
  }

  @Override
  public Future<AckResult> acknowledge(String from, String to, long offset, boolean read,
      long now) {
    return ContextFutures.onContext(vertx,
        inboxes.submitToKey(to, new InboxProcessors.Ack(from, offset, read)))
        .map(r -> new AckResult(r[0] == 1, r[1], r[2], r[3], r[4] == 1, r[5] == 1));
  }

  @Override
  public Future<PullResult> pull(String from, String to, long after, int max, long now) {
    var processor = new InboxProcessors.Pull(from, after, max, now - retentionMs);
    return ContextFutures.onContext(vertx, inboxes.submitToKey(to, processor)).map(b -> {
      List<StoredMessage> messages = new ArrayList<>(b.offsets.size());
      for (int i = 0; i < b.offsets.size(); i++) {
        messages.add(new StoredMessage(b.offsets.get(i), b.messages.get(i)));
      }
      return new PullResult(messages, b.head, b.delivered, b.more);
    });
  }

  @Override
  public Future<List<StreamPosition>> unacknowledged(String to) {
    return ContextFutures.onContext(vertx,
        inboxes.submitToKey(to, new InboxProcessors.Positions())).map(list -> {
          List<StreamPosition> out = new ArrayList<>(list.from.size());
          for (int i = 0; i < list.from.size(); i++) {
            long[] p = list.positions.get(i);
            out.add(new StreamPosition(list.from.get(i), to, p[0], p[1], p[2]));
          }
          return out;
        });
  }

  @Override
  public Future<Long> trimExpired(long now) {
    // executeOnEntries has no async form: run it on a worker thread, never on an event loop.
    return vertx.executeBlocking(() -> {
      Map<String, Long> dropped = inboxes.executeOnEntries(
          new InboxProcessors.Trim(now - retentionMs));
      return dropped.values().stream().mapToLong(Long::longValue).sum();
    }, false);
  }
}
