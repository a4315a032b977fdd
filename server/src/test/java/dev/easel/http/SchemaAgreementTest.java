package dev.easel.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.ValidationMessage;
import dev.easel.MutableClock;
import dev.easel.OpenApiContract;
import dev.easel.TestServer;
import dev.easel.json.Json;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

/**
 * One source of truth: every body the validation suite ({@link GenerateValidationTest}) shows
 * accepted is valid against the request schema of the served {@code /openapi.json}, and every body
 * it shows rejected is invalid there, rule by rule, as a JSON-schema validator (networknt, draft
 * 2020-12) judges. The served document must therefore carry the limits the parser enforces.
 */
class SchemaAgreementTest {
    /**
     * Rules no schema can state: whether an id names a style or moodboard this account may use is
     * a fact of the database (the schema's descriptions say so).
     */
    private static final Set<String> BEYOND_THE_SCHEMA = Set.of("style unknown", "moodboard unknown");

    static TestServer server;
    static OpenApiContract contract;

    @BeforeAll
    static void start() {
        server = TestServer.start(0, 0, new MutableClock(Instant.parse("2026-11-25T12:00:00Z")));
        contract = OpenApiContract.of(server.base);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theServedSchemaRejectsWhatTheParserRejects() {
        List<String> disagreements = new ArrayList<>();
        for (Arguments a : cases(GenerateValidationTest.invalid(), HttpSurfaceCases.invalid())) {
            String rule = (String) a.get()[0], body = (String) a.get()[1];
            if (BEYOND_THE_SCHEMA.contains(rule)) continue;
            JsonNode json = parse(body);
            if (json == null) continue; // not a JSON document: no schema accepts it
            if (contract.validate(OpenApiContract.GENERATE_BODY, json).isEmpty()) disagreements.add(rule + ": the schema accepts " + abbreviate(body));
        }
        assertThat(disagreements).isEmpty();
    }

    @Test
    void theServedSchemaAcceptsWhatTheParserAccepts() {
        List<String> disagreements = new ArrayList<>();
        for (Arguments a : cases(GenerateValidationTest.valid(), HttpSurfaceCases.valid())) {
            String rule = (String) a.get()[0], body = (String) a.get()[1];
            Set<ValidationMessage> problems = contract.validate(OpenApiContract.GENERATE_BODY, parse(body));
            if (!problems.isEmpty()) disagreements.add(rule + ": the schema refuses it: " + problems);
        }
        assertThat(disagreements).isEmpty();
    }

    /** Each extra case is also checked against the server, so that the list says what the parser does. */
    @Test
    void theExtraCasesAreWhatTheServerDoes() {
        String key = server.account("100", 1000, 1000);
        for (Arguments a : HttpSurfaceCases.invalid().toList()) {
            assertThat(server.generate(key, (String) a.get()[1]).status()).as((String) a.get()[0]).isEqualTo(400);
        }
        for (Arguments a : HttpSurfaceCases.valid().toList()) {
            assertThat(server.generate(key, (String) a.get()[1]).status()).as((String) a.get()[0]).isEqualTo(200);
        }
    }

    /**
     * Cases beyond the validation suite's: numbers of any size, whitespace of every kind, URL and UUID
     * shapes. (An integer field with {@code 1E+999999999} is left to {@link HttpSurfaceTest}: networknt
     * 1.5.9 lets it pass {@code maximum: 100}, a fault of the validator, not of the document.)
     */
    static final class HttpSurfaceCases {
        static Stream<Arguments> invalid() {
            return Stream.of(
                    Arguments.of("seed huge exponent", GenerateValidationTest.with("seed", "1E+999999999")),
                    Arguments.of("seed tiny exponent", GenerateValidationTest.with("seed", "1E-999999999")),
                    Arguments.of("prompt of em spaces", GenerateValidationTest.with("prompt", "\"\\u2003\\u3000\\u2028\"")),
                    Arguments.of("reference url without host", GenerateValidationTest.with("image_style_references", "[{\"url\":\"https:///a.png\"}]")),
                    Arguments.of("moodboard id uuid-ish", GenerateValidationTest.with("moodboards", "[{\"id\":\"0b7a4b8e-2f0c-4c1e-9a51-9f2d1c3e4a5bX\"}]")),
                    Arguments.of("complexity as a string", GenerateValidationTest.with("complexity", "\"1\"")));
        }

        static Stream<Arguments> valid() {
            return Stream.of(
                    Arguments.of("prompt after spaces", GenerateValidationTest.with("prompt", "\"\\u00a0 x\"")),
                    Arguments.of("prompt of a no-break space", GenerateValidationTest.with("prompt", "\"\\u00a0\"")),
                    Arguments.of("seed 1E+3", GenerateValidationTest.with("seed", "1E+3")),
                    Arguments.of("reference url in capitals", GenerateValidationTest.with("image_style_references", "[{\"url\":\"HTTPS://E.TEST/A.PNG\"}]")));
        }
    }

    @SafeVarargs
    private static List<Arguments> cases(Stream<Arguments>... streams) {
        List<Arguments> all = new ArrayList<>();
        for (Stream<Arguments> s : streams) s.forEach(all::add);
        return all;
    }

    /** The body as JSON, or null when it is not a JSON document (duplicate keys and trailing garbage count as not). */
    private static JsonNode parse(String body) {
        try {
            return body.isBlank() ? null : Json.STRICT.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
