package dev.easel.blobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.easel.TestS3;
import dev.easel.TestServer;
import dev.easel.crypto.Tokens;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The blob store's contract, on both kinds: a local directory and a real S3 API (s3proxy). Whatever
 * the rest of easel relies on (whole-or-nothing writes, absent keys read as empty, idempotent deletes,
 * no orphan when recording fails) holds on each.
 */
class BlobStoreContractTest {
    private static final Path LOCAL_DIR = TestServer.tempDir("easel-blobs-");

    static Stream<BlobStore> stores() {
        TestS3 s3 = TestS3.get();
        return Stream.of(new LocalBlobStore(LOCAL_DIR), s3.store(s3.newBucket(), "node/blobs"));
    }

    @AfterAll
    static void clean() {
        TestServer.deleteTree(LOCAL_DIR);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The blob's size as a read reports it, or empty when there is none. */
    private static java.util.Optional<Long> size(BlobStore store, String key) {
        return store.read(key).map(b -> {
            try (InputStream in = b.data()) {
                return b.size();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private static byte[] read(BlobStore store, String key) throws IOException {
        try (InputStream in = store.read(key).orElseThrow().data()) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void whatIsPutIsReadBackWithItsSize(BlobStore store) throws IOException {
        String key = Tokens.random();
        byte[] data = random(70_000, 1);
        store.put(key, data, "image/png");
        assertThat(read(store, key)).isEqualTo(data);
        assertThat(size(store, key)).contains(70_000L);
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aLargeStreamArrivesWhole(BlobStore store) throws IOException {
        String key = Tokens.random();
        byte[] data = random(6_000_000, 2);
        store.put(key, new ByteArrayInputStream(data), data.length, "application/octet-stream");
        assertThat(read(store, key)).isEqualTo(data);
    }

    @ParameterizedTest
    @MethodSource("stores")
    void absentAndMalformedKeysNameNothing(BlobStore store) {
        assertThat(store.read(Tokens.random())).isEmpty();
        assertThat(size(store, Tokens.random())).isEmpty();
        for (String bad : List.of("../../etc/passwd", "short", "a/b/c/d/e/f/g/h/i/j", "", "%2e%2e%2fkey-long-enough")) {
            assertThat(store.read(bad)).as(bad).isEmpty();
            assertThat(size(store, bad)).as(bad).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aPutReplacesAndADeleteRemovesIdempotently(BlobStore store) throws IOException {
        String key = Tokens.random();
        store.put(key, random(100, 3), "image/png");
        store.put(key, random(50, 4), "image/png");
        assertThat(read(store, key)).isEqualTo(random(50, 4));
        store.delete(key);
        assertThat(store.read(key)).isEmpty();
        assertThat(size(store, key)).isEmpty();
        store.delete(key); // again: not an error
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aStreamShorterThanItsSizeLeavesNothing(BlobStore store) {
        String key = Tokens.random();
        assertThatThrownBy(() -> store.put(key, new ByteArrayInputStream(new byte[10]), 1000, "image/png")).isInstanceOf(RuntimeException.class);
        assertThat(store.read(key)).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aFailedRecordLeavesNoOrphan(BlobStore store) {
        byte[] data = random(1000, 5);
        String[] seen = new String[1];
        assertThatThrownBy(() -> store.putAndRecord(new Upload(data.length, () -> new ByteArrayInputStream(data)), "image/png", key -> {
            seen[0] = key;
            assertThat(size(store, key)).contains(1000L); // the blob is there while the row is written
            throw new IllegalStateException("the row could not be written");
        })).hasMessageContaining("row could not be written");
        assertThat(store.read(seen[0])).isEmpty();
        String kept = store.putAndRecord(new Upload(data.length, () -> new ByteArrayInputStream(data)), "image/png", key -> key);
        assertThat(size(store, kept)).contains(1000L);
    }

    @ParameterizedTest
    @MethodSource("stores")
    void concurrentWritersDoNotMixTheirBytes(BlobStore store) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<String> keys = new ArrayList<>();
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String key = Tokens.random();
                keys.add(key);
                int seed = i;
                done.add(pool.submit(() -> store.put(key, random(20_000 + seed, seed), "image/png")));
            }
            for (Future<?> f : done) f.get();
            for (int i = 0; i < keys.size(); i++) assertThat(read(store, keys.get(i))).isEqualTo(random(20_000 + i, i));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void prefixesKeepStoresInOneBucketApart() {
        TestS3 s3 = TestS3.get();
        String bucket = s3.newBucket();
        S3BlobStore a = s3.store(bucket, "a");
        S3BlobStore b = s3.store(bucket, "b");
        String key = Tokens.random();
        a.put(key, new byte[] {1, 2, 3}, "image/png");
        assertThat(size(a, key)).contains(3L);
        assertThat(size(b, key)).isEmpty();
        assertThat(s3.admin().headObject(h -> h.bucket(bucket).key("a/" + key)).contentLength()).isEqualTo(3L);
    }

    @Test
    void aPresignedUrlReadsTheObjectWithItsTypeAndNothingElse() throws Exception {
        TestS3 s3 = TestS3.get();
        S3BlobStore store = s3.store(s3.newBucket(), "p");
        String key = Tokens.random();
        byte[] data = random(3000, 6);
        store.put(key, data, "image/png");
        HttpClient http = HttpClient.newHttpClient();
        String url = new PublicUrls.Presigned(store, Duration.ofMinutes(5)).png(key);
        HttpResponse<byte[]> ok = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo(data);
        assertThat(ok.headers().firstValue("Content-Type")).contains("image/png");
        // the signature covers the object: the same URL with another key is refused
        String other = url.replace(key, Tokens.random());
        assertThat(http.send(HttpRequest.newBuilder(URI.create(other)).build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(403);
        // and the bucket itself is private: no signature, no file
        String bare = url.substring(0, url.indexOf('?'));
        assertThat(http.send(HttpRequest.newBuilder(URI.create(bare)).build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(403);
    }

    @Test
    void aPublicBucketUrlIsTheBaseAndTheObjectKey() {
        TestS3 s3 = TestS3.get();
        S3BlobStore store = s3.store(s3.newBucket(), "results");
        String key = Tokens.random();
        assertThat(new PublicUrls.PublicBucket("https://cdn.example.com/img", store).png(key)).isEqualTo("https://cdn.example.com/img/results/" + key);
    }

    @Test
    void anUnreachableBucketSaysSoInsteadOfHanging() throws IOException {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        S3BlobStore gone = new S3BlobStore(S3BlobStore.Location.parse("s3://nowhere/x", URI.create("http://127.0.0.1:" + closed), null, true));
        TestS3.get(); // credentials in place
        assertThatThrownBy(gone::check).isInstanceOf(BlobStore.Unavailable.class).hasMessageContaining("nowhere");
        assertThatThrownBy(() -> gone.put(Tokens.random(), new byte[] {1}, "image/png")).isInstanceOf(BlobStore.Unavailable.class);
        assertThatThrownBy(() -> gone.read(Tokens.random())).isInstanceOf(BlobStore.Unavailable.class);
    }
}
