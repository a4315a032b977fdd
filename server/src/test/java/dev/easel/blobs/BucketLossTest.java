package dev.easel.blobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.TestS3;
import dev.easel.TestServer;
import dev.easel.jobs.Job;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * A node whose bucket stops answering mid-run (the connection to s3proxy cut by a proxy in between):
 * image reads answer 503 with Retry-After instead of failing or hanging, a render whose image cannot
 * be stored goes back to the queue instead of failing the job, and once the bucket is back the job
 * completes and its image reads again.
 */
class BucketLossTest {
    @Test
    void aLostBucketIs503ForReadsAndARequeueForRenders() throws Exception {
        TestS3 s3 = TestS3.get();
        String bucket = s3.newBucket();
        try (Cuttable proxy = new Cuttable(s3.endpoint().getPort());
             TestServer server = TestServer.start(1, 0, Clock.systemUTC(), "--blobs", "s3://" + bucket + "/x",
                     "--s3-endpoint", "http://127.0.0.1:" + proxy.port(), "--s3-path-style")) {
            String key = server.account("10", 2, 10);
            String accountId = server.easel.accounts().authenticate(key).orElseThrow();
            HttpClient http = HttpClient.newHttpClient();
            String first = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
            JsonNode done = server.awaitStatus(key, first, "completed");
            URI image = URI.create(done.get("result").get("urls").get(0).asText());
            assertThat(http.send(HttpRequest.newBuilder(image).build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);

            proxy.cut();
            HttpResponse<String> lost = http.send(HttpRequest.newBuilder(image).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(lost.statusCode()).isEqualTo(503);
            assertThat(lost.headers().firstValue("Retry-After")).contains("2");
            assertThat(lost.body()).contains("file storage is unavailable; retry shortly");

            String second = server.generate(key, TestServer.SIMPLE_BODY).json().get("job_id").asText();
            TestServer.await("the render re-queued", java.time.Duration.ofSeconds(60), () -> server.easel.jobs().get(accountId, second).map(Job::freeAttempts).orElse(0) >= 1);
            assertThat(server.easel.jobs().get(accountId, second).orElseThrow().status().isTerminal())
                    .as("the job waits for the bucket instead of failing").isFalse();

            proxy.restore();
            JsonNode back = server.awaitStatus(key, second, "completed");
            URI again = URI.create(back.get("result").get("urls").get(0).asText());
            assertThat(http.send(HttpRequest.newBuilder(again).build(), HttpResponse.BodyHandlers.ofByteArray()).body())
                    .startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
            assertThat(http.send(HttpRequest.newBuilder(image).build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
        }
    }

    /** A TCP proxy to a local port whose connections can be cut (and refused) and then allowed again. */
    private static final class Cuttable implements AutoCloseable {
        private final ServerSocket server;
        private final int target;
        private final Set<Socket> live = ConcurrentHashMap.newKeySet();
        private volatile boolean open = true;

        Cuttable(int target) throws IOException {
            this.target = target;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(this::accept);
        }

        int port() {
            return server.getLocalPort();
        }

        void cut() {
            open = false;
            for (Socket s : live) close(s);
            live.clear();
        }

        void restore() {
            open = true;
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    if (!open) {
                        close(client);
                        continue;
                    }
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                    live.add(client);
                    live.add(upstream);
                    Thread.ofVirtual().start(() -> pump(client, upstream));
                    Thread.ofVirtual().start(() -> pump(upstream, client));
                } catch (IOException e) {
                    if (server.isClosed()) return;
                }
            }
        }

        private void pump(Socket from, Socket to) {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // cut, or the other side closed
            } finally {
                close(from);
                close(to);
                live.remove(from);
                live.remove(to);
            }
        }

        private static void close(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            cut();
        }
    }
}
