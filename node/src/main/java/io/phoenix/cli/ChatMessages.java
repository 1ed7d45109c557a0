package io.phoenix.cli;

import io.phoenix.client.StateChange;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * The one-line explanations {@code phoenix chat} gives when something is wrong: what happened
 * and what to do. Kept apart from {@link ChatView} so that the wording is in one place.
 *
 * <p>Stateless; thread-safe.
 */
final class ChatMessages {
  /** How users are told to get a token (the jar's path as the README uses it). */
  static final String TOKEN_COMMAND = "java -jar target/phoenix.jar token";

  private ChatMessages() {}

  /**
   * What a reason for a lost connection is about, without the address it names: attempts on
   * several endpoints that fail for one reason count as one reason.
   */
  static String reasonKind(String reason) {
    return reason == null ? "" : reason.replaceAll("\\S*:\\d+", "").strip();
  }

  /** The line for a lost connection, or for a node that cannot be reached. */
  static String lost(StateChange s) {
    String reason = s.reason();
    if (reason.startsWith("cannot connect: ")) {
      return "cannot reach " + s.endpoint() + " (" + reason.substring(16) + "): is the node "
          + "running there? Retrying (every 1 s, doubling up to 30 s); /quit to leave";
    }
    return "reconnecting… (lost " + s.endpoint() + ": " + reason + ")";
  }

  /**
   * The line for a client that stopped for good (FAILED): before any Welcome "could not
   * connect", after one "stopped"; with what to do where the reason tells.
   */
  static String failed(String reason, String me, boolean ownToken, boolean connectedBefore) {
    String what = connectedBefore ? "stopped: " + reason
        : "could not connect: connection failed: " + reason;
    String todo = null;
    if (reason.startsWith("Goodbye 401")) {
      todo = ownToken
          ? "the node refused --token: get a valid one for " + me + " with `" + TOKEN_COMMAND
              + " --config FILE " + me + "` using the node's config"
          : "the node refused the token signed with the secret of --config (the embedded "
              + "default without it): start the chat with the node's config (--config FILE), "
              + "or pass a token from `" + TOKEN_COMMAND + " --config FILE " + me + "` with "
              + "--token";
    } else if (reason.startsWith("Goodbye 409")) {
      todo = "a newer chat of " + me + " with the same --resource took over this device: give "
          + "each chat its own --resource";
    }
    return todo == null ? what : what + " (" + todo + ")";
  }

  /**
   * The {@code sub} claim of a JWT, read without checking its signature (the node checks it),
   * or null when the token is not a readable JWT.
   */
  static String tokenSubject(String token) {
    String[] parts = token.split("\\.");
    if (parts.length != 3) {
      return null;
    }
    try {
      byte[] json = Base64.getUrlDecoder().decode(parts[1]);
      return new JsonObject(new String(json, StandardCharsets.UTF_8)).getString("sub");
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The refusal of a token made out to someone else. */
  static String tokenForAnother(String subject, String me) {
    return "--token is for " + subject + ", not for " + me + ": get one for " + me + " with `"
        + TOKEN_COMMAND + " " + me + "` (add --config FILE for another node), or leave out "
        + "--token";
  }

  static List<String> help(String peer, String log) {
    return List.of(
        "type a line and press Enter to send it to " + peer,
        "/history N   show the last N messages with " + peer,
        "/quit        leave (or Ctrl-D)",
        "//text       send a line that starts with /",
        log);
  }
}
