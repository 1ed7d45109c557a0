package io.phoenix.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.BindException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** How {@link NodeCommand} tells a failed start's cause. */
class NodeCommandTest {

  @Test
  void onlyABindFailureSendsItBackToThePortCheck() {
    assertTrue(NodeCommand.bindFailure(new CompletionException(
        new RuntimeException(new BindException("Address already in use")))));
    // anything else keeps its own message: the ports may still be held by the node's own
    // cluster member, whose stop timed out
    assertFalse(NodeCommand.bindFailure(new CompletionException(
        new java.net.UnknownHostException("nohost.invalid"))));
    assertFalse(NodeCommand.bindFailure(new TimeoutException()));
  }
}
