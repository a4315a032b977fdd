package dev.easel.bench;

import dev.easel.Config;
import dev.easel.TestPostgres;
import dev.easel.TestServer;
import dev.easel.jobs.Job;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * PostgreSQL next to SQLite, by hand ({@code bench/scale [clients=50] [requests=2000] [jobs=200] [dispatched=1000]}), on
 * a PostgreSQL that the test tree starts (or EASEL_TEST_POSTGRES_URL): POST throughput of one API node
 * on each database; then, on PostgreSQL, an API node and a worker node, and for jobs submitted one at
 * a time the wait from queued to claimed, with LISTEN/NOTIFY and with polling only; and how many
 * queued jobs per second 3 worker nodes take and complete.
 */
public final class ScaleBench {
    private static final String BODY = "{\"prompt\":\"a fox\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\"}";

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int jobs = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        int dispatched = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
        System.setProperty("easel.test.db", "postgresql");
        System.out.printf("POST %s, %d clients, %d requests, one API node without workers%n", "/generate/image/krea/krea-2/medium", clients, requests);
        for (String db : List.of("sqlite", "postgresql")) post(db, clients, requests);
        for (boolean notify : new boolean[] {true, false}) claimLatency(jobs, notify);
        dispatchRate(dispatched);
    }

    /** Images per second that 3 threads render with the sketch engine alone: what dispatch can reach at best on this machine. */
    private static double renderCeiling(int images) throws Exception {
        var engine = new dev.easel.engine.sketch.SketchEngine(0);
        for (int i = 0; i < 10; i++) engine.render(ApiBench.spec(dev.easel.jobs.AspectRatio.SQUARE, i), dev.easel.engine.Progress.NONE);
        AtomicInteger left = new AtomicInteger(images);
        long started = System.nanoTime();
        try (var pool = Executors.newFixedThreadPool(3)) {
            for (int t = 0; t < 3; t++) {
                pool.submit(() -> {
                    for (int i; (i = left.getAndDecrement()) > 0; ) engine.render(ApiBench.spec(dev.easel.jobs.AspectRatio.SQUARE, i), dev.easel.engine.Progress.NONE);
                    return null;
                });
            }
        }
        return images / ((System.nanoTime() - started) / 1e9);
    }

    /**
     * Jobs dispatched per second: {@code n} jobs queued on an API node, then 3 worker nodes (one render
     * thread each, the sketch engine without its simulated latency: each job still encodes a PNG and
     * stores it in the node's bucket) started at once; the time until the last one completed.
     */
    private static void dispatchRate(int n) throws Exception {
        Path apiDir = TestServer.tempDir("easel-scale-api-");
        List<Path> workerDirs = List.of(TestServer.tempDir("easel-scale-w1-"), TestServer.tempDir("easel-scale-w2-"), TestServer.tempDir("easel-scale-w3-"));
        String db = TestPostgres.get().databaseFor(apiDir);
        String bucket = dev.easel.TestS3.get().bucketFor(apiDir);
        List<String> shared = new java.util.ArrayList<>(List.of("--db", db));
        shared.addAll(dev.easel.TestS3.get().flags(bucket));
        try (TestServer api = TestServer.start(apiDir, 0, 0, Clock.systemUTC(), Duration.ofMinutes(10), shared.toArray(String[]::new))) {
            String key = api.account("1000000", n, n);
            for (int i = 0; i < n; i++) api.generate(key, BODY);
            Config.Db d = Config.postgresql(db);
            try (var c = java.sql.DriverManager.getConnection(d.jdbcUrl(), d.user(), d.password())) {
                long started = System.nanoTime();
                List<TestServer> workers = new java.util.ArrayList<>();
                for (Path w : workerDirs) workers.add(TestServer.startWorker(w, 1, 0, Clock.systemUTC(), shared.toArray(String[]::new)));
                while (true) {
                    try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM jobs WHERE status = 'completed'")) {
                        rs.next();
                        if (rs.getLong(1) >= n) break;
                    }
                    Thread.sleep(5);
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                System.out.printf("  dispatched by 3 worker nodes (1 thread each, sketch engine without delay): %.0f jobs/s (%d jobs in %.1f s, worker start included)%n",
                        n / seconds, n, seconds);
                for (TestServer w : workers) w.close();
                System.out.printf("  ceiling in the same run: the sketch engine alone on 3 threads (no database, no bucket): %.0f images/s%n", renderCeiling(300));
            }
        } finally {
            TestServer.deleteTree(apiDir);
            workerDirs.forEach(TestServer::deleteTree);
        }
    }

    private static void post(String db, int clients, int requests) throws Exception {
        Path dir = TestServer.tempDir("easel-scale-");
        List<String> flags = db.equals("sqlite") ? List.of("--db", "") : List.of("--db", TestPostgres.get().databaseFor(dir));
        try (TestServer server = TestServer.start(dir, 0, 0, Clock.systemUTC(), Duration.ofMinutes(10), flags.toArray(String[]::new))) {
            String key = server.account("1000000", 10_000, 1_000_000);
            HttpClient http = HttpClient.newHttpClient();
            AtomicInteger left = new AtomicInteger(requests), failed = new AtomicInteger();
            long started = System.nanoTime();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int c = 0; c < clients; c++) {
                    pool.submit(() -> {
                        while (left.getAndDecrement() > 0) {
                            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(server.base + TestServer.GENERATE))
                                    .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(BODY)).build(),
                                    HttpResponse.BodyHandlers.discarding());
                            if (r.statusCode() != 200) failed.incrementAndGet();
                        }
                        return null;
                    });
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("  %-11s %7.0f req/s  (%d failed)%n", db + ":", requests / seconds, failed.get());
        } finally {
            TestServer.deleteTree(dir);
        }
    }

    /**
     * Submits {@code jobs} jobs to {@code api} one at a time, each after the last completed, and returns
     * each one's wait from queued_at to started_at (its claim), in milliseconds, sorted.
     */
    static long[] queuedToClaimed(TestServer api, int jobs) {
        String key = api.account("1000", 1, 1000);
        String accountId = api.easel.accounts().authenticate(key).orElseThrow();
        long[] waits = new long[jobs];
        for (int i = 0; i < jobs; i++) {
            String id = api.generate(key, BODY).json().get("job_id").asText();
            api.awaitJob(key, id, j -> j.get("status").asText().equals("completed"));
            Job j = api.easel.jobs().get(accountId, id).orElseThrow();
            waits[i] = j.startedAt().toEpochMilli() - j.queuedAt().toEpochMilli();
        }
        Arrays.sort(waits);
        return waits;
    }

    /** An API node and a worker node on one PostgreSQL; each job's queued-to-claimed wait, one job at a time. */
    private static void claimLatency(int jobs, boolean notify) throws Exception {
        Path apiDir = TestServer.tempDir("easel-scale-api-"), workerDir = TestServer.tempDir("easel-scale-worker-");
        String db = TestPostgres.get().databaseFor(apiDir);
        String flag = "--db-notify=" + notify;
        try (TestServer api = TestServer.start(apiDir, 0, 0, Clock.systemUTC(), Duration.ofMinutes(10), "--db", db, flag);
             TestServer worker = TestServer.startWorker(workerDir, 1, 0, Clock.systemUTC(), "--db", db, flag)) {
            long[] waits = queuedToClaimed(api, jobs);
            System.out.printf("  queued to claimed on another node, %-16s p50 %4d ms  p99 %4d ms  (%d jobs one at a time)%n",
                    notify ? "LISTEN/NOTIFY:" : "polling only:", waits[jobs / 2], waits[jobs * 99 / 100], jobs);
        } finally {
            TestServer.deleteTree(apiDir);
            TestServer.deleteTree(workerDir);
        }
    }
}
