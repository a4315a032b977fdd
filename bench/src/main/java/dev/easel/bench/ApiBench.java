package dev.easel.bench;

import dev.easel.Config;
import dev.easel.Easel;
import dev.easel.assets.ImageProbe;
import dev.easel.engine.Progress;
import dev.easel.engine.RenderSpec;
import dev.easel.engine.sketch.SketchEngine;
import dev.easel.jobs.AspectRatio;
import dev.easel.jobs.SpecResolver;
import dev.easel.net.AddressGuard;
import dev.easel.net.AddressRange;
import dev.easel.net.SafeHttpClient;
import com.sun.net.httpserver.HttpServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * A by-hand benchmark (not run by CI): POST and GET latency and throughput at N concurrent clients
 * against a real easel on loopback, the sketch engine's time per 1K image (also with references and a
 * moodboard), fetching and decoding one reference, and webhook delivery:
 * throughput and the delay from a job's end (its DELETE answered) to the receiver getting the POST.
 *
 * <pre>bench/run [clients=50] [requests=4000] [workers=0] [webhook concurrency=16]</pre>
 */
public final class ApiBench {
    private static final String BODY = "{\"prompt\":\"An igloo village glowing with Aurora's colors.\",\"aspect_ratio\":\"16:9\",\"resolution\":\"1K\"}";

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 4000;
        int workers = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        String webhookConcurrency = args.length > 3 ? args[3] : "16";
        System.out.printf("machine: %d cores, java %s%n", Runtime.getRuntime().availableProcessors(), Runtime.version());

        sketch();
        references();

        Config config = Config.parse(List.of("--port", "0", "--data-dir", Files.createTempDirectory("easel-bench-").toString(),
                "--workers", Integer.toString(workers), "--allow-private-targets", "--webhook-concurrency", webhookConcurrency),
                Map.of());
        try (Easel easel = Easel.start(config, Clock.systemUTC())) {
            String key = easel.accounts().create("bench", 1_000_000_000_000L, 1_000_000, 1_000_000).apiKey();
            String base = "http://127.0.0.1:" + easel.port();
            HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
            // warm-up: JIT, connection pool, SQLite page cache
            run(http, clients, 500, i -> post(base, key));
            ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
            Result posts = run(http, clients, requests, i -> post(base, key), ids);
            posts.print("POST " + "/generate/image/krea/krea-2/medium", clients);
            List<String> idList = new ArrayList<>(ids);
            Result gets = run(http, clients, requests * 2, i -> HttpRequest.newBuilder(URI.create(base + "/jobs/" + idList.get(i % idList.size())))
                    .header("Authorization", "Bearer " + key).build());
            gets.print("GET /jobs/{id}", clients);
            webhooks(http, base, key, 1, 200, webhookConcurrency);            // one job ending at a time: latency
            webhooks(http, base, key, clients, requests / 2, webhookConcurrency); // many at once: throughput
        }
    }

    /**
     * Submits {@code n} jobs with X-Webhook-URL to a local receiver (answering 204 at once), cancels
     * them all from {@code clients} threads, and times the deliveries.
     */
    private static void webhooks(HttpClient http, String base, String key, int clients, int n, String concurrency)
            throws Exception {
        Map<String, Long> received = new ConcurrentHashMap<>(), ended = new ConcurrentHashMap<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1000);
        receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        receiver.createContext("/hook", ex -> {
            long at = System.nanoTime();
            Matcher m = JOB_ID.matcher(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            if (m.find()) received.putIfAbsent(m.group(1), at);
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        receiver.start();
        try {
            String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
            ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
            run(http, clients, n, i -> HttpRequest.newBuilder(URI.create(base + "/generate/image/krea/krea-2/medium"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .header("X-Webhook-URL", hook).POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), ids);
            List<String> idList = new ArrayList<>(ids);
            long start = System.nanoTime();
            try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
                for (String id : idList) {
                    pool.submit(() -> {
                        http.send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + id)).header("Authorization", "Bearer " + key)
                                .DELETE().build(), HttpResponse.BodyHandlers.discarding());
                        ended.put(id, System.nanoTime());
                        return null;
                    });
                }
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (received.size() < idList.size() && System.nanoTime() < deadline) Thread.sleep(5);
            long last = received.values().stream().mapToLong(Long::longValue).max().orElse(start);
            long[] delays = idList.stream().filter(received::containsKey)
                    .mapToLong(id -> Math.max(0, received.get(id) - ended.get(id))).sorted().toArray();
            System.out.printf("webhooks (concurrency %s), jobs ended by %d clients: %d of %d delivered, %.0f deliveries/s, "
                            + "end-to-receipt p50 %.1f ms, p99 %.1f ms%n", concurrency, clients, received.size(), idList.size(), received.size() / ((last - start) / 1e9),
                    delays[delays.length / 2] / 1e6, delays[(int) (delays.length * 0.99)] / 1e6);
        } finally {
            receiver.stop(0);
        }
    }

    private static void sketch() throws InterruptedException {
        SketchEngine engine = new SketchEngine(0);
        for (int i = 0; i < 10; i++) engine.render(spec(AspectRatio.SQUARE, i), Progress.NONE); // warm-up
        for (AspectRatio aspect : List.of(AspectRatio.SQUARE, AspectRatio.R16_9)) {
            long[] nanos = new long[30];
            long bytes = 0;
            for (int i = 0; i < nanos.length; i++) {
                long t = System.nanoTime();
                bytes += engine.render(spec(aspect, 100 + i), Progress.NONE).png().length;
                nanos[i] = System.nanoTime() - t;
            }
            Arrays.sort(nanos);
            System.out.printf("sketch engine %s (%dx%d): p50 %.1f ms, p99 %.1f ms per image (incl. preview and PNG), %d KB avg%n",
                    aspect.wire, aspect.width, aspect.height, nanos[nanos.length / 2] / 1e6, nanos[nanos.length - 1] / 1e6,
                    bytes / nanos.length / 1024);
        }
    }

    /**
     * What references cost: the sketch engine with one reference and with a 50-image moodboard (the
     * k-means), and one reference fetched over loopback through the guarded client and decoded.
     */
    private static void references() throws Exception {
        SketchEngine engine = new SketchEngine(0);
        SplittableRandom random = new SplittableRandom(7);
        Supplier<RenderSpec.Pixels> photo = () -> {
            int[] argb = new int[512 * 384];
            for (int i = 0; i < argb.length; i++) argb[i] = 0xff000000 | random.nextInt(1 << 24);
            return new RenderSpec.Pixels(512, 384, argb);
        };
        RenderSpec plain = spec(AspectRatio.SQUARE, 1);
        RenderSpec oneRef = new RenderSpec(plain.width(), plain.height(), 1, plain.prompt(), 20, 10, List.of(),
                List.of(new RenderSpec.ImageReference(photo.get(), 0.5)), List.of());
        List<RenderSpec.Pixels> fifty = new ArrayList<>();
        for (int i = 0; i < 50; i++) fifty.add(photo.get());
        RenderSpec board = new RenderSpec(plain.width(), plain.height(), 1, plain.prompt(), 20, 10, List.of(), List.of(),
                List.of(new RenderSpec.MoodboardImages(fifty, 0.23)));
        for (var named : List.of(Map.entry("no reference", plain), Map.entry("1 reference", oneRef), Map.entry("moodboard of 50", board))) {
            for (int i = 0; i < 5; i++) engine.render(named.getValue(), Progress.NONE);
            long[] nanos = new long[20];
            for (int i = 0; i < nanos.length; i++) {
                long t = System.nanoTime();
                engine.render(named.getValue(), Progress.NONE);
                nanos[i] = System.nanoTime() - t;
            }
            Arrays.sort(nanos);
            System.out.printf("sketch engine 1:1 with %s: p50 %.1f ms%n", named.getKey(), nanos[nanos.length / 2] / 1e6);
        }

        BufferedImage img = new BufferedImage(2048, 2048, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2048; y++) {
            for (int x = 0; x < 2048; x++) img.setRGB(x, y, (x * 255 / 2048) << 16 | (y * 255 / 2048) << 8 | random.nextInt(64));
        }
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(img, "jpeg", jpeg);
        byte[] bytes = jpeg.toByteArray();
        HttpServer site = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
        site.createContext("/", ex -> {
            ex.getResponseHeaders().add("Content-Type", "image/jpeg");
            ex.sendResponseHeaders(200, bytes.length);
            try (var out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        site.start();
        try (var client = new SafeHttpClient(new AddressGuard(AddressRange.ALL,
                AddressGuard.SYSTEM_DNS), "bench", Clock.systemUTC())) {
            URI uri = URI.create("http://127.0.0.1:" + site.getAddress().getPort() + "/photo.jpg");
            long[] nanos = new long[25];
            for (int i = -5; i < nanos.length; i++) {
                long t = System.nanoTime();
                var fetched = (SafeHttpClient.Fetched.Body) client.getImage(uri, SpecResolver.MAX_IMAGE_BYTES, SpecResolver.FETCH_TIMEOUT);
                ImageProbe.probe(() -> new ByteArrayInputStream(fetched.bytes()));
                if (i >= 0) nanos[i] = System.nanoTime() - t;
            }
            Arrays.sort(nanos);
            System.out.printf("reference fetch + decode (2048x2048 JPEG, %d KB, loopback): p50 %.1f ms, p99 %.1f ms%n",
                    bytes.length / 1024, nanos[nanos.length / 2] / 1e6, nanos[nanos.length - 1] / 1e6);
        } finally {
            site.stop(0);
        }
    }

    static RenderSpec spec(AspectRatio aspect, long seed) {
        return new RenderSpec(aspect.width, aspect.height, seed, "An igloo village glowing with Aurora's colors, soft light",
                20, 10, List.of());
    }

    private static HttpRequest post(String base, String key) {
        return HttpRequest.newBuilder(URI.create(base + "/generate/image/krea/krea-2/medium"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
    }

    interface RequestFor {
        HttpRequest make(int i);
    }

    record Result(long[] nanos, long wallNanos, int errors) {
        void print(String what, int clients) {
            Arrays.sort(nanos);
            System.out.printf("%s at %d clients: %d requests, %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d%n", what, clients,
                    nanos.length, nanos.length / (wallNanos / 1e9), nanos[nanos.length / 2] / 1e6,
                    nanos[(int) (nanos.length * 0.99)] / 1e6, errors);
        }
    }

    private static Result run(HttpClient http, int clients, int requests, RequestFor make) throws InterruptedException {
        return run(http, clients, requests, make, new ConcurrentLinkedQueue<>());
    }

    private static final Pattern JOB_ID = Pattern.compile("\"job_id\":\"([^\"]+)\"");

    /** {@code clients} threads, each sending its next request when the last one answered (closed loop). */
    private static Result run(HttpClient http, int clients, int requests, RequestFor make, ConcurrentLinkedQueue<String> ids)
            throws InterruptedException {
        long[] nanos = new long[requests];
        AtomicInteger next = new AtomicInteger(), errors = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(clients);
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            for (int c = 0; c < clients; c++) {
                pool.submit(() -> {
                    try {
                        for (int i; (i = next.getAndIncrement()) < requests; ) {
                            long t = System.nanoTime();
                            try {
                                HttpResponse<String> r = http.send(make.make(i), HttpResponse.BodyHandlers.ofString());
                                nanos[i] = System.nanoTime() - t;
                                if (r.statusCode() != 200) errors.incrementAndGet();
                                Matcher m = JOB_ID.matcher(r.body());
                                if (m.find()) ids.add(m.group(1));
                            } catch (Exception e) {
                                nanos[i] = System.nanoTime() - t;
                                errors.incrementAndGet();
                            }
                        }
                    } finally {
                        done.countDown();
                    }
                });
            }
            done.await();
        }
        return new Result(nanos, System.nanoTime() - start, errors.get());
    }
}
