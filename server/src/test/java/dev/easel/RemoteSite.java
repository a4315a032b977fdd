package dev.easel;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A real HTTP server on a free port that plays someone else's site, a webhook receiver or an image
 * host: it records every request and answers what {@link #reply} says (a status with headers and a
 * body, after a pause, or never).
 */
public final class RemoteSite implements AutoCloseable {
    /** One request as it arrived; header names in lower case. */
    public record Received(String path, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? null : v.get(0);
        }

        public String bodyText() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /**
     * What to answer: {@code status} with {@code headers} after {@code pauseMillis}, and {@code body}
     * ({@link #replyBody} when null), chunked (no Content-Length) when {@code chunked}; {@code hang} never answers.
     */
    public record Reply(int status, Map<String, String> headers, long pauseMillis, boolean hang, byte[] body, boolean chunked) {
        public Reply(int status, Map<String, String> headers, long pauseMillis, boolean hang) {
            this(status, headers, pauseMillis, hang, null, false);
        }

        public static Reply status(int status) {
            return new Reply(status, Map.of(), 0, false);
        }

        /** A 200 with this body and Content-Type. */
        public static Reply content(String contentType, byte[] body) {
            return new Reply(200, Map.of("Content-Type", contentType), 0, false, body, false);
        }

        public static Reply redirect(int status, String location) {
            return new Reply(status, Map.of("Location", location), 0, false);
        }

        public Reply withoutLength() {
            return new Reply(status, headers, pauseMillis, hang, body, true);
        }

        public static final Reply HANG = new Reply(0, Map.of(), 0, true);
    }

    public final List<Received> received = new CopyOnWriteArrayList<>();
    public volatile Function<Received, Reply> reply = r -> Reply.status(200);
    /** The body of every answer. */
    public volatile byte[] replyBody = "ok".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    public final AtomicInteger inFlight = new AtomicInteger();
    public final AtomicInteger maxInFlight = new AtomicInteger();
    /** Hanging handlers wait for this; closing the receiver releases them. */
    private final CountDownLatch closed = new CountDownLatch(1);
    private final HttpServer server;

    public RemoteSite() {
        this(0);
    }

    public RemoteSite(int port) {
        this(create(port));
    }

    private static HttpServer create(int port) {
        try {
            return HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A receiver over HTTPS with a self-signed certificate (made by the JDK's keytool in {@code dir}),
     * which no client should trust.
     */
    public static RemoteSite https(Path dir) throws Exception {
        Path store = dir.resolve("receiver.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-keyalg", "EC", "-alias", "receiver", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", "changeit").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException("keytool failed: " + out);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        return new RemoteSite(server);
    }

    private RemoteSite(HttpServer server) {
        this.server = server;
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    public String url(String path) {
        return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    private void handle(HttpExchange ex) throws IOException {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        boolean counted = true;
        try (ex; InputStream in = ex.getRequestBody()) {
            Map<String, List<String>> headers = new java.util.HashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            Received r = new Received(ex.getRequestURI().getPath(), headers, in.readAllBytes());
            received.add(r);
            Reply reply = this.reply.apply(r);
            if (reply.hang()) {
                closed.await();
                return;
            }
            if (reply.pauseMillis() > 0) Thread.sleep(reply.pauseMillis());
            // no longer counted once the answer may reach the client: from then on the client may send
            // its next request, and counting both would report more in flight than the client ever had
            inFlight.decrementAndGet();
            counted = false;
            reply.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            byte[] body = reply.body() != null ? reply.body() : replyBody;
            ex.sendResponseHeaders(reply.status(), reply.chunked() ? 0 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (counted) inFlight.decrementAndGet();
        }
    }

    public List<Received> at(String path) {
        return received.stream().filter(r -> r.path().equals(path)).toList();
    }

    /** Waits (real time, at most 30 s) until the requests received satisfy {@code done}. */
    public void await(Predicate<List<Received>> done) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!done.test(received)) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("the receiver did not get the expected requests; got " + received.size());
            ApiClient.sleep(10);
        }
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
    }
}
