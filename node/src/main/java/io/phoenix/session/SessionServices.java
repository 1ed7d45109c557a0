package io.phoenix.session;

import io.phoenix.cluster.Directory;
import io.phoenix.config.LimitsOptions;
import io.phoenix.metrics.NodeMetrics;
import io.phoenix.router.Fanout;
import io.phoenix.router.LocalHub;
import io.phoenix.router.Router;

/**
 * What every session of a node shares: the node's id and run ({@code run}: this start of the
 * node, the start of its Hazelcast member uuid; session ids begin with it, so that the devices
 * of a run that died can be told from those of the same node restarted), the store's epoch
 * (sent in Welcome), limits, authenticator, local hub, directory, fan-out, router and metrics.
 * Built once at start.
 *
 * <p>Immutable; every member is thread-safe.
 */
public record SessionServices(String nodeId, String run, String epoch, LimitsOptions limits,
    Authenticator auth, LocalHub hub, Directory directory, Fanout fanout, Router router,
    NodeMetrics metrics) {}
