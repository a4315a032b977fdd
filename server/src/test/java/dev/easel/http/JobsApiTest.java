package dev.easel.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.MutableClock;
import dev.easel.TestServer;
import dev.easel.json.Json;
import dev.easel.jobs.Job;
import dev.easel.jobs.JobService;
import dev.easel.jobs.JobStatus;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class JobsApiTest {
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
    TestServer server;

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    static List<String> ids(JsonNode page) {
        List<String> out = new ArrayList<>();
        page.get("items").forEach(j -> out.add(j.get("job_id").asText()));
        return out;
    }

    String submit(String key) {
        TestServer.Response r = server.generate(key, TestServer.SIMPLE_BODY);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("job_id").asText();
    }

    @Test
    void jobsAreVisibleOnlyToTheirAccount() {
        server = TestServer.start(0, 0, clock);
        String mine = server.account("1", 2, 2), theirs = server.account("1", 2, 2);
        String id = submit(mine);
        assertThat(server.get(mine, "/jobs/" + id).status()).isEqualTo(200);
        TestServer.Response other = server.get(theirs, "/jobs/" + id);
        assertThat(other.status()).isEqualTo(404);
        assertThat(other.error()).isEqualTo("no job " + id);
        assertThat(server.delete(theirs, "/jobs/" + id).status()).isEqualTo(404);
        assertThat(server.get(theirs, "/jobs/" + id + "/events").status()).isEqualTo(404);
        assertThat(server.get(theirs, "/jobs").json().get("items")).isEmpty();
        assertThat(server.get(mine, "/jobs/" + id).json().get("status").asText()).isEqualTo("queued");
    }

    @Test
    void theJobObjectHasTheDocumentedShape() {
        server = TestServer.start(1, 0, clock);
        String key = server.account("1", 2, 2);
        JsonNode pending = server.generate(key, TestServer.SIMPLE_BODY).json();
        assertThat(pending.get("type").asText()).isEqualTo("krea-2-medium");
        assertThat(pending.get("created_at").asText()).isEqualTo("2026-11-25T12:00:00.000Z");
        JsonNode done = server.awaitStatus(key, pending.get("job_id").asText(), "completed");
        assertThat(done.get("completed_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        JsonNode result = done.get("result");
        assertThat(result.get("width").asInt()).isEqualTo(1024);
        assertThat(result.get("height").asInt()).isEqualTo(1024);
        assertThat(result.get("seed").asLong()).isBetween(0L, (1L << 53) - 1);
        assertThat(result.get("prompt").asText()).startsWith("An igloo village glowing with Aurora's colors");
        String url = result.get("urls").get(0).asText();
        assertThat(url).startsWith(server.base.replace("127.0.0.1", "localhost") + "/images/").endsWith(".png");
        TestServer.Response image = server.send("GET", URI.create(url).getPath(), null, Map.of());
        assertThat(image.status()).as("capability URL needs no bearer").isEqualTo(200);
        assertThat(image.header("Content-Type")).isEqualTo("image/png");
        assertThat(server.send("GET", "/images/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.png", null, Map.of()).status()).isEqualTo(404);
        assertThat(done.has("error")).isFalse();
    }

    /** The playground's re-run: the job's request, with the seed it drew, posted again makes the same image. */
    @Test
    void aJobsRequestPostedAgainMakesTheSameImage() {
        server = TestServer.start(1, 0, clock);
        String key = server.account("1", 2, 2), other = server.account("1", 2, 2);
        String body = "{\"prompt\":\"a fox\",\"aspect_ratio\":\"16:9\",\"resolution\":\"1K\",\"creativity\":\"high\",\"intensity\":40,"
                + "\"styles\":[{\"id\":\"ink\",\"strength\":0.8}]}";
        String first = server.generate(key, body).json().get("job_id").asText();
        JsonNode done = server.awaitStatus(key, first, "completed");
        TestServer.Response request = server.get(key, "/jobs/" + first + "/request");
        assertThat(request.status()).as(request.body()).isEqualTo(200);
        JsonNode r = request.json();
        assertThat(r.get("seed").asLong()).isEqualTo(done.get("result").get("seed").asLong());
        assertThat(r.get("prompt").asText()).isEqualTo("a fox");
        assertThat(r.get("aspect_ratio").asText()).isEqualTo("16:9");
        assertThat(r.get("creativity").asText()).isEqualTo("high");
        assertThat(r.get("intensity").asInt()).isEqualTo(40);
        assertThat(r.get("complexity").asInt()).isZero();
        assertThat(r.get("styles").get(0).get("id").asText()).isEqualTo("ink");
        assertThat(server.get(other, "/jobs/" + first + "/request").status()).isEqualTo(404);

        String again = server.generate(key, request.body()).json().get("job_id").asText();
        JsonNode second = server.awaitStatus(key, again, "completed");
        assertThat(second.get("result").get("prompt").asText()).isEqualTo(done.get("result").get("prompt").asText());
        assertThat(imageBytes(second)).isEqualTo(imageBytes(done));
    }

    private byte[] imageBytes(JsonNode job) {
        return server.send("GET", URI.create(job.get("result").get("urls").get(0).asText()).getPath(), null, Map.of()).bytes();
    }

    @Test
    void listsNewestFirstWithCursorLimitAndFilters() {
        server = TestServer.start(0, 0, clock);
        String key = server.account("10", 10, 10);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) ids.add(submit(key)); // all in the same millisecond of the clock
        server.delete(key, "/jobs/" + ids.get(1));

        JsonNode page1 = server.get(key, "/jobs?limit=2").json();
        assertThat(ids(page1)).containsExactly(ids.get(4), ids.get(3));
        JsonNode page2 = server.get(key, "/jobs?limit=2&cursor=" + page1.get("next_cursor").asText()).json();
        assertThat(ids(page2)).containsExactly(ids.get(2), ids.get(1));
        JsonNode page3 = server.get(key, "/jobs?limit=2&cursor=" + page2.get("next_cursor").asText()).json();
        assertThat(ids(page3)).containsExactly(ids.get(0));
        assertThat(page3.get("next_cursor").isNull()).isTrue();

        assertThat(ids(server.get(key, "/jobs?status=cancelled").json())).containsExactly(ids.get(1));
        assertThat(ids(server.get(key, "/jobs?types=krea-2-medium,other").json())).hasSize(5);
        assertThat(ids(server.get(key, "/jobs?types=other").json())).isEmpty();
        TestServer.Response bad = server.get(key, "/jobs?limit=0&status=done&cursor=yesterday");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.error()).contains("limit must be an integer between 1 and 1000 (got \"0\")",
                "status must be one of backlogged, queued, scheduled, processing, sampling, intermediate-complete, completed, failed, cancelled (got \"done\")",
                "cursor must be an ISO-8601 date-time");
    }

    @ParameterizedTest
    @EnumSource(value = JobStatus.class, names = {"BACKLOGGED", "QUEUED", "SCHEDULED", "PROCESSING", "SAMPLING", "INTERMEDIATE_COMPLETE"})
    void cancelsAJobInEachPendingState(JobStatus state) {
        server = TestServer.start(0, 0, clock);
        String key = server.account("1", 1, 5);
        String first = submit(key);
        String id = state == JobStatus.BACKLOGGED ? submit(key) : first;
        JobService jobs = server.easel.jobs();
        Job claimed = null;
        if (state.isClaimed()) {
            claimed = jobs.claim("test-worker/0").orElseThrow();
            if (state != JobStatus.SCHEDULED) assertThat(jobs.progress(claimed, JobStatus.PROCESSING, null, null, null)).isTrue();
            if (state == JobStatus.SAMPLING || state == JobStatus.INTERMEDIATE_COMPLETE) assertThat(jobs.progress(claimed, JobStatus.SAMPLING, 1, 8, null)).isTrue();
            if (state == JobStatus.INTERMEDIATE_COMPLETE) assertThat(jobs.progress(claimed, state, 4, 8, null)).isTrue();
        }
        assertThat(server.get(key, "/jobs/" + id).json().get("status").asText()).isEqualTo(state.wire);

        JsonNode cancelled = server.delete(key, "/jobs/" + id).json();
        assertThat(cancelled.get("status").asText()).isEqualTo("cancelled");
        assertThat(cancelled.get("completed_at").isNull()).isFalse();
        if (claimed != null) {
            // the worker that held it is fenced out: its next step and its completion are refused
            assertThat(jobs.progress(claimed, JobStatus.SAMPLING, 5, 8, null)).isFalse();
            assertThat(jobs.complete(claimed, "AAAAAAAAAAAAAAAAAAAA", new Job.Result(1, "x", 1, 1, dev.easel.expand.Expansion.Kind.BUILTIN))).isFalse();
        }
        assertThat(server.get(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("cancelled");
        JsonNode account = server.get(key, "/account").json();
        assertThat(account.get("balance_usd").decimalValue()).isEqualByComparingTo("1");
    }

    @Test
    void cancellingStopsARunningRenderAtItsNextStep() {
        server = TestServer.start(1, 200, clock);
        String key = server.account("1", 1, 5);
        String id = submit(key);
        server.awaitStatus(key, id, "sampling");
        assertThat(server.delete(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("cancelled");
        // the slot is free at once and the single worker moves on to the next job
        String next = submit(key);
        assertThat(server.awaitStatus(key, next, "completed").get("status").asText()).isEqualTo("completed");
        assertThat(server.get(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("cancelled");
        assertThat(server.get(key, "/account").json().get("balance_usd").decimalValue()).isEqualByComparingTo("0.97");
    }

    @Test
    void deletingATerminalJobRemovesItAndItsImage() {
        server = TestServer.start(1, 0, clock);
        String key = server.account("1", 1, 5);
        String id = submit(key);
        JsonNode done = server.awaitStatus(key, id, "completed");
        String path = URI.create(done.get("result").get("urls").get(0).asText()).getPath();
        assertThat(server.send("GET", path, null, Map.of()).status()).isEqualTo(200);
        TestServer.Response deleted = server.delete(key, "/jobs/" + id);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().get("status").asText()).isEqualTo("completed");
        assertThat(server.get(key, "/jobs/" + id).status()).isEqualTo(404);
        assertThat(server.send("GET", path, null, Map.of()).status()).isEqualTo(404);
        assertThat(server.delete(key, "/jobs/" + id).status()).isEqualTo(404);
    }

    @Test
    void idempotencyKeyReplaysTheSameRequestAndRefusesAnotherFor24Hours() {
        server = TestServer.start(0, 0, clock);
        String key = server.account("1", 5, 5);
        Map<String, String> h = Map.of("Authorization", "Bearer " + key, "Idempotency-Key", "order-42");
        TestServer.Response first = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY, h);
        TestServer.Response again = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY, h);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("job_id")).isEqualTo(first.json().get("job_id"));
        assertThat(server.get(key, "/account").json().get("reserved_usd").decimalValue()).as("reserved once").isEqualByComparingTo("0.03");

        TestServer.Response different = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY.replace("1:1", "4:3"), h);
        assertThat(different.status()).isEqualTo(409);
        assertThat(different.error()).contains("Idempotency-Key order-42 was already used with a different request");

        String otherAccount = server.account("1", 5, 5);
        TestServer.Response elsewhere = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY,
                Map.of("Authorization", "Bearer " + otherAccount, "Idempotency-Key", "order-42"));
        assertThat(elsewhere.json().get("job_id")).as("keys are per account").isNotEqualTo(first.json().get("job_id"));

        clock.advance(Duration.ofHours(24).plusSeconds(1));
        TestServer.Response later = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY.replace("1:1", "4:3"), h);
        assertThat(later.status()).isEqualTo(200);
        assertThat(later.json().get("job_id")).isNotEqualTo(first.json().get("job_id"));
    }

    @Test
    void deprecatedAliasesWorkUntilTheirSunset() {
        clock.set(Instant.parse("2026-06-19T23:59:59Z"));
        server = TestServer.start(0, 0, clock);
        String key = server.account("10", 10, 10);
        TestServer.Response r = server.generate(key, "{\"prompt\":\"a\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\","
                + "\"presetStyles\":[{\"id\":\"ink\",\"strength\":1}],\"imageStyleRefs\":[{\"url\":\"https://e.test/a.png\"}]}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.header("Deprecation")).isEqualTo("true");
        assertThat(r.header("Sunset")).isEqualTo("Fri, 19 Jun 2026 23:59:59 GMT");
        Job job = server.easel.jobs().get(server.get(key, "/account").json().get("id").asText(), r.json().get("job_id").asText()).orElseThrow();
        assertThat(job.request().styles()).hasSize(1);
        assertThat(job.request().imageStyleReferences()).hasSize(1);
        assertThat(job.priceMicros()).as("the alias is priced as its replacement").isEqualTo(35_000);

        TestServer.Response bad = server.generate(key, "{\"prompt\":\"a\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\","
                + "\"presetStyles\":[{\"id\":\"nope\",\"strength\":1}]}");
        assertThat(bad.error()).isEqualTo("presetStyles[0].id \"nope\" is not a style you can use");

        TestServer.Response both = server.generate(key, "{\"prompt\":\"a\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\","
                + "\"presetStyles\":[],\"styles\":[]}");
        assertThat(both.status()).isEqualTo(400);
        assertThat(both.error()).isEqualTo("presetStyles and styles cannot both be given: use styles");

        TestServer.Response plain = server.generate(key, TestServer.SIMPLE_BODY);
        assertThat(plain.header("Deprecation")).isNull();

        clock.set(Instant.parse("2026-06-20T00:00:00Z"));
        TestServer.Response after = server.generate(key, "{\"prompt\":\"a\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\","
                + "\"imageStyleRefs\":[{\"url\":\"https://e.test/a.png\"}]}");
        assertThat(after.status()).isEqualTo(400);
        assertThat(after.error()).isEqualTo("imageStyleRefs is no longer accepted since 2026-06-20: use image_style_references");
    }

    @Test
    void eventsStreamEveryChangeUntilTheEnd() throws Exception {
        server = TestServer.start(1, 30, clock);
        String key = server.account("1", 1, 5);
        String id = submit(key);
        HttpRequest req = HttpRequest.newBuilder(URI.create(server.base + "/jobs/" + id + "/events"))
                .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(30)).build();
        HttpResponse<java.io.InputStream> res = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<JsonNode> events = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("data: ")) events.add(Json.MAPPER.readTree(line.substring(6)));
            }
        }
        List<String> statuses = events.stream().map(e -> e.get("status").asText()).distinct().toList();
        assertThat(statuses.get(statuses.size() - 1)).isEqualTo("completed");
        assertThat(statuses).contains("sampling", "intermediate-complete");
        List<JobStatus> order = statuses.stream().map(s -> JobStatus.fromWire(s).orElseThrow()).toList();
        assertThat(order).isSorted();
        assertThat(events.stream().filter(e -> e.has("progress")).map(e -> e.get("progress").get("step").asInt()).toList())
                .contains(8).isSorted();
    }
}
