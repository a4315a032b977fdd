package dev.easel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.TestServer;
import dev.easel.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client commands against a real server over real HTTP: each exit code, the saved file equal to
 * the served PNG, plain output when not on a terminal, and Ctrl-C (a signal to a real process)
 * cancelling the job it waits for.
 */
class CliTest {
    private TestServer server;
    private String key;
    private Path dir;

    @BeforeEach
    void start() {
        server = TestServer.start(1, 300, Clock.systemUTC()); // 2.4 s a job: time to see it sample
        key = server.account("10", 4, 10);
        dir = TestServer.tempDir("easel-cli-");
    }

    @AfterEach
    void stop() {
        server.close();
        TestServer.deleteTree(dir);
    }

    record Run(int code, String out, String err) {}

    /** Waits until the account's newest job samples (the command submitted it and waits on it); returns its id. */
    private String awaitNewestSampling() {
        JsonNode[] page = new JsonNode[1];
        TestServer.await("the command's job samples", () -> {
            page[0] = server.get(key, "/jobs?limit=1").json();
            return page[0].at("/items/0/status").asText().equals("sampling");
        });
        return page[0].at("/items/0/job_id").asText();
    }

    private Run run(String... args) {
        return run(false, args);
    }

    private Run run(boolean terminal, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.contains("--url")) all.addAll(List.of("--url", server.base));
        if (!all.contains("--key")) all.addAll(List.of("--key", key));
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(), terminal);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void generateSavesTheServedPngAndSaysEachStatusOnItsOwnLine() throws Exception {
        Path file = dir.resolve("fox.png");
        Run r = run("generate", "a fox in the snow", "--aspect", "16:9", "--seed", "7", "--style", "ink:0.8", "--creativity", "raw", "-o", file.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith(file + " (seed 7, ");
        List<String> lines = r.err().lines().toList();
        assertThat(lines).as("one plain line per status, no bar").allSatisfy(l -> assertThat(l).startsWith("job ").doesNotContain("\r"));
        assertThat(lines.get(lines.size() - 1)).endsWith("completed");
        assertThat(lines.stream().map(l -> l.split(" ")[2]).toList()).doesNotHaveDuplicates().contains("sampling");
        String id = lines.get(0).split(" ")[1];
        JsonNode job = server.get(key, "/jobs/" + id).json();
        byte[] served = server.send("GET", URI.create(job.at("/result/urls/0").asText()).getPath(), null, Map.of()).bytes();
        assertThat(Files.readAllBytes(file)).isEqualTo(served);
        assertThat(job.at("/result/width").asInt()).isGreaterThan(job.at("/result/height").asInt());
    }

    @Test
    void onATerminalTheStatusIsALiveBar() {
        Run r = run(true, "generate", "a fox", "-o", dir.resolve("bar.png").toString());
        assertThat(r.code()).isZero();
        assertThat(r.err()).contains("\r[").contains("sampling").contains("[##############################] completed");
    }

    @Test
    void noWaitPrintsTheJobAndJobsCommandsReadAndEndIt() throws Exception {
        Run submitted = run("generate", "a fox", "--no-wait", "--json");
        assertThat(submitted.code()).isZero();
        String id = Json.MAPPER.readTree(submitted.out()).get("job_id").asText();
        assertThat(run("jobs", "get", id).out()).contains("\"job_id\" : \"" + id + "\"");
        assertThat(run("jobs", "list", "--limit", "5").out()).contains(id);
        Run cancelled = run("jobs", "cancel", id);
        assertThat(cancelled.out().strip()).isIn(id + " cancelled", id + " completed");
        assertThat(run("account").out()).contains("\"balance_usd\"");
        assertThat(run("completion").out()).contains("complete -F");
    }

    @Test
    void theLibraryAndTheAdminCommands() throws Exception {
        Path lora = dir.resolve("ink.safetensors"), png = dir.resolve("red.png");
        Files.write(lora, new dev.easel.styles.SafetensorsWriter().peftLayer("transformer.transformer_blocks.0.attn.to_q", 4, 16, 16).bytes());
        Files.write(png, dev.easel.engine.png.PngEncoder.encode(8, 8, new byte[8 * 8 * 3], Map.of()));
        Run style = run("styles", "upload", lora.toString(), "--title", "my ink");
        assertThat(style.code()).as(style.err()).isZero();
        String styleId = Json.MAPPER.readTree(style.out()).get("id").asText();
        assertThat(run("styles", "list").out()).contains(styleId + "  my ink");
        Run asset = run("assets", "upload", png.toString(), "--description", "a red square");
        assertThat(asset.code()).as(asset.err()).isZero();
        assertThat(run("assets", "list").out()).contains(Json.MAPPER.readTree(asset.out()).get("id").asText() + "  a red square");
        assertThat(run("styles", "upload", dir.resolve("missing.safetensors").toString()).code()).isEqualTo(Cli.USAGE);

        String admin = server.easel.adminToken();
        Run created = run("admin", "accounts", "create", "acme", "--credits", "2.5", "--max-concurrent", "3", "--admin-token", admin);
        assertThat(created.code()).as(created.err()).isZero();
        JsonNode account = Json.MAPPER.readTree(created.out());
        String id = account.get("id").asText(), newKey = account.get("api_key").asText();
        assertThat(run("account", "--key", newKey).out()).contains("\"max_concurrent_jobs\" : 3");
        assertThat(Json.MAPPER.readTree(run("admin", "accounts", "credit", id, "1.5", "--admin-token", admin).out()).get("balance_usd").decimalValue())
                .isEqualByComparingTo("4.0");
        assertThat(run("admin", "accounts", "keys", id, "--revoke", "--admin-token", admin).out()).contains("\"revoked\" : 1");
        assertThat(run("account", "--key", newKey).code()).isEqualTo(Cli.REFUSED);
        String issued = Json.MAPPER.readTree(run("admin", "accounts", "keys", id, "--issue", "--admin-token", admin).out()).get("api_key").asText();
        assertThat(run("account", "--key", issued).code()).isZero();
        assertThat(run("admin", "accounts", "create", "x", "--admin-token", "wrong").code()).isEqualTo(Cli.REFUSED);
        assertThat(run("admin", "accounts", "keys", id, "--admin-token", admin).code()).as("--issue or --revoke").isEqualTo(Cli.USAGE);
    }

    @Test
    void exitCodesSayWhatHappened() throws Exception {
        Run refused = run("generate", "a fox", "--aspect", "5:4");
        assertThat(refused.code()).isEqualTo(Cli.REFUSED);
        assertThat(refused.err()).contains("(400)").contains("aspect_ratio");

        assertThat(run("generate").code()).as("no prompt").isEqualTo(Cli.USAGE);
        assertThat(run("generate", "a fox", "--seed", "seven").code()).isEqualTo(Cli.USAGE);
        assertThat(run("generate", "a fox", "--key", "easel_nope").code()).isEqualTo(Cli.REFUSED);

        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        Run down = run("generate", "a fox", "--url", "http://127.0.0.1:" + free);
        assertThat(down.code()).isEqualTo(Cli.UNREACHABLE);
        assertThat(down.err()).contains("cannot reach");

        // a reference that is not there fails the job itself
        Run failed = run("generate", "a fox", "--reference", server.base + "/images/nothing-here.png:0.5");
        assertThat(failed.code()).as(failed.err()).isEqualTo(Cli.FAILED);
        assertThat(failed.err()).contains("reference_unavailable");
    }

    @Test
    void aJobCancelledWhileTheCommandWaitsEndsItWithCodeFive() throws Exception {
        Thread canceller = new Thread(() -> server.delete(key, "/jobs/" + awaitNewestSampling()));
        canceller.start();
        Run r = run("generate", "a slow fox");
        canceller.join();
        assertThat(r.code()).isEqualTo(Cli.CANCELLED);
        assertThat(r.err()).contains("was cancelled");
    }

    /** A real process: SIGTERM (as Ctrl-C's SIGINT) while it waits cancels its job, then it exits with 5. */
    @Test
    void interruptingTheCommandCancelsItsJob() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "dev.easel.Main", "generate", "a fox that takes its time", "--url", server.base,
                "--key", key).redirectErrorStream(true).redirectOutput(dir.resolve("said.txt").toFile()).start();
        try {
            String id = awaitNewestSampling();
            p.destroy(); // SIGTERM: the JVM runs its shutdown hooks, as on SIGINT
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String said = Files.readString(dir.resolve("said.txt")); // destroy() closes the process's streams: its output went to a file
            assertThat(p.exitValue()).as(said).isEqualTo(Cli.CANCELLED);
            assertThat(said).contains("cancelling job " + id);
            assertThat(server.get(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("cancelled");
        } finally {
            p.destroyForcibly();
        }
    }
}
