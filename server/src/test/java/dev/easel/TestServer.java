package dev.easel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real easel on a free port over a real SQLite file in a temporary directory (in the PostgreSQL run:
 * a PostgreSQL database and an S3 bucket), and an HTTP client for it. Every HTTP test starts its
 * servers through here.
 */
public final class TestServer extends ApiClient implements AutoCloseable {
    public static final String GENERATE = "/generate/image/krea/krea-2/medium";
    public static final String SIMPLE_BODY = "{\"prompt\":\"An igloo village glowing with Aurora's colors.\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\"}";

    public final Easel easel;
    public final Path dataDir;
    public final Clock clock;
    /** Whether close() removes the data dir: a temporary one this class made. */
    private boolean ownsDataDir;

    private TestServer(Easel easel, Path dataDir, Clock clock) {
        super("http://127.0.0.1:" + easel.port());
        this.easel = easel;
        this.dataDir = dataDir;
        this.clock = clock;
    }

    /** A server over a new temporary data dir, removed again by {@link #close()}. */
    public static TestServer start(int workers, long stepMs, Clock clock, String... moreFlags) {
        Path dir = tempDir("easel-test-");
        try {
            TestServer server = start(dir, workers, stepMs, clock, Duration.ofMinutes(10), moreFlags);
            server.ownsDataDir = true;
            return server;
        } catch (RuntimeException | Error e) {
            deleteTree(dir);
            throw e;
        }
    }

    /** Stops this server and starts another over the same data dir (which the new one removes when it closes, if this one would have). */
    public TestServer restart(int workers, long stepMs, String... moreFlags) {
        easel.close();
        TestServer next = start(dataDir, workers, stepMs, clock, Duration.ofMinutes(10), moreFlags);
        next.ownsDataDir = ownsDataDir;
        ownsDataDir = false;
        return next;
    }

    /** A new temporary directory, in memory (/dev/shm) where the machine has it: fsync there costs nothing. */
    public static Path tempDir(String prefix) {
        try {
            Path shm = Path.of("/dev/shm");
            return Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, prefix) : Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes a directory and everything in it. */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try (var all = Files.walk(dir)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TestServer start(Path dataDir, int workers, long stepMs, Clock clock, Duration jobTimeout,
                                   String... moreFlags) {
        List<String> args = new ArrayList<>(List.of("--port", "0", "--data-dir", dataDir.toString(), "--workers",
                Integer.toString(workers), "--sketch-step-ms", Long.toString(stepMs), "--job-timeout-s",
                Long.toString(jobTimeout.toSeconds()), "--allow-private-targets"));
        args.addAll(scaleOutFlags(dataDir, moreFlags));
        args.addAll(List.of(moreFlags));
        return new TestServer(Easel.start(Config.parse(args, Map.of()), clock), dataDir, clock);
    }

    /** {@code easel worker} over {@code dataDir}: workers, and only health, readiness and metrics on HTTP. */
    public static TestServer startWorker(Path dataDir, int workers, long stepMs, Clock clock, String... moreFlags) {
        List<String> args = new ArrayList<>(List.of("--port", "0", "--data-dir", dataDir.toString(), "--workers",
                Integer.toString(workers), "--sketch-step-ms", Long.toString(stepMs), "--allow-private-targets"));
        args.addAll(scaleOutFlags(dataDir, moreFlags));
        args.addAll(List.of(moreFlags));
        return new TestServer(Easel.startWorker(Config.parse(args, Map.of()), clock), dataDir, clock);
    }

    /**
     * In the PostgreSQL run, a server is a scale-out node: its database on PostgreSQL and its files in an
     * s3proxy bucket (one of each per data dir, unless the test names its own with --db or --blobs).
     */
    private static List<String> scaleOutFlags(Path dataDir, String... moreFlags) {
        List<String> flags = new ArrayList<>();
        if (!TestPostgres.enabled()) return flags;
        if (!List.of(moreFlags).contains("--db")) flags.addAll(List.of("--db", TestPostgres.get().databaseFor(dataDir)));
        if (!List.of(moreFlags).contains("--blobs")) flags.addAll(TestS3.get().flags(TestS3.get().bucketFor(dataDir)));
        return flags;
    }

    /** The dev account's key, created at first start. */
    public String devKey() {
        try {
            return Files.readString(dataDir.resolve("dev-api-key")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates an account through the admin API and returns its API key. */
    public String account(String creditsUsd, int maxConcurrent, int maxBacklog) {
        Response r = send("POST", "/admin/accounts", "{\"name\":\"test\",\"credits_usd\":" + creditsUsd
                + ",\"max_concurrent_jobs\":" + maxConcurrent + ",\"max_backlog\":" + maxBacklog + "}",
                Map.of("Authorization", "Bearer " + easel.adminToken()));
        if (r.status() != 201) throw new IllegalStateException("account creation failed: " + r.body());
        return r.json().get("api_key").asText();
    }

    @Override
    public void close() {
        easel.close();
        if (ownsDataDir) deleteTree(dataDir);
    }

    public static void sleep(long ms) {
        ApiClient.sleep(ms);
    }

    /**
     * Waits until {@code done} holds: an observable state, looked at every few milliseconds, never a
     * fixed sleep; fails with {@code what} after 30 s (or {@code limit}).
     */
    public static void await(String what, java.util.function.BooleanSupplier done) {
        await(what, Duration.ofSeconds(30), done);
    }

    public static void await(String what, Duration limit, java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within " + limit.toSeconds() + " s: " + what);
            ApiClient.sleep(10);
        }
    }

    public record Response(int status, java.net.http.HttpHeaders headers, byte[] bytes) {
        public String body() {
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(bytes);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body());
            }
        }

        public String error() {
            return json().get("error").asText();
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    public static ObjectNode object(String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
