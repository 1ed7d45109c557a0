package io.phoenix.testing;

import java.util.Set;

/**
 * What splits the network of a cluster of node processes in a test: {@link MemberLinks}
 * (relays on the membership links) or {@link NetworkSplit} (netfilter rules, every link).
 * The nodes are started through {@link #launch}, which sets each up for it.
 */
public interface Partition extends AutoCloseable {
  /** How member {@code i} is started. */
  FailoverTraffic.Launch launch(int i);

  /** Splits the members of {@code side} from the others. */
  void split(Set<Integer> side) throws Exception;

  /** Every link works again. */
  void heal() throws Exception;

  @Override
  void close() throws Exception;
}
