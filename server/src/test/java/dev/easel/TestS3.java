package dev.easel;

import dev.easel.blobs.S3BlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API for the tests: s3proxy (org.gaul:s3proxy, objects as files), started once per test JVM
 * as its own java process, because it is built on Jetty 11 and easel on Jetty 12. Its libraries are
 * gathered by the tools/s3proxy module into the directory the build names in {@code easel.test.s3proxy.lib}.
 * Credentials reach easel the standard AWS way: system properties here, environment variables for the
 * processes the tests start ({@link #environment()}).
 */
public final class TestS3 {
    public static final String ACCESS_KEY = "easel-test-access";
    public static final String SECRET_KEY = "easel-test-secret-" + Long.toHexString(System.nanoTime());
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static TestS3 instance;

    private final URI endpoint;
    private final Process process;
    private final Path dir;
    private final S3Client admin;

    private TestS3(URI endpoint, Process process, Path dir) {
        this.endpoint = endpoint;
        this.process = process;
        this.dir = dir;
        this.admin = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY))).build();
    }

    public static synchronized TestS3 get() {
        if (instance == null) {
            instance = start();
            System.setProperty("aws.accessKeyId", ACCESS_KEY);
            System.setProperty("aws.secretAccessKey", SECRET_KEY);
            Runtime.getRuntime().addShutdownHook(new Thread(instance::stop, "test-s3-stop"));
        }
        return instance;
    }

    public URI endpoint() {
        return endpoint;
    }

    /** A new, empty bucket; {@code s3://<name>/<prefix>} for {@code --blobs}. */
    public String newBucket() {
        String name = "easel-test-" + ProcessHandle.current().pid() + "-" + BUCKETS.incrementAndGet();
        admin.createBucket(b -> b.bucket(name));
        return name;
    }

    /** The bucket of the node whose data dir is {@code dataDir}, created on first use (the same dir gets the same bucket). */
    public synchronized String bucketFor(Path dataDir) {
        String name = "easel-" + Integer.toHexString(dataDir.toAbsolutePath().toString().hashCode() & 0x7fffffff);
        if (!admin.listBuckets().buckets().stream().anyMatch(b -> b.name().equals(name))) admin.createBucket(b -> b.bucket(name));
        return name;
    }

    public S3Client admin() {
        return admin;
    }

    /** The store for {@code s3://bucket/prefix} on this server, as easel opens it. */
    public S3BlobStore store(String bucket, String prefix) {
        return new S3BlobStore(S3BlobStore.Location.parse("s3://" + bucket + "/" + prefix, endpoint, null, true));
    }

    /** The flags that point an easel process at {@code bucket}. */
    public List<String> flags(String bucket) {
        return List.of("--blobs", "s3://" + bucket + "/easel", "--s3-endpoint", endpoint.toString(), "--s3-path-style");
    }

    /** The environment an easel process needs to sign its requests (the AWS SDK's standard variables). */
    public Map<String, String> environment() {
        return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    }

    private static TestS3 start() {
        String lib = System.getProperty("easel.test.s3proxy.lib");
        if (lib == null || !Files.isDirectory(Path.of(lib))) {
            throw new IllegalStateException("s3proxy's libraries are not where easel.test.s3proxy.lib says (" + lib
                    + "): build from the repository root (./mvnw verify), which gathers them in tools/s3proxy/target/lib");
        }
        try {
            Path dir = TestServer.tempDir("easel-s3proxy-");
            Files.createDirectories(dir.resolve("objects"));
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            URI endpoint = URI.create("http://127.0.0.1:" + port);
            Files.writeString(dir.resolve("s3proxy.conf"), String.join("\n",
                    "s3proxy.endpoint=" + endpoint,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + ACCESS_KEY,
                    "s3proxy.credential=" + SECRET_KEY,
                    // objects in files, not in s3proxy's heap: a cluster run stores hundreds of images
                    "jclouds.provider=filesystem-nio2",
                    "jclouds.filesystem.basedir=" + dir.resolve("objects"),
                    "jclouds.identity=unused",
                    "jclouds.credential=unused", ""));
            Files.writeString(dir.resolve("logback.xml"), """
                    <configuration>
                      <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                        <encoder><pattern>%d %-5level %logger{20} %msg%n</pattern></encoder>
                      </appender>
                      <root level="WARN"><appender-ref ref="OUT"/></root>
                    </configuration>
                    """);
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dlogback.configurationFile=" + dir.resolve("logback.xml"),
                    "--sun-misc-unsafe-memory-access=allow", "-cp", lib + "/*", "org.gaul.s3proxy.Main", "--properties",
                    dir.resolve("s3proxy.conf").toString()));
            if (Runtime.version().feature() < 24) command.remove("--sun-misc-unsafe-memory-access=allow");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
            TestS3 s3 = new TestS3(endpoint, p, dir);
            s3.awaitUp(port);
            return s3;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start s3proxy", e);
        }
    }

    private void awaitUp(int port) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (var socket = new java.net.Socket("127.0.0.1", port)) {
                admin.listBuckets();
                return;
            } catch (IOException | RuntimeException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("s3proxy did not start: " + e + "; log: " + log());
                }
                ApiClient.sleep(50);
            }
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("s3proxy.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private void stop() {
        admin.close();
        TestPostgres.stop(process, dir);
    }
}
