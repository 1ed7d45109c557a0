package io.phoenix.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

class ConnectionBudgetTest {

  @Test
  void theDerivedLimitKeepsDescriptorsForTheNode() {
    assertEquals(20_000 - 2_048, ConnectionBudget.derived(20_000));
    assertEquals(1_048_576 - 2_048, ConnectionBudget.derived(1_048_576));
    assertEquals(2_048, ConnectionBudget.derived(4_096), "half, when that leaves more");
    assertEquals(512, ConnectionBudget.derived(1_024));
    assertEquals(10_000, ConnectionBudget.derived(-1), "unknown limit");
  }

  @Test
  void socketsAreTakenUpToTheLimitAndGivenBackWhenTheirChannelCloses() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ConnectionBudget budget = new ConnectionBudget(4, registry);
    EmbeddedChannel a = new EmbeddedChannel();
    EmbeddedChannel b = new EmbeddedChannel();
    assertTrue(budget.hold(a, 1));
    assertTrue(budget.take(2));
    assertTrue(budget.hold(b, 1));
    assertEquals(4, budget.used());
    assertFalse(budget.take(1), "full");
    assertFalse(budget.hold(new EmbeddedChannel(), 1), "full");
    assertEquals(4, budget.used(), "a refusal takes nothing");
    a.close();
    assertEquals(3, budget.used());
    assertFalse(budget.take(2), "two would pass the limit");
    assertTrue(budget.take(1));
    budget.give(2);
    b.close();
    assertEquals(1, budget.used());
    budget.refused("tcp");
    budget.refused("http");
    budget.refused("http");
    assertEquals(1.0, registry.get("phoenix_connections_refused").tag("port", "tcp").counter()
        .count());
    assertEquals(2.0, registry.get("phoenix_connections_refused").tag("port", "http").counter()
        .count());
    assertEquals(4.0, registry.get("phoenix_client_sockets_max").gauge().value());
    assertEquals(1.0, registry.get("phoenix_client_sockets").gauge().value());
  }
}
