package io.phoenix.cli;

import io.phoenix.config.ConfigException;
import io.phoenix.config.ConfigKey;
import io.phoenix.config.PhoenixConfig;
import io.phoenix.protocol.MessageRules;
import io.phoenix.session.Authenticator;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code phoenix token [--config FILE] [--ttl SECONDS] EID}: prints a token a client can send
 * in Hello, signed with the configured secret.
 *
 * <p>Runs on the main thread.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Print a signed token (JWT, HS256) for EID.")
final class TokenCommand implements Callable<Integer> {
  @Mixin
  ConfigOption config;

  @Option(names = "--ttl", paramLabel = "SECONDS",
      description = "Validity in seconds, 1 to 31536000 (default: auth.tokenTtlSeconds)")
  Integer ttl;

  @Parameters(paramLabel = "EID", description = "The entity the token authenticates")
  String eid;

  @Override
  public Integer call() {
    PhoenixConfig c;
    try {
      c = config.load().config();
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    if (!MessageRules.validId(eid, MessageRules.MAX_ID_BYTES)) {
      // a node refuses a token whose sub is not: Goodbye 401
      System.err.println("EID must be 1 to " + MessageRules.MAX_ID_BYTES + " bytes of UTF-8");
      return 2;
    }
    String odd = Authenticator.subCharactersRefusal(eid);
    if (odd != null) {
      System.err.println("EID is refused by every node (" + odd + ")");
      return 2;
    }
    if (!c.auth().hasSecret()) {
      System.err.println("auth.jwtSecret is not set: tokens for this node come from its "
          + "identity provider (auth.publicKeyFile / auth.jwksUrl)");
      return 2;
    }
    long maxTtl = ConfigKey.AUTH_TOKEN_TTL_SECONDS.max();
    if (ttl != null && (ttl < 1 || ttl > maxTtl)) {
      System.err.println("--ttl must be 1 to " + maxTtl + " seconds (as auth.tokenTtlSeconds)");
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    try {
      System.out.println(new Authenticator(vertx, c.auth())
          .issue(eid, ttl != null ? ttl : c.auth().tokenTtlSeconds()));
    } finally {
      try {
        vertx.close().await(10, TimeUnit.SECONDS); // removes its file cache before the exit
      } catch (TimeoutException e) {
        // the token is printed; a file cache left behind is removed by the next node
      }
    }
    return 0;
  }
}
