package dev.easel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL for the tests that run on it ({@code -Deasel.test.db=postgresql}, the second
 * surefire run of {@code ./mvnw verify}): the server named by {@code EASEL_TEST_POSTGRES_URL}
 * ({@code postgresql://user:password@host:port}, where databases may be created), or else one started
 * here once per JVM from the machine's PostgreSQL binaries (14 or newer; Debian's {@code postgresql}
 * package, which {@code .ci/run} installs). PostgreSQL refuses to run as root, so as root it runs as
 * {@code nobody}. Each data dir of a {@link TestServer} gets a database of its own.
 */
public final class TestPostgres {
    private static TestPostgres instance;

    private final String adminUrl; // postgresql://user:password@host:port
    private final Process process;
    private final Path dir;

    private TestPostgres(String adminUrl, Process process, Path dir) {
        this.adminUrl = adminUrl;
        this.process = process;
        this.dir = dir;
    }

    /** The database of this test run for {@code dataDir}: PostgreSQL when enabled, else SQLite in the dir. */
    public static dev.easel.store.Database open(Path dataDir) {
        if (!enabled()) return dev.easel.store.Database.openSqlite(dataDir.resolve("easel.db"));
        Config.Db db = Config.postgresql(get().databaseFor(dataDir));
        return dev.easel.store.Database.openPostgresql(db.jdbcUrl(), db.user(), db.password());
    }

    /** Whether this test JVM runs the store on PostgreSQL. */
    public static boolean enabled() {
        return "postgresql".equals(System.getProperty("easel.test.db"));
    }

    public static synchronized TestPostgres get() {
        if (instance == null) {
            String given = System.getenv("EASEL_TEST_POSTGRES_URL");
            instance = given != null && !given.isBlank() ? new TestPostgres(given.replaceAll("/+$", ""), null, null) : start();
            Runtime.getRuntime().addShutdownHook(new Thread(instance::stop, "test-postgres-stop"));
        }
        return instance;
    }

    /**
     * The {@code --db} URL of the database for {@code dataDir}, created and migrated on first use (the
     * same dir gets the same database).
     */
    public String databaseFor(Path dataDir) {
        String url = emptyDatabaseFor(dataDir);
        Config.Db db = Config.postgresql(url);
        dev.easel.store.Database.migratePostgresql(db.jdbcUrl(), db.user(), db.password());
        return url;
    }

    /** As {@link #databaseFor} without the migrations: a database as a new deployment finds it. */
    public String emptyDatabaseFor(Path dataDir) {
        String name = "easel_" + Integer.toHexString(dataDir.toAbsolutePath().toString().hashCode() & 0x7fffffff);
        Config.Db admin = Config.postgresql(adminUrl + "/postgres");
        try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), admin.user(), admin.password())) {
            boolean exists;
            try (var ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                ps.setString(1, name);
                exists = ps.executeQuery().next();
            }
            if (!exists) {
                try (var s = c.createStatement()) {
                    s.execute("CREATE DATABASE " + name);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the test database " + name + ": " + e.getMessage(), e);
        }
        return adminUrl + "/" + name;
    }

    private static TestPostgres start() {
        Path bin = binaries();
        try {
            Path dir = TestServer.tempDir("easel-postgres-");
            boolean root = "root".equals(System.getProperty("user.name"));
            if (root) {
                UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
                Files.setOwner(dir, users.lookupPrincipalByName("nobody"));
            }
            Path data = dir.resolve("data");
            run(command(root, bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                    "--no-sync"), dir.resolve("initdb.log"));
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Process postgres = new ProcessBuilder(command(root, bin.resolve("postgres").toString(), "-D", data.toString(), "-p",
                    Integer.toString(port), "-h", "127.0.0.1", "-k", dir.toString(), "-c", "fsync=off", "-c", "synchronous_commit=off",
                    "-c", "full_page_writes=off", "-c", "max_connections=300"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("postgres.log").toFile()).start();
            TestPostgres pg = new TestPostgres("postgresql://postgres@127.0.0.1:" + port, postgres, dir);
            pg.awaitUp();
            return pg;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start PostgreSQL from " + bin, e);
        }
    }

    /** The newest PostgreSQL 14+ under /usr/lib/postgresql (Debian's layout). */
    private static Path binaries() {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.filter(v -> v.getFileName().toString().matches("\\d+") && Integer.parseInt(v.getFileName().toString()) >= 14)
                    .max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString())))
                    .map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .orElseThrow(() -> new IllegalStateException("no PostgreSQL 14+ under /usr/lib/postgresql"));
        } catch (IOException | IllegalStateException e) {
            throw new IllegalStateException("the PostgreSQL tests need PostgreSQL 14+ binaries (apt-get install postgresql)"
                    + " or EASEL_TEST_POSTGRES_URL=postgresql://user:password@host:port naming a server: " + e.getMessage(), e);
        }
    }

    /** As root, runs the program as nobody (setpriv execs it: signals reach PostgreSQL itself). */
    private static List<String> command(boolean root, String... program) {
        List<String> c = new ArrayList<>();
        if (root) c.addAll(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"));
        c.addAll(List.of(program));
        return c;
    }

    private static void run(List<String> command, Path log) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(command.get(command.size() > 5 ? 5 : 0) + " failed: " + Files.readString(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitUp() {
        Config.Db admin = Config.postgresql(adminUrl + "/postgres");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), admin.user(), admin.password())) {
                return;
            } catch (SQLException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("PostgreSQL did not start: " + e.getMessage() + "; log: " + log());
                }
                ApiClient.sleep(50);
            }
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("postgres.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private void stop() {
        if (process != null) stop(process, dir);
    }

    /** Stops a server the tests started (SIGTERM, for PostgreSQL a smart shutdown; SIGKILL after 10 s) and removes its dir. */
    static void stop(Process process, Path dir) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        TestServer.deleteTree(dir);
    }
}
