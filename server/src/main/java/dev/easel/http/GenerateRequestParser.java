package dev.easel.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.errors.DomainError;
import dev.easel.jobs.AspectRatio;
import dev.easel.jobs.Creativity;
import dev.easel.jobs.GenerateRequest.ImageStyleRef;
import dev.easel.jobs.GenerateRequest.MoodboardRef;
import dev.easel.jobs.GenerateRequest.StyleRef;
import dev.easel.jobs.GenerateRequest;
import dev.easel.json.Json;
import dev.easel.net.HttpUrls;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiPredicate;

/**
 * Validates a Krea 2 Medium request body against the OpenAPI schema of the user's specification,
 * to the letter, plus our semantic rules (API.md section 1). Every problem found is collected, so a
 * caller fixes a body in one round trip. Messages name the field, the rule and the value received.
 */
public final class GenerateRequestParser {
    public static final int MAX_PROMPT_CHARS = 10_000;
    public static final long MAX_SEED = GenerateRequest.MAX_SEED;
    public static final int MAX_IMAGE_STYLE_REFERENCES = 10;
    public static final int MAX_MOODBOARDS = 1;
    public static final double DEFAULT_REFERENCE_STRENGTH = 0.5;
    public static final double DEFAULT_MOODBOARD_STRENGTH = 0.23;
    /** Deprecated aliases are accepted through this day (UTC) and refused from the next. */
    public static final LocalDate ALIASES_LAST_DAY = LocalDate.of(2026, 6, 19);
    public static final String SUNSET_HEADER_VALUE = "Fri, 19 Jun 2026 23:59:59 GMT";

    static final List<String> FIELDS = List.of("prompt", "seed", "styles", "image_style_references",
            "aspect_ratio", "resolution", "creativity", "intensity", "complexity", "moodboards");
    /** Deprecated alias -> the field it stands for. */
    static final Map<String, String> ALIASES = Map.of("presetStyles", "styles", "imageStyleRefs", "image_style_references");
    static final List<String> RESOLUTIONS = List.of("1K");
    private static final Set<String> ALLOWED = Set.copyOf(FIELDS);

    /**
     * Whether an account may use a style, at a strength, with the configured engine: null when it
     * may, else the end of a sentence that begins with the style's id ("is not a style you can use").
     */
    @FunctionalInterface
    public interface StylePolicy {
        String problem(String accountId, String styleId, double strength);
    }

    /** The outcome: the request, and whether a deprecated alias was used (the response then says so). */
    public record Parsed(GenerateRequest request, boolean usedDeprecatedAlias) {}

    private final Clock clock;
    private final StylePolicy styles;
    private final BiPredicate<String, String> moodboardUsable;

    /**
     * @param styles          whether an account may use a style at a strength with the configured engine
     * @param moodboardUsable (accountId, moodboardId) -> may this account use this moodboard
     */
    public GenerateRequestParser(Clock clock, StylePolicy styles,
                                 BiPredicate<String, String> moodboardUsable) {
        this.clock = clock;
        this.styles = styles;
        this.moodboardUsable = moodboardUsable;
    }

    public Parsed parse(byte[] body, String accountId) {
        JsonNode root = Bodies.object(body);
        List<String> problems = new ArrayList<>();
        boolean aliasesAccepted = !LocalDate.now(clock.withZone(ZoneOffset.UTC)).isAfter(ALIASES_LAST_DAY);
        boolean usedAlias = false;

        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (ALIASES.containsKey(name)) {
                String replacement = ALIASES.get(name);
                if (!aliasesAccepted) {
                    problems.add(name + " is no longer accepted since 2026-06-20: use " + replacement);
                } else if (root.has(replacement)) {
                    problems.add(name + " and " + replacement + " cannot both be given: use " + replacement);
                } else {
                    usedAlias = true;
                }
            } else if (!ALLOWED.contains(name)) {
                problems.add("unknown field " + Json.quote(name) + " (allowed: " + String.join(", ", FIELDS) + ")");
            }
        }

        String prompt = prompt(root.get("prompt"), problems);
        Long seed = seed(root.get("seed"), problems);
        String stylesField = fieldOrAlias(root, "styles", aliasesAccepted);
        List<StyleRef> styles = styles(stylesField, root.get(stylesField), accountId, problems);
        String refsField = fieldOrAlias(root, "image_style_references", aliasesAccepted);
        List<ImageStyleRef> refs = imageStyleReferences(refsField, root.get(refsField), problems);
        AspectRatio aspect = oneOf("aspect_ratio", root.get("aspect_ratio"), true,
                Arrays.stream(AspectRatio.values()).map(a -> a.wire).toList(), problems)
                .flatMap(AspectRatio::fromWire).orElse(null);
        String resolution = oneOf("resolution", root.get("resolution"), true, RESOLUTIONS, problems).orElse(null);
        Creativity creativity = oneOf("creativity", root.get("creativity"), false,
                Arrays.stream(Creativity.values()).map(c -> c.wire).toList(), problems)
                .flatMap(Creativity::fromWire).orElse(Creativity.LOW);
        int intensity = slider("intensity", root.get("intensity"), problems);
        int complexity = slider("complexity", root.get("complexity"), problems);
        List<MoodboardRef> moodboards = moodboards(root.get("moodboards"), accountId, problems);

        if (!problems.isEmpty()) throw new DomainError.Invalid(problems);
        return new Parsed(new GenerateRequest(prompt, seed, styles, refs, aspect, resolution, creativity,
                intensity, complexity, moodboards), usedAlias);
    }

    private static String fieldOrAlias(JsonNode root, String field, boolean aliasesAccepted) {
        if (root.has(field) || !aliasesAccepted) return field;
        return ALIASES.entrySet().stream().filter(e -> e.getValue().equals(field) && root.has(e.getKey()))
                .map(Map.Entry::getKey).findFirst().orElse(field);
    }

    private static String prompt(JsonNode node, List<String> problems) {
        if (node == null) {
            problems.add("prompt is required");
            return null;
        }
        if (!node.isTextual()) {
            problems.add("prompt must be a string (got " + Json.typeName(node) + ")");
            return null;
        }
        String p = node.textValue();
        int chars = p.codePointCount(0, p.length());
        if (p.isBlank()) problems.add("prompt must contain a non-whitespace character (got " + Json.quote(p) + ")");
        else if (chars > MAX_PROMPT_CHARS) {
            problems.add("prompt must be at most " + MAX_PROMPT_CHARS + " characters (got " + chars + ")");
        }
        return p;
    }

    private static Long seed(JsonNode node, List<String> problems) {
        if (node == null || node.isNull()) return null;
        if (!node.isNumber()) {
            problems.add("seed must be a number or null (got " + Json.typeName(node) + ")");
            return null;
        }
        BigDecimal v = node.decimalValue();
        if (!Json.reasonable(v)) {
            problems.add("seed must be " + (v.scale() > 0 ? "an integer" : "between 0 and " + MAX_SEED) + " (got " + Json.number(node) + ")");
            return null;
        }
        if (!isIntegral(v)) {
            problems.add("seed must be an integer (got " + Json.number(node) + ")");
            return null;
        }
        if (v.signum() < 0 || v.compareTo(BigDecimal.valueOf(MAX_SEED)) > 0) {
            problems.add("seed must be between 0 and " + MAX_SEED + " (got " + Json.number(node) + ")");
            return null;
        }
        return v.longValueExact();
    }

    private static int slider(String field, JsonNode node, List<String> problems) {
        if (node == null) return 0;
        if (!node.isNumber()) {
            problems.add(field + " must be an integer (got " + Json.typeName(node) + ")");
            return 0;
        }
        BigDecimal v = node.decimalValue();
        if (!Json.reasonable(v) || v.compareTo(BigDecimal.valueOf(-100)) < 0 || v.compareTo(BigDecimal.valueOf(100)) > 0) {
            problems.add(field + " must be between -100 and 100 (got " + Json.number(node) + ")");
            return 0;
        }
        if (!isIntegral(v)) {
            problems.add(field + " must be an integer (got " + Json.number(node) + ")");
            return 0;
        }
        return v.intValueExact();
    }

    private static Optional<String> oneOf(String field, JsonNode node, boolean required,
                                                    List<String> values, List<String> problems) {
        String rule = field + " must be one of " + String.join(", ", values);
        if (node == null) {
            if (required) problems.add(field + " is required (one of " + String.join(", ", values) + ")");
            return Optional.empty();
        }
        if (!node.isTextual()) {
            problems.add(rule + " (got " + Json.typeName(node) + ")");
            return Optional.empty();
        }
        if (!values.contains(node.textValue())) {
            problems.add(rule + " (got " + Json.quote(node.textValue()) + ")");
            return Optional.empty();
        }
        return Optional.of(node.textValue());
    }

    private List<StyleRef> styles(String field, JsonNode node, String accountId, List<String> problems) {
        List<StyleRef> out = new ArrayList<>();
        List<JsonNode> items = items(field, node, Integer.MAX_VALUE, problems);
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            String at = field + "[" + i + "]";
            if (!item.isObject()) {
                problems.add(at + " must be an object with id and strength (got " + Json.typeName(item) + ")");
                continue;
            }
            String id = requiredString(at + ".id", item.get("id"), problems);
            Double strength = number(at + ".strength", item.get("strength"), true, -2, 2, problems);
            String refused = id == null || strength == null ? null : styles.problem(accountId, id, strength);
            if (refused != null) problems.add(at + ".id " + Json.quote(id) + " " + refused);
            if (id != null && strength != null) out.add(new StyleRef(id, strength));
        }
        return out;
    }

    private static List<ImageStyleRef> imageStyleReferences(String field, JsonNode node, List<String> problems) {
        List<ImageStyleRef> out = new ArrayList<>();
        List<JsonNode> items = items(field, node, MAX_IMAGE_STYLE_REFERENCES, problems);
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            String at = field + "[" + i + "]";
            if (!item.isObject()) {
                problems.add(at + " must be an object with url and strength (got " + Json.typeName(item) + ")");
                continue;
            }
            String url = requiredString(at + ".url", item.get("url"), problems);
            if (url != null && !HttpUrls.isHttpUrl(url)) {
                problems.add(at + ".url must be an absolute http or https URL (got " + Json.quote(url) + ")");
                url = null;
            }
            Double strength = number(at + ".strength", item.get("strength"), false, 0, 1, problems);
            if (url != null && strength != null) {
                out.add(new ImageStyleRef(url, strength.isNaN() ? DEFAULT_REFERENCE_STRENGTH : strength));
            }
        }
        return out;
    }

    private List<MoodboardRef> moodboards(JsonNode node, String accountId, List<String> problems) {
        List<MoodboardRef> out = new ArrayList<>();
        List<JsonNode> items = items("moodboards", node, MAX_MOODBOARDS, problems);
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            String at = "moodboards[" + i + "]";
            if (!item.isObject()) {
                problems.add(at + " must be an object with id and strength (got " + Json.typeName(item) + ")");
                continue;
            }
            String id = requiredString(at + ".id", item.get("id"), problems);
            if (id != null && !isUuid(id)) {
                problems.add(at + ".id must be a UUID (got " + Json.quote(id) + ")");
                id = null;
            } else if (id != null && !moodboardUsable.test(accountId, id)) {
                problems.add(at + ".id " + Json.quote(id) + " is not a moodboard you can use");
                id = null;
            }
            Double strength = number(at + ".strength", item.get("strength"), false, 0, 1, problems);
            if (id != null && strength != null) {
                out.add(new MoodboardRef(id, strength.isNaN() ? DEFAULT_MOODBOARD_STRENGTH : strength));
            }
        }
        return out;
    }

    /** The items of an optional array field, or none after reporting why it is not a valid array. */
    private static List<JsonNode> items(String field, JsonNode node, int maxItems, List<String> problems) {
        if (node == null) return List.of();
        if (!node.isArray()) {
            problems.add(field + " must be an array (got " + Json.typeName(node) + ")");
            return List.of();
        }
        if (node.size() > maxItems) {
            problems.add(field + " must have at most " + maxItems + " item" + (maxItems == 1 ? "" : "s")
                    + " (got " + node.size() + ")");
            return List.of();
        }
        List<JsonNode> list = new ArrayList<>();
        node.forEach(list::add);
        return list;
    }

    private static String requiredString(String field, JsonNode node, List<String> problems) {
        if (node == null) {
            problems.add(field + " is required");
            return null;
        }
        if (!node.isTextual()) {
            problems.add(field + " must be a string (got " + Json.typeName(node) + ")");
            return null;
        }
        return node.textValue();
    }

    /** A number within [min, max]; NaN stands for "absent, use the default" when not required. */
    private static Double number(String field, JsonNode node, boolean required, double min, double max,
                                 List<String> problems) {
        if (node == null) {
            if (required) {
                problems.add(field + " is required");
                return null;
            }
            return Double.NaN;
        }
        if (!node.isNumber()) {
            problems.add(field + " must be a number (got " + Json.typeName(node) + ")");
            return null;
        }
        BigDecimal v = node.decimalValue();
        if (!Json.reasonable(v) || v.compareTo(BigDecimal.valueOf(min)) < 0 || v.compareTo(BigDecimal.valueOf(max)) > 0) {
            problems.add(field + " must be between " + fmt(min) + " and " + fmt(max) + " (got " + Json.number(node) + ")");
            return null;
        }
        return v.doubleValue();
    }

    private static boolean isUuid(String s) {
        if (s.length() != 36) return false;
        try {
            UUID.fromString(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean isIntegral(BigDecimal v) {
        return v.signum() == 0 || v.stripTrailingZeros().scale() <= 0;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
