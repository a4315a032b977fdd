package dev.easel.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The one Jackson configuration of the project, and the one format of times on the wire. */
public final class Json {
    private Json() {}

    /** For writing responses and stored JSON: BigDecimal as plain numbers (0.03, never 3E-2). */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** For reading request bodies: duplicate keys and trailing garbage are errors, numbers kept exact. */
    public static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .build();

    /** ISO-8601 in UTC with milliseconds, e.g. 2026-11-25T10:15:30.123Z. */
    public static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    public static String time(Instant t) {
        return t == null ? null : TIME.format(t);
    }

    /** What a user sent, for a message: "a string", "an array", … ("nothing" when absent). */
    public static String typeName(JsonNode node) {
        if (node == null) return "nothing";
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL, MISSING -> "null";
            case BINARY -> "binary data";
        };
    }

    /** A user value quoted as JSON for a message, cut to a readable length; {@code nothing} when null. */
    public static String quote(String s) {
        if (s == null) return "nothing";
        try {
            return MAPPER.writeValueAsString(s.length() <= 100 ? s : s.substring(0, 100) + "…");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return "\"?\"";
        }
    }

    /**
     * A number as the user wrote it, for a message, without expanding it: {@code 1E-999999999} stays
     * short (written plain, it would be a gigabyte).
     */
    public static String number(JsonNode node) {
        String s = node.asText();
        if (node.isBigDecimal()) {
            BigDecimal v = node.decimalValue();
            s = Math.abs((long) v.scale()) <= 50 ? v.toPlainString() : v.toString();
        }
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    /**
     * Whether a number is of a size any field of the API could take: at most 40 significant digits
     * and an exponent within ±40. Checked before any arithmetic on a user's number, since BigDecimal
     * work on {@code 1E-999999999} takes gigabytes.
     */
    public static boolean reasonable(BigDecimal v) {
        return v.precision() <= 40 && Math.abs((long) v.scale()) <= 40 + v.precision();
    }
}
