package dev.easel.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.TestPostgres;
import dev.easel.TestServer;
import dev.easel.json.Json;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * The standard load scenarios, by hand ({@code bench/load [seconds=5]}): wrk against a bare Jetty 12
 * handler answering a fixed 141-byte JSON body (the ceiling), then against easel started by its own
 * launcher ({@code ./easel serve}, its default JVM settings) on SQLite and on PostgreSQL: POST of a
 * generation, GET of one job, GET of the job list, at 1, 50 and 200 clients. Writes bench/RESULTS.md.
 */
public final class LoadBench {
    private static final String BODY = "{\"prompt\":\"a fox in the snow\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\"}";
    private static final int[] CLIENTS = {1, 50, 200};
    private static final String ADMIN = "easel_admin_bench_" + Long.toHexString(System.nanoTime());

    /** The parts of the run: the table at 1, 50 and 200 clients; the flatness check; submit to scheduled; memory. */
    private static final List<String> PARTS = List.of("main", "flatness", "scheduled", "memory");

    record Result(String scenario, int clients, double rps, double p50ms, double p99ms, double p999ms, long errors) {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        // the parts to run (all by default); only a run of all of them writes bench/RESULTS.md
        List<String> parts = args.length > 1 ? List.of(args).subList(1, args.length) : PARTS;
        if (!PARTS.containsAll(parts)) throw new IllegalArgumentException("parts: " + PARTS + ", not " + parts);
        Path root = Path.of("").toAbsolutePath();
        // on the disk, not in /dev/shm: a commit's fsync must reach a device, as in production
        Files.createDirectories(root.resolve("bench/target"));
        Path work = Files.createTempDirectory(root.resolve("bench/target"), "load-");
        List<Result> results = new ArrayList<>();
        Map<String, String> notes = new LinkedHashMap<>();
        try {
            Server ceiling = ceiling();
            int ceilingPort = ((ServerConnector) ceiling.getConnectors()[0]).getLocalPort();
            for (int c : CLIENTS) results.add(wrk(work, "ceiling", "GET", "http://127.0.0.1:" + ceilingPort + "/", null, null, c, seconds));
            ceiling.stop();
            for (String db : parts.contains("main") ? List.of("sqlite", "postgresql") : List.<String>of()) {
                Path dir = work.resolve(db);
                Files.createDirectories(dir);
                List<String> flags = new ArrayList<>(List.of("--data-dir", dir.toString(), "--workers", "0"));
                if (db.equals("postgresql")) flags.addAll(List.of("--db", TestPostgres.get().databaseFor(dir)));
                Easel easel = Easel.start(root, flags);
                try {
                    notes.put("RSS idle, " + db, easel.rssMb() + " MB");
                    String key = easel.account();
                    String job = easel.submit(key);
                    for (int c : CLIENTS) {
                        results.add(wrk(work, "POST " + db, "POST", easel.base + TestServer.GENERATE, key, BODY, c, seconds));
                        results.add(wrk(work, "GET job " + db, "GET", easel.base + "/jobs/" + job, key, null, c, seconds));
                        results.add(wrk(work, "GET list " + db, "GET", easel.base + "/jobs?limit=20", key, null, c, seconds));
                    }
                    notes.put("RSS after the runs, " + db, easel.rssMb() + " MB");
                } finally {
                    easel.stop();
                }
            }
            for (String db : parts.contains("flatness") ? List.of("sqlite", "postgresql") : List.<String>of()) {
                List<Result> small = flatness(root, work, db, 1_000, 200, seconds), large = flatness(root, work, db, 100_000, 20_000, seconds);
                results.addAll(small);
                results.addAll(large);
                for (int i = 0; i < small.size(); i++) {
                    notes.put("Flatness, " + small.get(i).scenario().replace(", 1,000 jobs", "") + " at 50 clients",
                            String.format(Locale.ROOT, "%.0f req/s with 100,000 jobs (20,000 pending in the account) vs %.0f with 1,000: %.2f",
                                    large.get(i).rps(), small.get(i).rps(), large.get(i).rps() / small.get(i).rps()));
                }
            }
            if (parts.contains("scheduled")) {
                notes.put("Submit to scheduled with an idle worker, SQLite (200 jobs one at a time, in-process, the sketch engine)",
                        submitToScheduled(200));
            }
            if (parts.contains("memory")) memory(root, work, notes);
        } finally {
            TestServer.deleteTree(work);
        }
        String report = report(results, notes, seconds);
        if (parts.equals(PARTS)) Files.writeString(root.resolve("bench/RESULTS.md"), report);
        System.out.print(report);
        System.exit(0); // the test PostgreSQL's shutdown hook stops it
    }

    /**
     * The flatness check: a data dir (and, on PostgreSQL, a database) with {@code total} jobs in the
     * table, {@code pending} of them pending (half queued, half backlogged) in the account the load runs
     * as, the rest completed; seeded by copying one real job's row with SQL (the same statements on both
     * databases), its counters set to match. Then POST, GET one job and GET list at 50 clients.
     */
    private static List<Result> flatness(Path root, Path work, String db, int total, int pending, int seconds) throws Exception {
        Path dir = work.resolve("flat-" + db + "-" + total);
        Files.createDirectories(dir);
        List<String> dbFlags = new ArrayList<>();
        String jdbc = "jdbc:sqlite:" + dir.resolve("easel.db"), user = null, password = null;
        if (db.equals("postgresql")) {
            String url = TestPostgres.get().databaseFor(dir);
            dbFlags.addAll(List.of("--db", url));
            dev.easel.Config.Db c = dev.easel.Config.postgresql(url);
            jdbc = c.jdbcUrl();
            user = c.user();
            password = c.password();
        }
        String key, template;
        List<String> seedingFlags = new ArrayList<>(List.of("--data-dir", dir.toString(), "--workers", "1"));
        seedingFlags.addAll(dbFlags);
        Easel seeding = Easel.start(root, seedingFlags);
        try {
            key = seeding.account();
            template = seeding.submit(key);
            seeding.awaitCompleted(key, template);
        } finally {
            seeding.stop();
        }
        String cols = "account_id, type, request_json, price_micros, webhook_url, attempt, lora_set, free_attempts";
        try (var c = java.sql.DriverManager.getConnection(jdbc, user, password)) {
            c.setAutoCommit(false);
            try (var st = c.createStatement()) {
                int queued = pending / 2, backlogged = pending - queued, completed = total - pending - 1;
                String rows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) ";
                st.executeUpdate(String.format(Locale.ROOT, rows + "INSERT INTO jobs (id, status, created_at, queued_at, completed_at, "
                        + "started_at, result_key, result_json, updated_at, " + cols + ") SELECT 'seed-c-' || i, 'completed', created_at - 3000000 - i, "
                        + "queued_at - 3000000 - i, completed_at - 3000000 - i, started_at - 3000000 - i, result_key, result_json, updated_at, "
                        + cols + " FROM n, jobs WHERE jobs.id = '%s'", completed, template));
                st.executeUpdate(String.format(Locale.ROOT, rows + "INSERT INTO jobs (id, status, created_at, queued_at, updated_at, " + cols
                        + ") SELECT 'seed-q-' || i, 'queued', created_at - 2000000 - i, created_at - 2000000 - i, updated_at, " + cols
                        + " FROM n, jobs WHERE jobs.id = '%s'", queued, template));
                st.executeUpdate(String.format(Locale.ROOT, rows + "INSERT INTO jobs (id, status, created_at, updated_at, " + cols
                        + ") SELECT 'seed-b-' || i, 'backlogged', created_at - 1000000 - i, updated_at, " + cols
                        + " FROM n, jobs WHERE jobs.id = '%s'", backlogged, template));
                st.executeUpdate("UPDATE accounts SET active_jobs = (SELECT count(*) FROM jobs j WHERE j.account_id = accounts.id AND j.status = 'queued'), "
                        + "backlogged_jobs = (SELECT count(*) FROM jobs j WHERE j.account_id = accounts.id AND j.status = 'backlogged'), "
                        + "reserved_micros = (SELECT coalesce(sum(price_micros), 0) FROM jobs j WHERE j.account_id = accounts.id "
                        + "AND j.status IN ('queued', 'backlogged'))");
                if (db.equals("postgresql")) st.execute("ANALYZE jobs"); // as autovacuum would soon after such a load
            }
            c.commit();
        }
        List<String> flags = new ArrayList<>(List.of("--data-dir", dir.toString(), "--workers", "0"));
        flags.addAll(dbFlags);
        Easel easel = Easel.start(root, flags);
        try {
            String label = String.format(Locale.ROOT, "%s, %,d jobs", db, total);
            // a JVM just started runs its first seconds interpreted: warm it as the table's runs are (by the runs at 1 client)
            wrk(work, "warm-up", "POST", easel.base + TestServer.GENERATE, key, BODY, 50, seconds);
            wrk(work, "warm-up", "GET", easel.base + "/jobs/" + template, key, null, 50, seconds);
            wrk(work, "warm-up", "GET", easel.base + "/jobs?limit=20", key, null, 50, seconds);
            return List.of(wrk(work, "POST " + label, "POST", easel.base + TestServer.GENERATE, key, BODY, 50, seconds),
                    wrk(work, "GET job " + label, "GET", easel.base + "/jobs/" + template, key, null, 50, seconds),
                    wrk(work, "GET list " + label, "GET", easel.base + "/jobs?limit=20", key, null, 50, seconds));
        } finally {
            easel.stop();
        }
    }

    /**
     * Memory with the launcher's default JVM settings: easel on SQLite with its two default workers
     * (the sketch engine), RSS idle, then after 20,000 and after 100,000 jobs went through it, each
     * submitted, read and cancelled by one of 8 clients (the workers render what they claim before
     * its cancel; most jobs are cancelled while queued).
     */
    private static void memory(Path root, Path work, Map<String, String> notes) throws Exception {
        Path dir = work.resolve("memory");
        Files.createDirectories(dir);
        Easel easel = Easel.start(root, List.of("--data-dir", dir.toString()));
        try {
            notes.put("RSS idle, launcher defaults (" + easel.jvmOptions() + "), sqlite, 2 workers", easel.rssMb() + " MB");
            String key = easel.account();
            long started = System.nanoTime();
            churn(easel, key, 20_000);
            long at20k = easel.rssMb();
            churn(easel, key, 80_000);
            long at100k = easel.rssMb();
            notes.put("RSS after 20,000 jobs submitted, read and cancelled (8 clients)", at20k + " MB");
            notes.put("RSS after 100,000 jobs", String.format(Locale.ROOT, "%d MB (%.2f of the figure at 20,000; %.0f s for the 100,000)",
                    at100k, (double) at100k / at20k, (System.nanoTime() - started) / 1e9));
        } finally {
            easel.stop();
        }
    }

    /** {@code jobs} jobs, each submitted, read and cancelled, by 8 clients at once. */
    private static void churn(Easel easel, String key, int jobs) throws Exception {
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(jobs);
        try (var clients = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> running = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                running.add(clients.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        String id = easel.submit(key);
                        easel.send("GET", "/jobs/" + id, key);
                        easel.send("DELETE", "/jobs/" + id, key);
                    }
                    return null;
                }));
            }
            for (var f : running) f.get();
        }
    }

    /** From a job's queued_at to its started_at (its claim), one job at a time with one idle worker. */
    private static String submitToScheduled(int jobs) {
        try (TestServer server = TestServer.start(1, 0, java.time.Clock.systemUTC())) {
            long[] waits = ScaleBench.queuedToClaimed(server, jobs);
            return String.format(Locale.ROOT, "p50 %d ms, p99 %d ms (millisecond timestamps)", waits[jobs / 2], waits[jobs * 99 / 100]);
        }
    }

    /** A bare Jetty 12 handler: the most this machine's HTTP stack can answer, to hold easel's figures against. */
    private static Server ceiling() throws Exception {
        byte[] body = ("{\"job_id\":\"00000000-0000-0000-0000-000000000000\",\"status\":\"queued\",\"created_at\":\"2026-01-01T00:00:00.000Z\","
                + "\"padding\":\"" + "x".repeat(21) + "\"}").getBytes(StandardCharsets.UTF_8);
        if (body.length != 141) throw new IllegalStateException("the ceiling's body is " + body.length + " bytes");
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.getHeaders().put("Content-Type", "application/json");
                response.write(true, java.nio.ByteBuffer.wrap(body), callback);
                return true;
            }
        });
        server.start();
        return server;
    }

    /** One wrk run; its Lua script reports requests, latency percentiles (µs) and errors on one line. */
    private static Result wrk(Path work, String scenario, String method, String url, String key, String body, int clients, int seconds)
            throws Exception {
        Path script = work.resolve("scenario.lua");
        StringBuilder lua = new StringBuilder("wrk.method = \"" + method + "\"\n");
        if (body != null) lua.append("wrk.body = '").append(body).append("'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n");
        if (key != null) lua.append("wrk.headers[\"Authorization\"] = \"Bearer ").append(key).append("\"\n");
        lua.append("""
                done = function(summary, latency, requests)
                  local e = summary.errors
                  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
                    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
                    e.status + e.connect + e.read + e.write + e.timeout))
                end
                """);
        Files.writeString(script, lua);
        Process p = new ProcessBuilder("wrk", "-t" + Math.min(2, clients), "-c" + clients, "-d" + seconds + "s", "--timeout", "10s",
                "-s", script.toString(), url).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS)) throw new IllegalStateException("wrk did not finish");
        String line = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst()
                .orElseThrow(() -> new IllegalStateException("wrk said: " + out));
        String[] f = line.split(" ");
        double secs = Long.parseLong(f[2]) / 1e6;
        Result r = new Result(scenario, clients, Long.parseLong(f[1]) / secs, Long.parseLong(f[3]) / 1000.0, Long.parseLong(f[4]) / 1000.0,
                Long.parseLong(f[5]) / 1000.0, Long.parseLong(f[6]));
        System.err.printf(Locale.ROOT, "%-22s c=%-3d %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  p999 %7.2f ms  errors %d%n",
                r.scenario, r.clients, r.rps, r.p50ms, r.p99ms, r.p999ms, r.errors);
        return r;
    }

    private static String report(List<Result> results, Map<String, String> notes, int seconds) throws IOException {
        Map<Integer, Double> ceiling = new LinkedHashMap<>();
        for (Result r : results) if (r.scenario.equals("ceiling")) ceiling.put(r.clients, r.rps);
        StringBuilder s = new StringBuilder("# easel load benchmark\n\n");
        s.append("`bench/load ").append(seconds).append("` on ").append(LocalDate.now()).append(": ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores (").append(cpu()).append("), JDK ")
                .append(Runtime.version()).append(", wrk on loopback, ").append(seconds).append(" s per row. easel runs from its launcher")
                .append(" (`./easel serve --workers 0`, default JVM settings), its data dir on the machine's disk; PostgreSQL is the test tree's (fsync off, in /dev/shm).")
                .append(" Ratio: requests/s over the ceiling's at the same number of clients.\n\n");
        s.append("| scenario | clients | requests/s | ratio | p50 ms | p99 ms | p99.9 ms | errors |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Result r : results) {
            s.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.4f | %.2f | %.2f | %.2f | %d |%n", r.scenario, r.clients, r.rps,
                    r.rps / ceiling.get(r.clients), r.p50ms, r.p99ms, r.p999ms, r.errors));
        }
        s.append("\n");
        notes.forEach((k, v) -> s.append("- ").append(k).append(": ").append(v).append("\n"));
        return s.toString();
    }

    private static String cpu() throws IOException {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
    }

    /** easel in its own process, from its launcher. */
    private static final class Easel {
        private static final HttpClient HTTP = HttpClient.newHttpClient();
        final Process process;
        final String base;

        private Easel(Process process, String base) {
            this.process = process;
            this.base = base;
        }

        static Easel start(Path root, List<String> flags) throws Exception {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            List<String> command = new ArrayList<>(List.of(root.resolve("easel").toString(), "serve", "--port", Integer.toString(port)));
            command.addAll(flags);
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("EASEL_ADMIN_TOKEN", ADMIN);
            pb.environment().put("EASEL_LOG_LEVEL", "WARN");
            Easel e = new Easel(pb.start(), "http://127.0.0.1:" + port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (true) {
                try {
                    if (HTTP.send(HttpRequest.newBuilder(URI.create(e.base + "/readyz")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) break;
                } catch (IOException notYet) {
                    if (!e.process.isAlive() || System.nanoTime() > deadline) throw new IllegalStateException("easel did not start", notYet);
                }
                Thread.sleep(100);
            }
            Thread.sleep(2000); // settle before the idle RSS
            return e;
        }

        String account() throws Exception {
            JsonNode r = json(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/admin/accounts")).header("Authorization", "Bearer " + ADMIN)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"name\":\"bench\",\"credits_usd\":10000000,\"max_concurrent_jobs\":10000,\"max_backlog\":1000000}")).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body());
            if (!r.has("api_key")) throw new IllegalStateException("account not created: " + r);
            return r.get("api_key").asText();
        }

        String submit(String key) throws Exception {
            return json(HTTP.send(HttpRequest.newBuilder(URI.create(base + TestServer.GENERATE)).header("Authorization", "Bearer " + key)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(BODY)).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body()).get("job_id").asText();
        }

        /** A request without a body; its answer must be a 200. */
        void send(String method, String path, String key) throws Exception {
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                    .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + new String(r.body()));
        }

        void awaitCompleted(String key, String job) throws Exception {
            for (int i = 0; i < 600; i++) {
                JsonNode j = json(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + job)).header("Authorization", "Bearer " + key).build(),
                        HttpResponse.BodyHandlers.ofByteArray()).body());
                if (j.get("status").asText().equals("completed")) return;
                Thread.sleep(50);
            }
            throw new IllegalStateException("the template job did not complete");
        }

        /** The JVM's process: the launcher's last descendant (it execs java). */
        private long javaPid() {
            return process.toHandle().descendants().reduce((a, b) -> b).map(ProcessHandle::pid).orElse(process.pid());
        }

        /** The options the launcher gave the JVM, as the process shows them (those before -jar, ours excepted). */
        String jvmOptions() throws IOException {
            String[] args = new String(Files.readAllBytes(Path.of("/proc/" + javaPid() + "/cmdline")), StandardCharsets.UTF_8).split("\0");
            List<String> options = new ArrayList<>();
            for (int i = 1; i < args.length && !args[i].equals("-jar"); i++) {
                if (!args[i].startsWith("--enable-native-access")) options.add(args[i]);
            }
            return String.join(" ", options);
        }

        long rssMb() throws IOException {
            long pid = javaPid();
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", "")) / 1024;
            }
            return -1;
        }

        void stop() throws InterruptedException {
            process.toHandle().descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        private static JsonNode json(byte[] body) throws IOException {
            return Json.MAPPER.readTree(body);
        }
    }
}
