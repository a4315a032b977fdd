package dev.easel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.json.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on one PostgreSQL database (the PostgreSQL run only): an API node without workers, and an
 * {@code easel worker} process that renders. A job submitted to the API node is rendered by the other node's worker,
 * and an SSE stream on the API node follows every step the other node makes, because each node
 * tells the others what it changed (LISTEN/NOTIFY); without that, the stream would see only what
 * its 2 s re-reads happen to catch. Both share one S3 bucket (s3proxy): the image the worker rendered
 * is read through the API node, and straight from the bucket with a presigned URL.
 */
class TwoNodesTest {
    @Test
    void aJobSubmittedToOneNodeIsRenderedAndFollowedAcrossNodes() throws Exception {
        Assumptions.assumeTrue(TestPostgres.enabled(), "several nodes share a PostgreSQL database");
        Path apiDir = TestServer.tempDir("easel-api-node-"), workerDir = TestServer.tempDir("easel-worker-node-"),
                presignDir = TestServer.tempDir("easel-presigning-node-");
        String db = TestPostgres.get().databaseFor(apiDir);
        List<String> bucket = TestS3.get().flags(TestS3.get().bucketFor(apiDir));
        List<String> workerFlags = new ArrayList<>(List.of("--db", db));
        workerFlags.addAll(bucket);
        try (TestServer api = TestServer.start(apiDir, 0, 0, Clock.systemUTC(), java.time.Duration.ofMinutes(10));
             TestServer worker = TestServer.startWorker(workerDir, 1, 150, Clock.systemUTC(), workerFlags.toArray(String[]::new));
             TestServer presigning = TestServer.start(presignDir, 0, 0, Clock.systemUTC(),
                     java.time.Duration.ofMinutes(10), concat(List.of("--db", db, "--blob-urls", "presigned"), bucket))) {
            assertThat(worker.send("GET", "/healthz", null, Map.of()).status()).isEqualTo(200);
            assertThat(worker.send("GET", "/metrics", null, Map.of()).status()).isEqualTo(200);
            assertThat(worker.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY, Map.of()).status()).as("a worker has no API").isEqualTo(404);
            String key = api.account("1", 1, 1);
            String id = api.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
            List<JsonNode> events = new ArrayList<>();
            HttpResponse<java.io.InputStream> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api.base + "/jobs/" + id + "/events"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader r = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) if (line.startsWith("data: ")) events.add(Json.MAPPER.readTree(line.substring(6)));
            }
            JsonNode last = events.get(events.size() - 1);
            assertThat(last.get("status").asText()).isEqualTo("completed");
            TreeSet<Integer> steps = new TreeSet<>();
            for (JsonNode e : events) if (e.has("progress")) steps.add(e.get("progress").get("step").asInt());
            assertThat(steps).as("the API node's stream saw the worker node's steps: %s", events).hasSizeGreaterThanOrEqualTo(6);
            assertThat(worker.send("GET", "/readyz", null, Map.of()).json().get("engine").asText()).isEqualTo("sketch");

            // the image lives in the shared bucket: the API node serves it, and a presigning node hands out bucket URLs
            String url = api.get(key, "/jobs/" + id).json().get("result").get("urls").get(0).asText();
            assertThat(url).isEqualTo("http://localhost:" + api.easel.port() + "/images/" + url.substring(url.lastIndexOf('/') + 1));
            byte[] served = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray()).body();
            assertThat(served).startsWith(0x89, 'P', 'N', 'G');
            String signed = presigning.get(key, "/jobs/" + id).json().get("result").get("urls").get(0).asText();
            assertThat(signed).startsWith(TestS3.get().endpoint().toString()).contains("X-Amz-Signature=");
            HttpResponse<byte[]> direct = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(signed)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(direct.statusCode()).isEqualTo(200);
            assertThat(direct.body()).isEqualTo(served);
            assertThat(direct.headers().firstValue("Content-Type")).contains("image/png");
        } finally {
            TestServer.deleteTree(apiDir);
            TestServer.deleteTree(workerDir);
            TestServer.deleteTree(presignDir);
        }
    }

    private static String[] concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all.toArray(String[]::new);
    }
}
