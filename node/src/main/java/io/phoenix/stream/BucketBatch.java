package io.phoenix.stream;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The entry processor that carries many {@link StreamOp}s to one bucket's owner and applies
 * them in order, on its partition thread: one round trip for everything a node has for the
 * bucket at that moment. Mutating batches are applied again on the backups (every change is
 * deterministic: time, node and policy travel with the batch); a batch of reads only
 * ({@link ReadBatch}) is not.
 *
 * <p>Single use: built by the caller, run once by Hazelcast.
 */
class BucketBatch implements EntryProcessor<Integer, StreamBucket, BucketBatch.Results>,
    IdentifiedDataSerializable, HazelcastInstanceAware {
  long now;
  String node = "";
  boolean keepAll;
  boolean commitMode;
  int hotWindow;
  /** Most bytes of written messages' bodies the bucket keeps (see {@link StreamBucket#trimBodies}). */
  long hotBytes = Long.MAX_VALUE;
  /** Streams the bucket keeps beyond which upkeep forgets saved ones sooner than idleMs. */
  int maxStreams = Integer.MAX_VALUE;
  long idHoldMs;
  int maxKept;
  long retentionMs;
  long maxUndelivered;
  long idleMs;
  long staleMs;
  final List<StreamOp> ops = new ArrayList<>();
  /** The member applying it (given by Hazelcast before it runs; null when run directly). */
  private transient HazelcastInstance member;
  /** While applied: streams whose appends go back for a re-check (null: none). */
  private transient java.util.Set<StreamState> deferred;

  /** The answers, one per operation, in order. */
  static final class Results implements IdentifiedDataSerializable {
    final List<OpResult> results = new ArrayList<>();

    @Override
    public int getFactoryId() {
      return StreamSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return StreamSerialization.RESULTS;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeInt(results.size());
      for (OpResult r : results) {
        r.writeTo(out);
      }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        results.add(OpResult.readFrom(in));
      }
    }
  }

  /** A batch of reads only: nothing to apply on backups. */
  static final class ReadBatch extends BucketBatch implements ReadOnly {
    @Override
    public EntryProcessor<Integer, StreamBucket, Results> getBackupProcessor() {
      return null;
    }

    @Override
    public int getClassId() {
      return StreamSerialization.READ_BATCH;
    }
  }

  StreamState.Policy policy() {
    return new StreamState.Policy(keepAll, hotWindow, idHoldMs, maxKept, retentionMs);
  }

  /** Whether appends of {@code s} in this batch go back for a re-check, in their order. */
  boolean deferred(StreamState s) {
    return deferred != null && deferred.contains(s);
  }

  @Override
  public void setHazelcastInstance(HazelcastInstance instance) {
    this.member = instance;
  }

  /**
   * Whether {@code uuid} names a member of the cluster the batch is applied in, as the applying
   * member sees it (true when it runs outside a member).
   */
  boolean isMember(String uuid) {
    if (member == null) {
      return true;
    }
    for (com.hazelcast.cluster.Member m : member.getCluster().getMembers()) {
      if (m.getUuid().toString().equals(uuid)) {
        return true;
      }
    }
    return false;
  }

  void defer(StreamState s) {
    if (deferred == null) {
      deferred = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    }
    deferred.add(s);
  }

  /** Copies the settings (not the operations) of {@code other}. */
  BucketBatch settingsOf(BucketBatch other) {
    now = other.now;
    node = other.node;
    keepAll = other.keepAll;
    commitMode = other.commitMode;
    hotWindow = other.hotWindow;
    hotBytes = other.hotBytes;
    maxStreams = other.maxStreams;
    idHoldMs = other.idHoldMs;
    maxKept = other.maxKept;
    retentionMs = other.retentionMs;
    maxUndelivered = other.maxUndelivered;
    idleMs = other.idleMs;
    staleMs = other.staleMs;
    return this;
  }

  @Override
  public Results process(Map.Entry<Integer, StreamBucket> entry) {
    StreamBucket bucket = entry.getValue();
    boolean created = bucket == null;
    if (created) {
      bucket = new StreamBucket();
    }
    Results out = new Results();
    deferred = null; // per application (Hazelcast may apply a retried batch again)
    boolean changed = false;
    for (StreamOp op : ops) {
      OpResult r = op.apply(bucket, this);
      out.results.add(r);
      changed |= !op.readOnly() && r.code != OpResult.MISSING && r.code != OpResult.RECHECK;
    }
    if (!keepAll && bucket.bodyBytes > hotBytes) {
      // a quarter below the bound, so that a bucket at its bound is not trimmed every batch
      changed |= bucket.trimBodies(hotBytes - hotBytes / 4) > 0;
    }
    if (changed && !(created && bucket.isEmpty())) { // upkeep of an absent bucket adds none
      entry.setValue(bucket);
    }
    return out;
  }

  @Override
  public int getFactoryId() {
    return StreamSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StreamSerialization.BATCH;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(now);
    out.writeString(node);
    out.writeBoolean(keepAll);
    out.writeBoolean(commitMode);
    out.writeInt(hotWindow);
    out.writeLong(hotBytes);
    out.writeInt(maxStreams);
    out.writeLong(idHoldMs);
    out.writeInt(maxKept);
    out.writeLong(retentionMs);
    out.writeLong(maxUndelivered);
    out.writeLong(idleMs);
    out.writeLong(staleMs);
    out.writeInt(ops.size());
    for (StreamOp op : ops) {
      op.writeData(out);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    now = in.readLong();
    node = in.readString();
    keepAll = in.readBoolean();
    commitMode = in.readBoolean();
    hotWindow = in.readInt();
    hotBytes = in.readLong();
    maxStreams = in.readInt();
    idHoldMs = in.readLong();
    maxKept = in.readInt();
    retentionMs = in.readLong();
    maxUndelivered = in.readLong();
    idleMs = in.readLong();
    staleMs = in.readLong();
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      ops.add(StreamOp.readData(in));
    }
  }
}
