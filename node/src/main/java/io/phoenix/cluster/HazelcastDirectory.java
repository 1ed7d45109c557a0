package io.phoenix.cluster;

import com.hazelcast.map.IMap;
import io.phoenix.util.ContextFutures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link Directory} on a Hazelcast {@link IMap} of {@link DeviceSet}s keyed by eid: changes are
 * entry processors (atomic on the owning partition), lookups are async gets from the owner (no
 * near cache, so a lookup after a register always sees it).
 *
 * <p>Thread-safe; futures complete on the calling context.
 */
public final class HazelcastDirectory implements Directory {
  /** Name of the map holding the directory. */
  public static final String MAP_NAME = "phoenix.directory";

  private final Vertx vertx;
  private final IMap<String, DeviceSet> map;

  public HazelcastDirectory(Vertx vertx, IMap<String, DeviceSet> map) {
    this.vertx = vertx;
    this.map = map;
  }

  @Override
  public Future<Device> register(Device d) {
    var processor = new DirectoryProcessors.Register(d.resource(), d.node(), d.sessionId());
    return ContextFutures.onContext(vertx, map.submitToKey(d.eid(), processor))
        .map(prev -> prev == null ? null : new Device(d.eid(), d.resource(), prev[0], prev[1]));
  }

  @Override
  public Future<Void> unregister(Device d) {
    var processor = new DirectoryProcessors.Unregister(d.resource(), d.sessionId());
    return ContextFutures.onContext(vertx, map.submitToKey(d.eid(), processor)).mapEmpty();
  }

  @Override
  public Future<List<Device>> lookup(String eid) {
    return ContextFutures.onContext(vertx, map.getAsync(eid)).map(set -> {
      if (set == null) {
        return List.of();
      }
      List<Device> out = new ArrayList<>(set.devices.size());
      for (Map.Entry<String, String[]> e : set.devices.entrySet()) {
        out.add(new Device(eid, e.getKey(), e.getValue()[0], e.getValue()[1]));
      }
      return out;
    });
  }

  @Override
  public Future<Integer> removeNode(String node) {
    // executeOnEntries has no async form: run it on a worker thread, never on an event loop.
    return vertx.executeBlocking(() -> map.executeOnEntries(new DirectoryProcessors.RemoveNode(node))
        .values().stream().mapToInt(Integer::intValue).sum(), false);
  }
}
