package io.phoenix.cli;

/**
 * The address a client on this machine dials to reach a node's listener configured on
 * {@code host}: the loopback of the same family for a wildcard ({@code 127.0.0.1} for
 * {@code 0.0.0.0} or an empty host, {@code ::1} for {@code ::}), the host itself otherwise.
 */
final class LocalAddress {
  private LocalAddress() {}

  /** The host to dial, without brackets. */
  static String of(String host) {
    if (host.isEmpty() || host.equals("0.0.0.0")) {
      return "127.0.0.1";
    }
    return host.equals("::") ? "::1" : host;
  }

  /** The host to dial as it goes before {@code :port} (an IPv6 literal in brackets). */
  static String inUrl(String host) {
    String h = of(host);
    return h.contains(":") ? "[" + h + "]" : h;
  }
}
