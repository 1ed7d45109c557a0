package io.phoenix.session;

import io.phoenix.cluster.Directory;
import io.phoenix.config.LimitsOptions;
import io.phoenix.metrics.NodeMetrics;
import io.phoenix.router.Fanout;
import io.phoenix.router.LocalHub;
import io.phoenix.router.Router;
import java.util.function.LongSupplier;

/**
 * What every session of a node shares: the node's id and run ({@code run}: this start of the
 * node, chosen at start; session ids begin with it, so that the devices of a run that died can
 * be told from those of the same node restarted), the store's epoch (sent in Welcome), limits,
 * authenticator, local hub, directory, fan-out, router, metrics, and the cluster's clock
 * ({@code clusterTime}, milliseconds since the epoch as the members agree on them: when a
 * session opened, see {@link Directory#openedAt}). Built once at start.
 *
 * <p>Immutable; every member is thread-safe.
 */
public record SessionServices(String nodeId, String run, String epoch, LimitsOptions limits,
    Authenticator auth, LocalHub hub, Directory directory, Fanout fanout, Router router,
    NodeMetrics metrics, LongSupplier clusterTime) {}
