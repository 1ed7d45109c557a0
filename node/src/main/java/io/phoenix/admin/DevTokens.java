package io.phoenix.admin;

import io.phoenix.config.AuthOptions;
import io.phoenix.protocol.MessageRules;
import io.phoenix.session.Authenticator;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /api/dev-token?eid=EID}: signs a token for any eid, so the dashboard's chat panel
 * can sign in without an account system. Development only: it answers only when
 * {@code auth.devTokens} is true, and 403 otherwise.
 *
 * <pre>
 * 200 {"eid": "alice", "token": "eyJ…", "expiresInSeconds": 86400}
 * 400 {"error": "eid must be 1 to 256 bytes of UTF-8"}
 * 403 {"error": "development tokens are off (auth.devTokens is false): …"}
 * </pre>
 *
 * <p>One instance per router; runs on that router's event loop (signing is a few microseconds
 * of HMAC).
 */
final class DevTokens implements Handler<RoutingContext> {
  private final AuthOptions auth;
  private final Authenticator tokens;

  DevTokens(Vertx vertx, AuthOptions auth) {
    this.auth = auth;
    this.tokens = auth.devTokens() && auth.hasSecret() ? new Authenticator(vertx, auth) : null;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (tokens == null) {
      AdminRoutes.json(ctx.response(), 403, error(auth.devTokens()
          ? "development tokens need auth.jwtSecret, which is not set"
          : "development tokens are off "
          + "(auth.devTokens is false): get a token with `phoenix token EID` and paste it"));
      return;
    }
    String eid = ctx.request().getParam("eid");
    // the bound a token's sub must keep to in a Hello
    if (eid == null || !MessageRules.validId(eid, MessageRules.MAX_ID_BYTES)) {
      AdminRoutes.json(ctx.response(), 400,
          error("eid must be 1 to " + MessageRules.MAX_ID_BYTES + " bytes of UTF-8"));
      return;
    }
    String odd = Authenticator.subCharactersRefusal(eid);
    if (odd != null) {
      AdminRoutes.json(ctx.response(), 400, error("eid is refused by every node (" + odd + ")"));
      return;
    }
    AdminRoutes.json(ctx.response(), 200, new JsonObject()
        .put("eid", eid)
        .put("token", tokens.issue(eid, auth.tokenTtlSeconds()))
        .put("expiresInSeconds", auth.tokenTtlSeconds()));
  }

  private static JsonObject error(String message) {
    return new JsonObject().put("error", message);
  }
}
