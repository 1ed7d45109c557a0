package io.phoenix.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
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
import java.util.ArrayDeque;
import java.util.Deque;
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
  /** Reads tokens only, to find a key given twice in one object. */
  private static final JsonFactory STRICT = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

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
    refuseRepeatedKeys(body, source);
    return object;
  }

  /**
   * Fails when one object of valid JSON text gives a key twice. A JSON object keeps only the
   * last, so a second {@code "tcp": {...}} would silently replace the whole first group.
   */
  private static void refuseRepeatedKeys(String body, String source) {
    try (JsonParser parser = STRICT.createParser(body)) {
      try {
        while (parser.nextToken() != null) {
          // every token is read; the parser fails at the second occurrence of a key
        }
      } catch (JsonParseException e) {
        String said = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        if (!said.startsWith("Duplicate field")) {
          throw new ConfigException(source + " is not valid JSON: " + said, e);
        }
        throw repeatedKey(parser.getParsingContext(), source, e);
      }
    } catch (IOException e) {
      throw new ConfigException("cannot read " + source + ": " + e.getMessage(), e);
    }
  }

  /** The error for a key given twice: the key, the object it is in, and where. */
  private static ConfigException repeatedKey(JsonStreamContext context, String source,
      JsonParseException e) {
    Deque<String> parts = new ArrayDeque<>();
    for (JsonStreamContext c = context.getParent(); c != null && !c.inRoot(); c = c.getParent()) {
      parts.addFirst(c.inObject() ? "." + c.getCurrentName() : "[" + c.getCurrentIndex() + "]");
    }
    String path = String.join("", parts).replaceFirst("^\\.", "");
    String where = path.isEmpty() ? "at the top level" : "in \"" + path + "\"";
    return new ConfigException(source + ": key \"" + context.getCurrentName()
        + "\" is given twice " + where + " (the second on line " + e.getLocation().getLineNr()
        + "); a JSON object keeps only the last one given, so remove or merge the other", e);
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
