package io.phoenix.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads configuration text from a file or the classpath and parses it to a JSON object, turning
 * every IO or syntax failure into a one-line {@link ConfigException} that names the file.
 *
 * <p>Threading: stateless; safe from any thread. Blocks on file IO.
 */
final class JsonFiles {

  private static final Pattern LOCATION = Pattern.compile("line: (\\d+), column: (\\d+)\\]\\s*$");

  private JsonFiles() {
  }

  /** @return the UTF-8 text of {@code file} */
  static String read(String file) {
    try {
      Path path = Path.of(file);
      if (Files.isDirectory(path)) {
        throw new ConfigException("cannot read " + file + ": is a directory");
      }
      return Files.readString(path, StandardCharsets.UTF_8);
    } catch (InvalidPathException e) {
      throw new ConfigException("cannot read " + file + ": invalid path", e);
    } catch (NoSuchFileException e) {
      throw new ConfigException("cannot read " + file + ": no such file", e);
    } catch (AccessDeniedException e) {
      throw new ConfigException("cannot read " + file + ": permission denied", e);
    } catch (CharacterCodingException e) {
      throw new ConfigException("cannot read " + file + ": not UTF-8 text", e);
    } catch (IOException e) {
      String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new ConfigException("cannot read " + file + ": " + reason, e);
    }
  }

  /** @return the UTF-8 text of classpath {@code resource}, called {@code source} in errors */
  static String readEmbedded(String resource, String source) {
    ClassLoader loader = JsonFiles.class.getClassLoader();
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new ConfigException("cannot read " + source + ": not on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException("cannot read " + source + ": " + e.getMessage(), e);
    }
  }

  /** @return the JSON object in {@code text}, which came from {@code source} */
  static JsonObject parse(String text, String source) {
    String body = text.startsWith("\uFEFF") ? text.substring(1) : text;
    if (body.isBlank()) {
      throw new ConfigException(source + " is not valid JSON: the file is empty");
    }
    Object value;
    try {
      value = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw new ConfigException(source + " is not valid JSON: " + reason(e), e);
    }
    if (!(value instanceof JsonObject object)) {
      throw new ConfigException(source + " must hold a JSON object (got "
          + Values.shown(value) + ")");
    }
    return object;
  }

  /** @return the parser's complaint on one line, with its position as (line N, column M) */
  private static String reason(DecodeException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    String first = message.lines().findFirst().orElse("").strip();
    int marker = first.indexOf(" (start marker at");
    if (marker >= 0) {
      first = first.substring(0, marker);
    }
    if (first.startsWith("Failed to decode:")) {
      first = first.substring("Failed to decode:".length()).strip();
    }
    if (first.isEmpty()) {
      first = "malformed document";
    }
    Matcher at = LOCATION.matcher(message);
    return at.find() ? first + " (line " + at.group(1) + ", column " + at.group(2) + ")" : first;
  }
}
