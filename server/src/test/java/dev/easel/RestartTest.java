package dev.easel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Kills a real easel process (SIGKILL, no shutdown hook) with jobs in every state, starts a new one
 * on the same data dir, and checks that no job and no money was lost.
 */
class RestartTest {
    @Test
    void aKilledServerLosesNoJobAndNoMoney() throws Exception {
        Path dataDir = Files.createTempDirectory("easel-restart-");
        int port = freePort();
        Process first = startProcess(dataDir, port);
        Process second = null;
        try {
            Client c = new Client(port);
            c.awaitUp();
            String key = Files.readString(dataDir.resolve("dev-api-key")).strip(); // 10 USD, limits 2 / 20
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 8; i++) ids.add(c.submit(key));
            String cancelled = ids.get(7);
            assertThat(c.delete(key, cancelled)).isEqualTo("cancelled");
            // wait until one job is done and others are mid-render, then kill without warning
            c.awaitStatus(key, ids.get(0), "completed");
            c.awaitAny(key, ids, List.of("sampling", "intermediate-complete"));
            first.destroyForcibly().waitFor();

            second = startProcess(dataDir, port);
            c.awaitUp();
            Map<String, String> before = c.statuses(key, ids);
            assertThat(before.keySet()).containsExactlyInAnyOrderElementsOf(ids);
            for (String id : ids) {
                if (!id.equals(cancelled)) c.awaitStatus(key, id, "completed");
            }
            assertThat(c.status(key, cancelled)).isEqualTo("cancelled");
            JsonNode account = c.server.get(key, "/account").json();
            assertThat(account.get("balance_usd").decimalValue()).as("7 completed jobs charged exactly once")
                    .isEqualByComparingTo("9.79");
            assertThat(account.get("reserved_usd").decimalValue()).isEqualByComparingTo("0");
            assertThat(account.get("running_jobs").asInt()).isZero();
            assertThat(account.get("waiting_jobs").asInt()).isZero();
        } finally {
            first.destroyForcibly();
            if (second != null) second.destroyForcibly().waitFor();
        }
    }

    static Process startProcess(Path dataDir, int port) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.easel.Main", "serve",
                "--port", Integer.toString(port), "--data-dir", dataDir.toString(), "--workers", "2",
                "--sketch-step-ms", "60", "--lease-s", "5")
                .redirectErrorStream(true).redirectOutput(dataDir.resolve("server.log").toFile()).start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The assertions of this test over an {@link ApiClient} to the server process. */
    static final class Client {
        final ApiClient server;

        Client(int port) {
            this.server = new ApiClient("http://127.0.0.1:" + port);
        }

        void awaitUp() {
            Instant deadline = Instant.now().plusSeconds(60);
            while (Instant.now().isBefore(deadline)) {
                try {
                    if (server.send("GET", "/readyz", null, Map.of()).status() == 200) return;
                } catch (RuntimeException e) {
                    // not listening yet
                }
                TestServer.sleep(100);
            }
            throw new AssertionError("server did not start");
        }

        String submit(String key) {
            TestServer.Response r = server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY, Map.of("Authorization", "Bearer " + key));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            return r.json().get("job_id").asText();
        }

        String delete(String key, String id) {
            return server.send("DELETE", "/jobs/" + id, null, Map.of("Authorization", "Bearer " + key)).json().get("status").asText();
        }

        String status(String key, String id) {
            return server.get(key, "/jobs/" + id).json().get("status").asText();
        }

        Map<String, String> statuses(String key, List<String> ids) {
            Map<String, String> out = new java.util.HashMap<>();
            for (String id : ids) out.put(id, status(key, id));
            return out;
        }

        void awaitStatus(String key, String id, String status) {
            awaitAny(key, List.of(id), List.of(status));
        }

        void awaitAny(String key, List<String> ids, List<String> statuses) {
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            while (Instant.now().isBefore(deadline)) {
                for (String id : ids) if (statuses.contains(status(key, id))) return;
                TestServer.sleep(5);
            }
            throw new AssertionError("no job reached " + statuses);
        }
    }
}
