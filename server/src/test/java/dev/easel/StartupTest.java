package dev.easel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code easel} as a person starts it, in its own process: usage, mistyped flags, a port in use, the dev key. */
class StartupTest {
    record Run(int exit, String out) {}

    static Run run(List<String> args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "dev.easel.Main"));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exits by itself").isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void noCommandPrintsUsageAndFails() throws Exception {
        Run r = run(List.of());
        assertThat(r.exit()).isNotZero();
        assertThat(r.out()).contains("Usage: easel <command>").contains("serve").contains("worker").contains("migrate").contains("test");
    }

    @Test
    void migrateIsForPostgresql() throws Exception {
        Run r = run(List.of("migrate"));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).contains("migrate is for a PostgreSQL database (--db postgresql://…)");
        Run bad = run(List.of("migrate", "--db", "mysql://x/y"));
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.out()).contains("--db must be empty (SQLite) or postgresql://user:password@host:port/database");
    }

    @Test
    void aMistypedFlagNamesTheClosestOne() throws Exception {
        Run r = run(List.of("serve", "--prot", "9000"));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).contains("unknown option --prot (did you mean --port?)");
        assertThat(run(List.of("serve", "--wrokers=3")).out()).contains("did you mean --workers?");
    }

    @Test
    void aPortInUseIsOneLineAndCreatesNothing() throws Exception {
        Path parent = TestServer.tempDir("easel-port-");
        Path dataDir = parent.resolve("data");
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            Run r = run(List.of("serve", "--port", Integer.toString(taken.getLocalPort()), "--data-dir", dataDir.toString()));
            assertThat(r.exit()).isEqualTo(1);
            List<String> lines = r.out().lines().filter(l -> !l.startsWith("WARNING")).toList();
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).contains("127.0.0.1:" + taken.getLocalPort()).contains("--port");
            assertThat(dataDir).as("nothing created before the port is bound").doesNotExist();
        } finally {
            TestServer.deleteTree(parent);
        }
    }

    @Test
    void aBucketThatCannotBeUsedStopsTheStartWithOneLine() throws Exception {
        Path parent = TestServer.tempDir("easel-bucket-");
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try {
            Run r = run(List.of("serve", "--port", "0", "--data-dir", parent.resolve("data").toString(), "--blobs", "s3://gone-bucket/x",
                    "--s3-endpoint", "http://127.0.0.1:" + closed, "--s3-path-style"));
            assertThat(r.exit()).isEqualTo(1);
            List<String> lines = r.out().lines().filter(l -> !l.startsWith("WARNING")).toList();
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).startsWith("easel: cannot use the bucket s3://gone-bucket/x/ at http://127.0.0.1:" + closed);
            assertThat(parent.resolve("data/easel.db")).as("no database opened for a node that cannot start").doesNotExist();
        } finally {
            TestServer.deleteTree(parent);
        }
    }

    /** On the first start the dev key is printed to the terminal, once; the next start shows only where it is. */
    @Test
    void theDevKeyIsPrintedOnceOnTheFirstStart() throws Exception {
        Path dataDir = TestServer.tempDir("easel-devkey-");
        try {
            String first = startAndStop(dataDir);
            String key = Files.readString(dataDir.resolve("dev-api-key")).strip();
            assertThat(first).contains("dev API key:  " + key);
            assertThat(first.lines().filter(l -> l.contains(key)).toList()).as("once, and not in a log line").hasSize(1)
                    .allSatisfy(l -> assertThat(l).doesNotContain("level="));
            String second = startAndStop(dataDir);
            assertThat(second).doesNotContain(key).contains("dev API key:  " + dataDir.resolve("dev-api-key"));
        } finally {
            TestServer.deleteTree(dataDir);
        }
    }

    /** Starts a server on a free port, reads its terminal until the banner has shown, stops it. */
    private static String startAndStop(Path dataDir) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.easel.Main", "serve", "--port", "0", "--data-dir", dataDir.toString(), "--workers", "0")
                .redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                out.append(line).append('\n');
                if (line.contains("engine:")) break; // the last line of the banner
            }
        } catch (IOException e) {
            throw new AssertionError("the server's output ended: " + out, e);
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        return out.toString();
    }
}
