package io.phoenix.stream;

import io.phoenix.cluster.Directory;
import io.vertx.core.Future;
import java.util.List;

/**
 * The {@link Directory} kept beside the streams, in the same buckets (see
 * {@link StreamBucket}): an eid's devices live in its bucket, so that the lookups a message
 * needs travel in the same batched entry processors as the message itself. Every change and
 * lookup of an eid goes through its bucket's queue, so a lookup made after a register has
 * completed sees it.
 *
 * <p>Thread-safe; futures complete on the caller's context.
 */
public final class BucketDirectory implements Directory {
  private final StreamPipeline pipeline;
  private final int maxDevicesPerIdentity;

  /** @param maxDevicesPerIdentity devices one eid may have online at once; 0: no bound */
  public BucketDirectory(StreamPipeline pipeline, int maxDevicesPerIdentity) {
    this.pipeline = pipeline;
    this.maxDevicesPerIdentity = maxDevicesPerIdentity;
  }

  @Override
  public Future<Device> register(Device device) {
    return pipeline.register(device, maxDevicesPerIdentity);
  }

  @Override
  public Future<Void> unregister(Device device) {
    return pipeline.unregister(device);
  }

  @Override
  public Future<List<Device>> lookup(String eid) {
    return pipeline.devices(eid);
  }

  @Override
  public Future<Integer> removeNode(String node, String run, String seenBy) {
    return pipeline.removeNode(node, run, seenBy);
  }
}
