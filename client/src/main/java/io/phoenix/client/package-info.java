/**
 * The Java client of the Phoenix protocol: {@link io.phoenix.client.PhoenixClient}, built with
 * {@link io.phoenix.client.ClientBuilder}. It depends only on {@code io.phoenix.protocol} (the
 * frame codec and the generated schema classes), Vert.x and protobuf, never on the node's own
 * packages, so it can be lifted into its own artifact. See {@code docs/client.md}.
 */
package io.phoenix.client;
