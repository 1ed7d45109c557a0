package io.phoenix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The address a local client dials for a configured listener host. */
class LocalAddressTest {
  @Test
  void wildcardsBecomeTheLoopbackOfTheirFamilyAndIpv6GoesInBrackets() {
    assertEquals("127.0.0.1", LocalAddress.of("0.0.0.0"));
    assertEquals("127.0.0.1", LocalAddress.of(""));
    assertEquals("::1", LocalAddress.of("::"));
    assertEquals("10.1.2.3", LocalAddress.of("10.1.2.3"));
    assertEquals("node.example", LocalAddress.of("node.example"));
    assertEquals("[::1]", LocalAddress.inUrl("::"));
    assertEquals("[fe80::1]", LocalAddress.inUrl("fe80::1"));
    assertEquals("127.0.0.1", LocalAddress.inUrl("0.0.0.0"));
  }
}
