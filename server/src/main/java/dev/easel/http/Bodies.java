package dev.easel.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.billing.Money;
import dev.easel.errors.DomainError;
import dev.easel.json.Json;
import dev.easel.moodboards.MoodboardService;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The JSON bodies of the admin and library routes, read into records in this one place: unknown
 * keys, types and ranges are checked here, every problem reported at once. (The generate body has
 * its own parser, {@link GenerateRequestParser}, held to the user's schema.)
 */
final class Bodies {
    private Bodies() {}

    /** {@code POST /admin/accounts}. */
    record NewAccount(String name, long creditsMicros, int maxConcurrentJobs, int maxBacklog) {}

    /** {@code PATCH /styles/{id}}: each null leaves that one as it is. */
    record StylePatch(String title, String prompt, Boolean isPublic) {}

    static NewAccount newAccount(byte[] body) {
        JsonNode o = object(body, Set.of("name", "credits_usd", "max_concurrent_jobs", "max_backlog"));
        List<String> problems = new ArrayList<>();
        JsonNode name = o.get("name");
        if (name == null || !name.isTextual() || name.textValue().isBlank() || name.textValue().length() > 200) {
            problems.add("name is required: a non-blank string of at most 200 characters");
        }
        long credits = usd(o, "credits_usd", false, problems);
        if (credits < 0) problems.add("credits_usd must be 0 or more (got " + Json.number(o.get("credits_usd")) + ")");
        int maxConcurrent = integer(o, "max_concurrent_jobs", 2, 1, 10_000, problems);
        int maxBacklog = integer(o, "max_backlog", 20, 0, 1_000_000, problems);
        if (!problems.isEmpty()) throw new DomainError.Invalid(problems);
        return new NewAccount(name.textValue().strip(), credits, maxConcurrent, maxBacklog);
    }

    /** {@code POST /admin/accounts/{id}/credits}: the amount in micro-dollars, negative to take away. */
    static long credits(byte[] body) {
        JsonNode o = object(body, Set.of("amount_usd"));
        List<String> problems = new ArrayList<>();
        long amount = usd(o, "amount_usd", true, problems);
        if (!problems.isEmpty()) throw new DomainError.Invalid(problems);
        return amount;
    }

    static StylePatch stylePatch(byte[] body) {
        JsonNode o = object(body, Set.of("title", "prompt", "public"));
        List<String> problems = new ArrayList<>();
        String title = text(o, "title", problems);
        String prompt = text(o, "prompt", problems);
        JsonNode pub = o.get("public");
        if (pub != null && !pub.isBoolean()) problems.add("public must be true or false (got " + Json.typeName(pub) + ")");
        if (!problems.isEmpty()) throw new DomainError.Invalid(problems);
        return new StylePatch(title, prompt, pub == null ? null : pub.booleanValue());
    }

    static MoodboardService.Draft moodboard(byte[] body) {
        JsonNode o = object(body, Set.of("title", "image_urls", "asset_ids"));
        List<String> problems = new ArrayList<>();
        JsonNode title = o.get("title");
        List<String> urls = strings(o, "image_urls", problems), ids = strings(o, "asset_ids", problems);
        // a title that is not a string is no title: the service says what a title must be
        return new MoodboardService.Draft(title != null && title.isTextual() ? title.textValue() : null, urls, ids, problems);
    }

    /** A request body that must be one JSON object: strict (no duplicate keys, no trailing garbage, exact numbers). */
    static JsonNode object(byte[] body) {
        if (body == null || body.length == 0 || new String(body, StandardCharsets.UTF_8).isBlank()) {
            throw new DomainError.Invalid("request body must be a JSON object (got an empty body)");
        }
        JsonNode o;
        try {
            o = Json.STRICT.readTree(body);
        } catch (JsonProcessingException e) {
            throw new DomainError.Invalid("request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new DomainError.Invalid("request body could not be read");
        }
        if (o == null || !o.isObject()) throw new DomainError.Invalid("request body must be a JSON object (got " + Json.typeName(o) + ")");
        return o;
    }

    /** A JSON object with only the {@code allowed} keys. */
    static JsonNode object(byte[] body, Set<String> allowed) {
        JsonNode o = object(body);
        List<String> unknown = new ArrayList<>();
        o.fieldNames().forEachRemaining(f -> {
            if (!allowed.contains(f)) unknown.add("unknown field " + Json.quote(f) + " (allowed: "
                    + String.join(", ", allowed.stream().sorted().toList()) + ")");
        });
        if (!unknown.isEmpty()) throw new DomainError.Invalid(unknown);
        return o;
    }

    /** An optional string field: null when absent. */
    private static String text(JsonNode body, String field, List<String> problems) {
        JsonNode n = body.get(field);
        if (n == null) return null;
        if (!n.isTextual()) {
            problems.add(field + " must be a string (got " + Json.typeName(n) + ")");
            return null;
        }
        return n.textValue();
    }

    /** An optional array of strings: null when absent; an item that is not a string is null in the list, and said. */
    private static List<String> strings(JsonNode body, String field, List<String> problems) {
        JsonNode n = body.get(field);
        if (n == null) return null;
        if (!n.isArray()) {
            problems.add(field + " must be an array of strings (got " + Json.typeName(n) + ")");
            return null;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            if (n.get(i).isTextual()) {
                out.add(n.get(i).textValue());
            } else {
                out.add(null); // keeps the indexes of the items after it
                problems.add(field + "[" + i + "] must be a string (got " + Json.typeName(n.get(i)) + ")");
            }
        }
        return out;
    }

    /** US dollars with at most 6 decimals, as micro-dollars; the number's size is checked before it is converted. */
    private static long usd(JsonNode body, String field, boolean required, List<String> problems) {
        JsonNode n = body.get(field);
        if (n == null) {
            if (required) problems.add(field + " is required");
            return 0;
        }
        if (!n.isNumber()) {
            problems.add(field + " must be a number of US dollars (got " + Json.typeName(n) + ")");
            return 0;
        }
        BigDecimal v = n.decimalValue();
        if (!Json.reasonable(v) && v.scale() > 0) {
            problems.add(field + " must have at most 6 decimals (got " + Json.number(n) + ")");
            return 0;
        }
        if (!Json.reasonable(v) || v.abs().compareTo(MAX_USD) > 0) {
            problems.add(field + " must be a number of US dollars between -" + MAX_USD + " and " + MAX_USD + " (got " + Json.number(n) + ")");
            return 0;
        }
        try {
            return Money.microsOf(v);
        } catch (IllegalArgumentException e) {
            problems.add(field + " must have at most 6 decimals (got " + Json.number(n) + ")");
            return 0;
        }
    }

    /** A billion dollars: far past any credit, and far inside a long of micro-dollars. */
    private static final BigDecimal MAX_USD = BigDecimal.valueOf(1_000_000_000);

    private static int integer(JsonNode body, String field, int dflt, int min, int max, List<String> problems) {
        JsonNode n = body.get(field);
        if (n == null) return dflt;
        BigDecimal v = n.isNumber() ? n.decimalValue() : null;
        if (v == null || !Json.reasonable(v) || v.stripTrailingZeros().scale() > 0 || v.compareTo(BigDecimal.valueOf(min)) < 0
                || v.compareTo(BigDecimal.valueOf(max)) > 0) {
            problems.add(field + " must be an integer between " + min + " and " + max + " (got "
                    + (n.isNumber() ? Json.number(n) : Json.typeName(n)) + ")");
            return dflt;
        }
        return v.intValueExact();
    }
}
