/**
 * Typed, validated node configuration, read once at start.
 *
 * <p>{@link io.phoenix.config.ConfigLoader} reads a JSON file (or the embedded
 * {@code conf/node.json}), applies {@code PHOENIX_<GROUP>_<KEY>} environment overrides and
 * validates every value against the key table {@link io.phoenix.config.ConfigKey}, producing an
 * immutable {@link io.phoenix.config.PhoenixConfig}. Problems are one-line
 * {@link io.phoenix.config.ConfigException}s meant to be shown to the operator as is.
 *
 * <p>Threading: every type here is immutable and thread-safe.
 */
package io.phoenix.config;
