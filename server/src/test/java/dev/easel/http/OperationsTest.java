package dev.easel.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.MutableClock;
import dev.easel.TestServer;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OperationsTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(1, 0, new MutableClock(Instant.parse("2026-11-25T12:00:00Z")));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void healthAndReadiness() {
        assertThat(server.send("GET", "/healthz", null, Map.of()).json().get("status").asText()).isEqualTo("ok");
        assertThat(server.send("GET", "/readyz", null, Map.of()).json().get("status").asText()).isEqualTo("ready");
    }

    @Test
    void metricsInPrometheusFormat() {
        String key = server.devKey();
        String id = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
        server.awaitStatus(key, id, "completed");
        TestServer.Response r = server.send("GET", "/metrics", null, Map.of());
        assertThat(r.header("Content-Type")).startsWith("text/plain");
        assertThat(r.body()).contains("easel_jobs{status=\"completed\"}", "easel_queue_depth", "easel_render_seconds_count", "easel_webhooks_pending",
                "http_server_requests_seconds_count{method=\"POST\",route=\"/generate/image/krea/krea-2/medium\",status=\"200\"}");
    }

    @Test
    void openApiDescribesTheGenerateEndpoint() {
        JsonNode doc = server.send("GET", "/openapi.json", null, Map.of()).json();
        JsonNode body = doc.at("/paths/~1generate~1image~1krea~1krea-2~1medium/post/requestBody/content/application~1json/schema");
        assertThat(body.get("additionalProperties").asBoolean()).isFalse();
        assertThat(body.get("required")).extracting(JsonNode::asText).containsExactly("prompt", "aspect_ratio", "resolution");
        assertThat(doc.at("/paths/~1jobs~1{id}/get").isMissingNode()).isFalse();
        assertThat(doc.at("/paths/~1account/get").isMissingNode()).isFalse();
    }

    /** The playground's page and files: from this origin only, never framed, and nothing else under /playground/. */
    @Test
    void thePlaygroundIsServedWithItsFilesAndAStrictPolicy() {
        TestServer.Response page = server.send("GET", "/", null, Map.of());
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).isEqualToIgnoringWhitespace("text/html; charset=utf-8");
        assertThat(page.header("Content-Security-Policy")).contains("default-src 'self'", "frame-ancestors 'none'");
        assertThat(page.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(page.body()).contains("<script type=\"module\" src=\"/playground/app.js\">").doesNotContain("http://", "https://");
        for (String file : new String[] {"app.js", "api.js", "app.css"}) {
            TestServer.Response r = server.send("GET", "/playground/" + file, null, Map.of());
            assertThat(r.status()).as(file).isEqualTo(200);
            assertThat(r.body()).as(file + " loads nothing from another origin").doesNotContain("http://", "https://", "@import");
        }
        assertThat(server.send("GET", "/playground/app.js", null, Map.of()).header("Content-Type")).isEqualToIgnoringWhitespace("text/javascript; charset=utf-8");
        TestServer.Response missing = server.send("GET", "/playground/..%2Fopenapi.yaml", null, Map.of());
        assertThat(missing.status()).isEqualTo(404);
        assertThat(server.send("GET", "/playground/secret.txt", null, Map.of()).error()).isEqualTo("no such file of the playground: secret.txt");
    }

    /** The playground shows prices from the document: they must be the ones the server charges. */
    @Test
    void openApiCarriesThePricesCharged() {
        JsonNode tiers = server.send("GET", "/openapi.json", null, Map.of()).json()
                .at("/paths/~1generate~1image~1krea~1krea-2~1medium/post/x-easel-price-tiers");
        for (dev.easel.billing.PriceTier t : dev.easel.billing.PriceTier.values()) {
            assertThat(tiers.get(t.name().toLowerCase(java.util.Locale.ROOT)).decimalValue())
                    .as(t.name()).isEqualByComparingTo(java.math.BigDecimal.valueOf(t.micros, 6));
        }
    }

    /** Every path and method in /openapi.json is a route the server has (none answers "no such route"). */
    @Test
    void everyDocumentedRouteExists() {
        JsonNode doc = server.send("GET", "/openapi.json", null, Map.of()).json();
        int checked = 0;
        for (var path = doc.get("paths").properties().iterator(); path.hasNext(); ) {
            var p = path.next();
            String concrete = p.getKey().replace("{id}", "3b241101-e2bb-4255-8caf-4136c566a962").replace("{file}", "x.png");
            for (var method = p.getValue().fieldNames(); method.hasNext(); ) {
                String m = method.next().toUpperCase(java.util.Locale.ROOT);
                TestServer.Response r = server.send(m, concrete, m.equals("GET") || m.equals("DELETE") ? null : "{}", Map.of());
                assertThat(r.body()).as(m + " " + p.getKey()).doesNotContain("Endpoint " + m + " " + concrete + " not found");
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(20);
        assertThat(doc.at("/webhooks/jobEnded/post/requestBody/content/application~1json/schema/$ref").asText())
                .isEqualTo("#/components/schemas/Job");
    }

    @Test
    void unknownRoutesAnswerJson() {
        TestServer.Response r = server.send("GET", "/no/such/route", null, Map.of());
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("error").asText()).isNotBlank();
    }

    @Test
    void everyResponseCarriesARequestId() {
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < 20; i++) {
            java.util.UUID id = java.util.UUID.fromString(server.send("GET", "/healthz", null, Map.of()).header("X-Request-Id"));
            assertThat(id.version()).as("a random (version 4) UUID").isEqualTo(4);
            assertThat(id.variant()).isEqualTo(2);
            ids.add(id.toString());
        }
        assertThat(ids).as("a new id each time").hasSize(20);
        assertThat(server.send("GET", "/healthz", null, Map.of("X-Request-Id", "abc-123")).header("X-Request-Id")).isEqualTo("abc-123");
    }
}
