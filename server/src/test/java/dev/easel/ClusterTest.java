package dev.easel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The cluster, as it runs in production, in the spirit of db-scheduler's cluster tests (the PostgreSQL
 * run only): 2 API nodes and 3 worker processes, each its own JVM, on one PostgreSQL database and one
 * S3 bucket (s3proxy). Jobs come from 8 accounts with concurrency limits, some with webhooks; mid-run
 * one worker is killed with SIGKILL and another started. Afterwards every job is completed, none was
 * charged twice, no account ever had more active jobs than its limit (sampled all along), every balance
 * is its credits minus the prices of its completed jobs, every webhook arrived, and every image is
 * readable through every API node.
 *
 * <p>{@code ./mvnw verify} runs it with 300 jobs; by hand at full size:
 * {@code ./mvnw -pl server -am test -Dtest=ClusterTest -Deasel.cluster.jobs=2000 -Dsurefire.failIfNoSpecifiedTests=false}
 * (the PostgreSQL execution runs it; the SQLite one skips it).
 */
class ClusterTest {
    private static final int ACCOUNTS = 8;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void jobsSurviveAKilledWorkerAndEveryRuleHoldsAcrossNodes() throws Exception {
        Assumptions.assumeTrue(TestPostgres.enabled(), "a cluster shares a PostgreSQL database");
        int total = Integer.getInteger("easel.cluster.jobs", 300);
        Path dir = TestServer.tempDir("easel-cluster-");
        String db = TestPostgres.get().databaseFor(dir);
        String bucket = TestS3.get().bucketFor(dir);
        String adminToken = "easel_admin_cluster_" + Long.toHexString(System.nanoTime());
        List<Node> nodes = new ArrayList<>();
        long began = System.nanoTime();
        java.util.function.Consumer<String> phase = what -> System.out.printf("cluster: %s after %d ms%n", what, (System.nanoTime() - began) / 1_000_000);
        AtomicBoolean sampling = new AtomicBoolean(true);
        ExecutorService clients = Executors.newFixedThreadPool(16);
        try (RemoteSite hooks = new RemoteSite()) {
            Cluster cluster = new Cluster(dir, db, bucket, adminToken);
            Node api1 = cluster.start("api-1", "serve"), api2 = cluster.start("api-2", "serve");
            Node w1 = cluster.start("worker-1", "worker"), w2 = cluster.start("worker-2", "worker"), w3 = cluster.start("worker-3", "worker");
            nodes.addAll(List.of(api1, api2, w1, w2, w3));
            for (Node n : nodes) n.awaitHealthy();
            phase.accept("started");
            List<ApiClient> apis = List.of(new ApiClient(api1.base()), new ApiClient(api2.base()));

            // 8 accounts: limits of 1 to 3 concurrent jobs, enough credit for all their jobs
            Map<String, String> keys = new HashMap<>(); // account id -> key
            Map<String, Integer> limits = new HashMap<>();
            for (int a = 0; a < ACCOUNTS; a++) {
                int limit = 1 + a % 3;
                TestServer.Response r = apis.get(a % 2).send("POST", "/admin/accounts", "{\"name\":\"cluster-" + a + "\",\"credits_usd\":100"
                        + ",\"max_concurrent_jobs\":" + limit + ",\"max_backlog\":1000}", Map.of("Authorization", "Bearer " + adminToken));
                assertThat(r.status()).as(r.body()).isEqualTo(201);
                keys.put(r.json().get("id").asText(), r.json().get("api_key").asText());
                limits.put(r.json().get("id").asText(), limit);
            }
            List<String> accountIds = List.copyOf(keys.keySet());

            // a sampler that reads every account's active jobs straight from the database, all run long
            Map<String, Integer> maxActive = new ConcurrentHashMap<>();
            AtomicInteger samples = new AtomicInteger();
            List<String> miscounted = new java.util.concurrent.CopyOnWriteArrayList<>();
            Future<?> sampler = Executors.newSingleThreadExecutor().submit(() -> sample(db, maxActive, samples, miscounted, sampling));

            // submit from 16 clients, alternating the API node; every 5th job asks for a webhook
            Map<String, String> jobAccount = new ConcurrentHashMap<>();
            Set<String> withWebhook = ConcurrentHashMap.newKeySet();
            List<Future<?>> submits = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                int n = i;
                submits.add(clients.submit(() -> {
                    String account = accountIds.get(n % ACCOUNTS);
                    boolean hook = n % 5 == 0;
                    String body = "{\"prompt\":\"cluster job " + n + "\",\"seed\":" + n + ",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\"}";
                    Map<String, String> headers = new HashMap<>(Map.of("Authorization", "Bearer " + keys.get(account)));
                    if (hook) headers.put("X-Webhook-URL", hooks.url("/hook"));
                    TestServer.Response r = apis.get(n % 2).send("POST", TestServer.GENERATE, body, headers);
                    assertThat(r.status()).as(r.body()).isEqualTo(200);
                    String id = r.json().get("job_id").asText();
                    jobAccount.put(id, account);
                    if (hook) withWebhook.add(id);
                }));
            }
            for (Future<?> f : submits) f.get(2, TimeUnit.MINUTES);
            phase.accept("submitted");

            // once a third is done, kill a worker while it holds jobs (SIGKILL: no goodbye) and start another
            awaitCount(db, "status = 'completed'", total / 3, Duration.ofMinutes(3));
            String w2Owner = Files.readString(w2.data().resolve("node-id")).strip() + "/%";
            List<String> held = new ArrayList<>();
            try (Connection c = connect(db)) {
                TestServer.await("worker-2 never held a job", Duration.ofMinutes(1), () -> !heldBy(c, w2Owner).isEmpty());
                w2.kill();
                held.addAll(heldBy(c, w2Owner));
            }
            assertThat(held).as("jobs worker-2 held when it died").isNotEmpty();
            phase.accept("killed");
            Node w4 = cluster.start("worker-4", "worker");
            nodes.add(w4);
            w4.awaitHealthy();

            awaitCount(db, "status IN ('completed', 'failed', 'cancelled')", total, Duration.ofMinutes(5));
            sampling.set(false);
            sampler.get(30, TimeUnit.SECONDS);
            phase.accept("all terminal");

            // every job completed, and each was charged exactly once
            try (Connection c = connect(db)) {
                assertThat(count(c, "SELECT count(*) FROM jobs WHERE status <> 'completed'")).isZero();
                assertThat(count(c, "SELECT count(*) FROM jobs")).isEqualTo(total);
                assertThat(count(c, "SELECT count(*) FROM (SELECT job_id FROM ledger WHERE kind = 'charge' GROUP BY job_id HAVING count(*) <> 1) x"))
                        .as("jobs charged more than once").isZero();
                assertThat(count(c, "SELECT count(DISTINCT job_id) FROM ledger WHERE kind = 'charge'")).isEqualTo(total);
                assertThat(count(c, "SELECT count(DISTINCT result_key) FROM jobs")).as("one image per job").isEqualTo(total);
                // balance = credits - the prices of completed jobs
                assertThat(count(c, "SELECT count(*) FROM accounts a WHERE a.balance_micros <> 100000000 - "
                        + "(SELECT coalesce(sum(price_micros), 0) FROM jobs j WHERE j.account_id = a.id AND j.status = 'completed') AND a.name LIKE 'cluster-%'"))
                        .as("balances that do not add up: %s", rows(c, "SELECT a.id, a.balance_micros, (SELECT coalesce(sum(price_micros), 0) FROM jobs j"
                                + " WHERE j.account_id = a.id AND j.status = 'completed'), (SELECT sum(amount_micros) FROM ledger l WHERE l.account_id = a.id),"
                                + " (SELECT count(*) FROM jobs j WHERE j.account_id = a.id) FROM accounts a")).isZero();
                for (String id : held) { // each was claimed again once its lease ran out, and completed by another worker
                    assertThat(count(c, "SELECT attempt FROM jobs WHERE id = '" + id + "' AND status = 'completed'")).as(id).isGreaterThanOrEqualTo(2);
                }
            }
            assertThat(samples.get()).as("the limit was sampled all through the run").isGreaterThan(20);
            assertThat(miscounted).as("accounts whose usage counters disagreed with their jobs").isEmpty();
            for (String account : accountIds) {
                assertThat(maxActive.getOrDefault(account, 0)).as("most active jobs of an account with a limit of " + limits.get(account))
                        .isLessThanOrEqualTo(limits.get(account));
            }
            assertThat(maxActive.values().stream().mapToInt(Integer::intValue).max().orElse(0)).as("the limits were reached").isGreaterThan(1);

            // every webhook arrived at least once, with the completed job
            Set<String> hooked = new HashSet<>();
            TestServer.await("webhooks delivered: " + hooked.size() + " of " + withWebhook.size(), Duration.ofMinutes(2), () -> {
                for (RemoteSite.Received r : hooks.received) {
                    JsonNode payload = json(r.body());
                    if (payload.get("status").asText().equals("completed")) hooked.add(payload.get("job_id").asText());
                }
                return hooked.containsAll(withWebhook);
            });
            phase.accept("webhooks");

            // every image, through every API node (a job's URL names the node that answered; the path works on any)
            List<Future<?>> reads = new ArrayList<>();
            for (Map.Entry<String, String> job : jobAccount.entrySet()) {
                reads.add(clients.submit(() -> {
                    JsonNode j = apis.get(0).get(keys.get(job.getValue()), "/jobs/" + job.getKey()).json();
                    String path = URI.create(j.get("result").get("urls").get(0).asText()).getPath();
                    for (ApiClient api : apis) {
                        HttpResponse<byte[]> image = HTTP.send(HttpRequest.newBuilder(URI.create(api.base + path)).build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                        assertThat(image.statusCode()).as(api.base + path).isEqualTo(200);
                        assertThat(image.body()).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
                    }
                    return null;
                }));
            }
            for (Future<?> f : reads) f.get(2, TimeUnit.MINUTES);
            phase.accept("images read");
        } catch (AssertionError | Exception e) {
            for (Node n : nodes) System.err.println("---- " + n.name + " (last lines)\n" + n.tail());
            throw e;
        } finally {
            sampling.set(false);
            clients.shutdownNow();
            for (Node n : nodes) n.kill();
            TestServer.deleteTree(dir);
        }
    }

    /** Easel processes of one cluster: the same database, bucket and admin token; each its own data dir and port. */
    private record Cluster(Path dir, String db, String bucket, String adminToken) {
        Node start(String name, String command) throws IOException {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path data = dir.resolve(name);
            Files.createDirectories(data);
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED"));
            if (Runtime.version().feature() >= 24) cmd.add("--sun-misc-unsafe-memory-access=allow");
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.easel.Main", command,
                    "--port", Integer.toString(port), "--data-dir", data.toString(), "--db", db,
                    "--workers", command.equals("worker") ? "2" : "0", "--sketch-step-ms", "5", "--lease-s", "3",
                    "--allow-private-targets"));
            cmd.addAll(TestS3.get().flags(bucket));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(data.resolve("out.log").toFile());
            pb.environment().putAll(TestS3.get().environment());
            pb.environment().put("EASEL_ADMIN_TOKEN", adminToken);
            pb.environment().put("EASEL_LOG_LEVEL", "WARN");
            return new Node(name, port, pb.start(), data);
        }
    }

    private record Node(String name, int port, Process process, Path data) {
        String base() {
            return "http://127.0.0.1:" + port;
        }

        void awaitHealthy() {
            TestServer.await(name + " did not become ready", Duration.ofSeconds(60), () -> {
                if (!process.isAlive()) throw new AssertionError(name + " exited: " + tail());
                try {
                    return HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/readyz")).build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode() == 200;
                } catch (IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        /** SIGKILL: the process ends at once, mid-render, without releasing anything. */
        void kill() {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        String tail() {
            try {
                List<String> lines = Files.readAllLines(data.resolve("out.log"));
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
            } catch (IOException e) {
                return e.toString();
            }
        }
    }

    private static void sample(String db, Map<String, Integer> maxActive, AtomicInteger samples, List<String> miscounted, AtomicBoolean on) {
        String active = "('queued', 'scheduled', 'processing', 'sampling', 'intermediate-complete')";
        try (Connection c = connect(db)) {
            while (on.get()) {
                try (ResultSet rs = c.createStatement().executeQuery("SELECT account_id, count(*) FROM jobs WHERE status IN "
                        + active + " GROUP BY account_id")) {
                    while (rs.next()) maxActive.merge(rs.getString(1), rs.getInt(2), Math::max);
                }
                // the usage counters against a recount, in one statement (one snapshot)
                try (ResultSet rs = c.createStatement().executeQuery("SELECT a.id, a.active_jobs, a.backlogged_jobs, a.reserved_micros, "
                        + "(SELECT count(*) FROM jobs j WHERE j.account_id = a.id AND j.status IN " + active + "), "
                        + "(SELECT count(*) FROM jobs j WHERE j.account_id = a.id AND j.status = 'backlogged'), "
                        + "(SELECT coalesce(sum(price_micros), 0) FROM jobs j WHERE j.account_id = a.id AND j.status NOT IN ('completed', 'failed', 'cancelled')) "
                        + "FROM accounts a")) {
                    while (rs.next()) {
                        if (rs.getLong(2) != rs.getLong(5) || rs.getLong(3) != rs.getLong(6) || rs.getLong(4) != rs.getLong(7)) {
                            miscounted.add(rs.getString(1) + ": counters " + rs.getLong(2) + "/" + rs.getLong(3) + "/" + rs.getLong(4)
                                    + ", jobs " + rs.getLong(5) + "/" + rs.getLong(6) + "/" + rs.getLong(7));
                        }
                    }
                }
                samples.incrementAndGet();
                TestServer.sleep(5);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The jobs whose lease a worker of the node holds now (read after the kill: what it held when it died). */
    private static List<String> heldBy(Connection c, String ownerPattern) {
        List<String> ids = new ArrayList<>();
        try (var ps = c.prepareStatement("SELECT id FROM jobs WHERE lease_owner LIKE ? AND status IN ('scheduled', 'processing', 'sampling', 'intermediate-complete')")) {
            ps.setString(1, ownerPattern);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) ids.add(rs.getString(1));
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return ids;
    }

    private static Connection connect(String db) throws java.sql.SQLException {
        Config.Db d = Config.postgresql(db);
        return DriverManager.getConnection(d.jdbcUrl(), d.user(), d.password());
    }

    private static List<String> rows(Connection c, String sql) throws java.sql.SQLException {
        List<String> rows = new ArrayList<>();
        try (ResultSet rs = c.createStatement().executeQuery(sql)) {
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) row.add(rs.getString(i));
                rows.add(String.join(" ", row));
            }
        }
        return rows;
    }

    private static long count(Connection c, String sql) throws java.sql.SQLException {
        try (ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void awaitCount(String db, String where, long atLeast, Duration limit) throws java.sql.SQLException {
        try (Connection c = connect(db)) {
            TestServer.await("jobs with " + where + " did not reach " + atLeast, limit, () -> {
                try {
                    return count(c, "SELECT count(*) FROM jobs WHERE " + where) >= atLeast;
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    private static JsonNode json(byte[] body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
