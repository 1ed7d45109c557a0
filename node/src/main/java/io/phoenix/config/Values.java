package io.phoenix.config;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Converts raw values from JSON or environment variables to a key's type and checks them against
 * the rules of {@link ConfigKey}. Every failure is a one-line {@link ConfigException} naming the
 * key, and the variable when the value came from the environment.
 *
 * <p>Threading: stateless; safe from any thread.
 */
final class Values {

  static final String NAME_RULE = "1 to 64 characters of A-Z a-z 0-9 . _ -";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");
  private static final int MAX_SHOWN = 60;

  private Values() {
  }

  /** Converts a non-null value read from JSON; {@code env} is null. */
  static Object fromJson(ConfigKey key, Object raw, String env) {
    Object value = switch (key.type()) {
      case STRING -> {
        if (!(raw instanceof String s)) {
          throw wrongType(key, env, "a string", raw);
        }
        yield s;
      }
      case INT, LONG -> {
        BigInteger n = integral(raw);
        if (n == null) {
          throw wrongType(key, env, "an integer", raw);
        }
        yield narrow(key, n, env);
      }
      case BOOLEAN -> {
        if (!(raw instanceof Boolean b)) {
          throw wrongType(key, env, "true or false", raw);
        }
        yield b;
      }
      case STRING_LIST -> {
        if (!(raw instanceof JsonArray array)) {
          throw wrongType(key, env, "a list of strings", raw);
        }
        List<String> items = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
          Object item = array.getValue(i);
          if (!(item instanceof String s)) {
            throw fail(label(key.path() + "[" + i + "]", env) + " must be a string (got "
                + shown(item) + ")");
          }
          items.add(s);
        }
        yield items;
      }
    };
    return validate(key, value, env);
  }

  /** Converts the string value of environment variable {@code env}. */
  static Object fromEnv(ConfigKey key, String raw, String env) {
    Object value = switch (key.type()) {
      case STRING -> raw;
      case BOOLEAN -> {
        String b = raw.strip();
        if (!b.equalsIgnoreCase("true") && !b.equalsIgnoreCase("false")) {
          throw wrongType(key, env, "true or false", raw);
        }
        yield Boolean.parseBoolean(b);
      }
      case INT, LONG -> {
        String trimmed = raw.strip();
        if (!INTEGER.matcher(trimmed).matches()) {
          throw wrongType(key, env, "an integer", raw);
        }
        yield narrow(key, new BigInteger(trimmed), env);
      }
      case STRING_LIST -> {
        List<String> items = new ArrayList<>();
        if (!raw.isBlank()) {
          for (String item : raw.split(",", -1)) {
            items.add(item.strip());
          }
        }
        yield items;
      }
    };
    return validate(key, value, env);
  }

  /**
   * Checks a value of the key's Java type (String, Integer, Long, List of String).
   *
   * @return the value, lists as an unmodifiable copy
   */
  static Object validate(ConfigKey key, Object value, String env) {
    String label = label(key.path(), env);
    if (value == null) {
      throw fail(label + " is required");
    }
    switch (key.type()) {
      case INT -> checkRange(key, (Integer) value, env);
      case LONG -> checkRange(key, (Long) value, env);
      case STRING -> checkString(key, (String) value, label);
      case BOOLEAN -> { }
      case STRING_LIST -> {
        List<?> list = (List<?>) value;
        if (list.isEmpty()) {
          throw fail(label + " must not be empty");
        }
        for (int i = 0; i < list.size(); i++) {
          String itemLabel = label(key.path() + "[" + i + "]", env);
          if (!(list.get(i) instanceof String item)) {
            throw fail(itemLabel + " must be a string (got " + shown(list.get(i)) + ")");
          }
          String problem = hostPortProblem(item);
          if (problem != null) {
            throw fail(itemLabel + " " + problem + " (got " + shown(item) + ")");
          }
        }
        return List.copyOf(list);
      }
    }
    return value;
  }

  private static void checkString(ConfigKey key, String s, String label) {
    switch (key.rule()) {
      case NOT_EMPTY, SECRET -> {
        if (s.isBlank()) {
          throw fail(label + " must not be empty");
        }
      }
      case NAME -> {
        if (!NAME.matcher(s).matches()) {
          throw fail(label + " must be " + NAME_RULE + " (got " + shown(s) + ")");
        }
      }
      case PATH -> {
        if (!s.startsWith("/")) {
          throw fail(label + " must start with \"/\" (got " + shown(s) + ")");
        }
      }
      case CHOICE -> {
        if (!key.choices().contains(s)) {
          throw fail(label + " must be one of " + String.join(", ", key.choices()) + " (got "
              + shown(s) + ")");
        }
      }
      default -> {
        // rules of single keys, checked here so that a value from the environment is named
        // with its variable
        if (key == ConfigKey.AUTH_JWT_SECRET && !s.isEmpty() && s.isBlank()) {
          throw fail(label + " must not be blank");
        }
        if (key == ConfigKey.AUTH_JWKS_URL && !s.isEmpty() && !isHttpUrl(s)) {
          throw fail(label + " must be an http:// or https:// URL (got " + shown(s) + ")");
        }
      }
    }
  }

  private static boolean isHttpUrl(String url) {
    try {
      URI uri = new URI(url);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      return (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private static void checkRange(ConfigKey key, long n, String env) {
    if (n < key.min() || n > key.max()) {
      throw outOfRange(key, String.valueOf(n), env);
    }
  }

  /**
   * Checks that {@code file}, the value of key {@code path}, names a file the node can read: a
   * path the file system accepts, not a directory, readable.
   *
   * @throws ConfigException naming the key and the file otherwise
   */
  static void checkReadableFile(String path, String file) {
    Path p = checkPath(path, file);
    if (Files.isDirectory(p)) {
      throw fail(path + " cannot be read: " + file + " is a directory");
    }
    if (!Files.isReadable(p)) {
      throw fail(path + " cannot be read: " + file);
    }
  }

  /**
   * Checks that {@code dir}, the value of key {@code path}, is a path the file system accepts.
   *
   * @return that path
   * @throws ConfigException naming the key otherwise
   */
  static Path checkPath(String path, String dir) {
    try {
      return Path.of(dir);
    } catch (InvalidPathException e) {
      throw fail(path + " is not a valid path (got " + shown(dir) + ")");
    }
  }

  /** @return a problem with {@code host:port}, or null if fine */
  static String hostPortProblem(String s) {
    String host;
    String port;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
        return "must be host:port";
      }
      host = s.substring(1, close);
      port = s.substring(close + 2);
    } else {
      int colon = s.lastIndexOf(':');
      if (colon < 0) {
        return "must be host:port";
      }
      host = s.substring(0, colon);
      port = s.substring(colon + 1);
      if (host.indexOf(':') >= 0) {
        return "must be host:port with an IPv6 host in brackets, as [::1]:5701";
      }
    }
    if (host.isEmpty() || host.chars().anyMatch(Character::isWhitespace)) {
      return "must be host:port with a non-empty host";
    }
    if (!DIGITS.matcher(port).matches()) {
      return "must be host:port with a numeric port";
    }
    if (port.length() > 5 || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
      return "port must be between 1 and 65535";
    }
    return null;
  }

  private static BigInteger integral(Object raw) {
    if (raw instanceof Integer || raw instanceof Long || raw instanceof Short
        || raw instanceof Byte) {
      return BigInteger.valueOf(((Number) raw).longValue());
    }
    return raw instanceof BigInteger b ? b : null;
  }

  private static Object narrow(ConfigKey key, BigInteger n, String env) {
    if (n.compareTo(BigInteger.valueOf(key.min())) < 0
        || n.compareTo(BigInteger.valueOf(key.max())) > 0) {
      throw outOfRange(key, n.toString(), env);
    }
    return key.type() == ConfigKey.Type.INT ? (Object) n.intValueExact() : (Object) n.longValueExact();
  }

  private static ConfigException outOfRange(ConfigKey key, String got, String env) {
    return fail(label(key.path(), env) + " must be between " + key.min() + " and " + key.max()
        + " (got " + got + ")");
  }

  private static ConfigException wrongType(ConfigKey key, String env, String what, Object raw) {
    String got = key.secret() ? "" : " (got " + shown(raw) + ")";
    return fail(label(key.path(), env) + " must be " + what + got);
  }

  /** @return {@code path}, or {@code ENV (path)} when the value came from variable {@code env} */
  static String label(String path, String env) {
    return env == null ? path : env + " (" + path + ")";
  }

  /** @return a short one-line rendering of a value: strings quoted, long values cut */
  static String shown(Object value) {
    String text = value instanceof String || value instanceof JsonObject
        || value instanceof JsonArray ? Json.encode(value) : String.valueOf(value);
    return text.length() <= MAX_SHOWN ? text : text.substring(0, MAX_SHOWN - 3) + "...";
  }

  private static ConfigException fail(String detail) {
    return new ConfigException(detail);
  }
}
