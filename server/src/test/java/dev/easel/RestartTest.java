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
            first.destroyForcibly().waitFor();
            if (second != null) second.destroyForcibly().waitFor();
            TestServer.deleteTree(dataDir);
        }
    }

    /**
     * The webhooks of jobs that ended before the kill arrive after the restart: one whose attempt was
     * in flight (the receiver was hanging) and others still waiting in the outbox.
     */
    @Test
    void aKilledServerDeliversEveryWebhookAfterItsRestart() throws Exception {
        Path dataDir = Files.createTempDirectory("easel-restart-hooks-");
        int port = freePort();
        List<String> flags = List.of("--sketch-step-ms", "0", "--allow-private-targets", "--webhook-concurrency", "1");
        Process first = startProcess(dataDir, port, flags);
        Process second = null;
        try (RemoteSite receiver = new RemoteSite()) {
            receiver.reply = r -> RemoteSite.Reply.HANG;
            Client c = new Client(port);
            c.awaitUp();
            String key = Files.readString(dataDir.resolve("dev-api-key")).strip();
            Map<String, String> hook = Map.of("Authorization", "Bearer " + key, "X-Webhook-URL", receiver.url("/hook"));
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                TestServer.Response r = c.server.send("POST", TestServer.GENERATE, TestServer.SIMPLE_BODY, hook);
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                ids.add(r.json().get("job_id").asText());
            }
            for (String id : ids) c.awaitStatus(key, id, "completed");
            receiver.await(r -> r.size() == 1); // one attempt hangs; the other two wait for its slot
            first.destroyForcibly().waitFor();

            receiver.reply = r -> RemoteSite.Reply.status(200);
            second = startProcess(dataDir, port, flags);
            c.awaitUp();
            for (String id : ids) {
                JsonNode h = c.awaitWebhook(key, id, "delivered");
                assertThat(h.get("attempts").get(h.get("attempts").size() - 1).get("status_code").asInt()).isEqualTo(200);
                byte[] asGet = c.server.get(key, "/jobs/" + id).bytes();
                assertThat(receiver.received.stream().filter(r -> java.util.Arrays.equals(r.body(), asGet)))
                        .as("job %s delivered exactly as GET returns it", id).isNotEmpty();
            }
        } finally {
            first.destroyForcibly().waitFor();
            if (second != null) second.destroyForcibly().waitFor();
            TestServer.deleteTree(dataDir);
        }
    }

    static Process startProcess(Path dataDir, int port) throws IOException {
        return startProcess(dataDir, port, List.of("--sketch-step-ms", "60"));
    }

    static Process startProcess(Path dataDir, int port, List<String> flags) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), "dev.easel.Main",
                "serve", "--port", Integer.toString(port), "--data-dir", dataDir.toString(), "--workers", "2", "--lease-s", "5"));
        command.addAll(flags);
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("server.log").toFile())).start();
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

        JsonNode awaitWebhook(String key, String id, String status) {
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            JsonNode h = null;
            while (Instant.now().isBefore(deadline)) {
                h = server.get(key, "/jobs/" + id + "/webhook").json();
                if (h.get("status").asText().equals(status)) return h;
                TestServer.sleep(20);
            }
            throw new AssertionError("the webhook of job " + id + " did not reach " + status + "; last seen: " + h);
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
