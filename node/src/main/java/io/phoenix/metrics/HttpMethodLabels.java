package io.phoenix.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Bounds the {@code method} label of Vert.x's HTTP server meters ({@code vertx_http_server_*}):
 * the methods of RFC 9110 keep their names, any other becomes {@code other}.
 *
 * <p>A request's method is whatever token the client sends, and every new one would otherwise
 * start series of its own, kept for the life of the process and written into every scrape: a
 * client could grow the node's memory and its /metrics answer without bound. The node's own
 * meters with a {@code method} label ({@code phoenix_acks_total}) are left as they are.
 *
 * <p>Stateless; thread-safe.
 */
public final class HttpMethodLabels implements MeterFilter {
  /** Prefix of the meters Vert.x's HTTP server records (Micrometer's dotted names). */
  static final String PREFIX = "vertx.http.";
  /** The value that stands for every method not in {@link #KNOWN}. */
  public static final String OTHER = "other";
  static final Set<String> KNOWN = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
      "OPTIONS", "TRACE", "PATCH");

  @Override
  public Meter.Id map(Meter.Id id) {
    if (!id.getName().startsWith(PREFIX)) {
      return id;
    }
    String method = id.getTag("method");
    if (method == null || KNOWN.contains(method)) {
      return id;
    }
    List<Tag> tags = new ArrayList<>();
    for (Tag tag : id.getTagsAsIterable()) {
      tags.add(tag.getKey().equals("method") ? Tag.of("method", OTHER) : tag);
    }
    return id.replaceTags(tags);
  }
}
