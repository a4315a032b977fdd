package dev.easel.http;

import dev.easel.json.Json;
import dev.easel.store.Page;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;

/** The query parameters that lists share: {@code limit} and {@code cursor}. Problems are collected, not thrown. */
final class Params {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    /** Job cursors are times; outside these years they cannot be a job's creation time (nor fit the store's milliseconds). */
    private static final Instant EARLIEST = Instant.parse("0000-01-01T00:00:00Z"), LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

    private Params() {}

    /** {@code limit}: 1 to 1000, default 100. */
    static int limit(Context ctx, List<String> problems) {
        String raw = ctx.queryParam("limit");
        if (raw == null) return DEFAULT_LIMIT;
        try {
            int limit = Integer.parseInt(raw);
            if (limit >= 1 && limit <= MAX_LIMIT) return limit;
        } catch (NumberFormatException e) {
            // reported below
        }
        problems.add("limit must be an integer between 1 and " + MAX_LIMIT + " (got " + Json.quote(raw) + ")");
        return DEFAULT_LIMIT;
    }

    /** The jobs list's {@code cursor}: an ISO-8601 time (jobs created before it); null for the first page. */
    static Instant jobCursor(Context ctx, List<String> problems) {
        String raw = ctx.queryParam("cursor");
        if (raw == null) return null;
        try {
            Instant t = OffsetDateTime.parse(raw).toInstant();
            if (!t.isBefore(EARLIEST) && !t.isAfter(LATEST)) return t;
        } catch (DateTimeParseException | ArithmeticException e) {
            // reported below
        }
        problems.add("cursor must be an ISO-8601 date-time between the years 0000 and 9999, such as 2026-01-31T12:00:00.000Z (got "
                + Json.quote(raw) + ")");
        return null;
    }

    /** A library list's {@code cursor}: a next_cursor this server gave out for assets, styles or moodboards; else the first page. */
    static Page.After libraryCursor(Context ctx, List<String> problems) {
        String raw = ctx.queryParam("cursor");
        if (raw == null) return Page.After.START;
        Page.After after = Page.After.decode(raw);
        if (after == null) problems.add("cursor must be a next_cursor from a previous page (got " + Json.quote(raw) + ")");
        return after;
    }
}
