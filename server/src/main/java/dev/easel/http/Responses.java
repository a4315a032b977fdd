package dev.easel.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.json.Json;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Writes JSON answers; the one way a handler answers with JSON. */
final class Responses {
    private Responses() {}

    static void json(Context ctx, int status, JsonNode body) {
        try {
            ctx.status(status).contentType("application/json").result(Json.MAPPER.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code {"success": true, "message"}}, the answer to a deletion of a library item. */
    static void deleted(Context ctx, String message) {
        json(ctx, 200, Json.MAPPER.createObjectNode().put("success", true).put("message", message));
    }
}
