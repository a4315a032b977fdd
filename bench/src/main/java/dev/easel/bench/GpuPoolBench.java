package dev.easel.bench;

import dev.easel.TestServer;
import dev.easel.engine.gpu.ComfyGraph;
import dev.easel.engine.gpu.ComfyStandIn;
import dev.easel.engine.gpu.ComfyuiDriver;
import dev.easel.engine.gpu.GpuDriver;
import dev.easel.engine.gpu.SglangStandIn;
import dev.easel.styles.SafetensorsWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The GPU pool against two stand-in SGLang servers that take a fixed time per image: N jobs with 4
 * distinct styles in a random order (fixed seed), once with LoRA affinity and once strictly oldest
 * first; then easel's added latency per job over calling a stand-in directly; then, against a stand-in
 * ComfyUI, the same added latency and the time from a DELETE to the server's cancel call. Run by hand:
 * {@code bench/gpu [jobs=100] [ms per image=1000] [ms per LoRA set merged=500]}. The switch cost is an
 * assumption: SGLang caches loaded LoRAs, but merging a set still re-patches the transformer's weights.
 */
public final class GpuPoolBench {
    public static void main(String[] args) throws Exception {
        int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int millis = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int switchMillis = args.length > 2 ? Integer.parseInt(args[2]) : 500;
        System.out.printf("two stand-in SGLang servers, %d ms per image, %d ms per LoRA set merged, %d jobs over 4 styles in random order%n",
                millis, switchMillis, jobs);
        for (boolean affinity : new boolean[] {true, false}) pool(jobs, millis, switchMillis, affinity);
        latency(millis);
        comfyui(millis);
    }

    private static void pool(int jobs, int millis, int switchMillis, boolean affinity) throws Exception {
        try (SglangStandIn a = new SglangStandIn(); SglangStandIn b = new SglangStandIn();
             TestServer server = TestServer.start(1, 0, Clock.systemUTC(), "--engine", "sglang", "--sglang-url", a.url(), "--sglang-url", b.url(),
                     "--gpu-affinity=" + affinity)) {
            a.millisPerImage = millis;
            b.millisPerImage = millis;
            a.millisPerLoraSet = switchMillis;
            b.millisPerLoraSet = switchMillis;
            String key = server.account("1000", jobs, 1000);
            awaitUp(server, 2);
            List<String> styles = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                byte[] lora = new SafetensorsWriter().peftLayer("transformer.transformer_blocks." + i + ".attn.to_q", 4, 16, 16).bytes();
                styles.add(server.multipart(key, "/styles", Map.of("title", "s" + i), "file", "s.safetensors", "application/octet-stream", lora)
                        .json().get("id").asText());
            }
            SplittableRandom random = new SplittableRandom(42);
            List<String> ids = new ArrayList<>();
            long started = System.nanoTime();
            for (int i = 0; i < jobs; i++) {
                String style = styles.get(random.nextInt(styles.size()));
                ids.add(server.generate(key, "{\"prompt\":\"p\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\",\"seed\":" + i
                        + ",\"styles\":[{\"id\":\"" + style + "\",\"strength\":1}]}").json().get("job_id").asText());
            }
            long[] waits = new long[jobs];
            for (int i = 0; i < jobs; i++) {
                var done = server.awaitJob(key, ids.get(i), j -> j.get("status").asText().equals("completed"));
                waits[i] = Instant.parse(done.get("completed_at").asText()).toEpochMilli() - Instant.parse(done.get("created_at").asText()).toEpochMilli();
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            Arrays.sort(waits);
            System.out.printf("  %-22s %6.1f s  %5.2f images/s  LoRA switches %3d  wait p50 %5.1f s  max %5.1f s%n",
                    affinity ? "affinity:" : "oldest first (FIFO):", seconds, jobs / seconds,
                    a.calls("/v1/set_lora").size() + b.calls("/v1/set_lora").size(), waits[jobs / 2] / 1000.0, waits[jobs - 1] / 1000.0);
        }
    }

    /** One job at a time: the job's created_at to completed_at, against a direct call of the same stand-in. */
    private static void latency(int millis) throws Exception {
        int n = 10;
        try (SglangStandIn gpu = new SglangStandIn();
             TestServer server = TestServer.start(1, 0, Clock.systemUTC(), "--engine", "sglang", "--sglang-url", gpu.url())) {
            gpu.millisPerImage = millis;
            String key = server.account("10", 1, 1);
            awaitUp(server, 1);
            long[] viaEasel = new long[n], direct = new long[n];
            HttpClient http = HttpClient.newHttpClient();
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                http.send(HttpRequest.newBuilder(URI.create(gpu.url() + "/v1/images/generations"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"p\",\"width\":1024,\"height\":1024,\"seed\":" + i
                                + ",\"response_format\":\"b64_json\"}")).build(), HttpResponse.BodyHandlers.ofByteArray());
                direct[i] = System.nanoTime() - t;
                viaEasel[i] = throughEasel(server, key, i);
            }
            Arrays.sort(viaEasel);
            Arrays.sort(direct);
            System.out.printf("  one job at a time: direct call p50 %.1f ms, via easel (created_at to completed_at) p50 %.1f ms:"
                    + " easel adds %.1f ms per 1024x1024 job%n", direct[n / 2] / 1e6, viaEasel[n / 2] / 1e6, (viaEasel[n / 2] - direct[n / 2]) / 1e6);
        }
    }

    /**
     * A stand-in ComfyUI taking {@code millis} per image (8 steps): one job at a time through easel
     * against the same prompt driven directly (the driver alone: WebSocket, POST /prompt, frames,
     * /history, /view); then jobs cancelled while they sample, from the DELETE to the server's cancel call.
     */
    private static void comfyui(int millis) throws Exception {
        int n = 10;
        try (ComfyStandIn gpu = new ComfyStandIn();
             TestServer server = TestServer.start(1, 0, Clock.systemUTC(), "--engine", "comfyui", "--comfyui-url", gpu.url())) {
            gpu.millisPerStep = millis / 8;
            String key = server.account("10", 1, 1);
            awaitUp(server, 1);
            ComfyuiDriver direct = new ComfyuiDriver(URI.create(gpu.url()), HttpClient.newHttpClient(), ComfyGraph.DEFAULT);
            long[] viaEasel = new long[n], alone = new long[n];
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                direct.generate(new GpuDriver.Request(java.util.UUID.randomUUID().toString(), "p", 1024, 1024, i, 8, 1.0, List.of(), null),
                        java.time.Duration.ofMinutes(1), GpuDriver.Events.NONE);
                alone[i] = System.nanoTime() - t;
                viaEasel[i] = throughEasel(server, key, i);
            }
            Arrays.sort(viaEasel);
            Arrays.sort(alone);
            System.out.printf("  comfyui, one job at a time: driven directly p50 %.1f ms, via easel p50 %.1f ms: easel adds %.1f ms per job%n",
                    alone[n / 2] / 1e6, viaEasel[n / 2] / 1e6, (viaEasel[n / 2] - alone[n / 2]) / 1e6);
            gpu.millisPerStep = 500;
            long[] toCancel = new long[n];
            for (int i = 0; i < n; i++) {
                int before = gpu.cancels.size();
                String id = server.generate(key, "{\"prompt\":\"q\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\",\"seed\":" + i + "}")
                        .json().get("job_id").asText();
                server.awaitJob(key, id, j -> j.path("progress").path("step").asInt() >= 1);
                long t = System.nanoTime();
                server.delete(key, "/jobs/" + id);
                while (gpu.cancels.size() == before) Thread.sleep(1);
                toCancel[i] = System.nanoTime() - t;
            }
            Arrays.sort(toCancel);
            System.out.printf("  comfyui, DELETE of a sampling job to the server's cancel call: p50 %.1f ms, max %.1f ms (%d jobs)%n",
                    toCancel[n / 2] / 1e6, toCancel[n - 1] / 1e6, n);
        }
    }

    /** One 1024x1024 job through easel, waited for: its created_at to completed_at, in nanoseconds (millisecond timestamps). */
    private static long throughEasel(TestServer server, String key, long seed) {
        String id = server.generate(key, "{\"prompt\":\"p\",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\",\"seed\":" + seed + "}")
                .json().get("job_id").asText();
        var done = server.awaitStatus(key, id, "completed");
        return (Instant.parse(done.get("completed_at").asText()).toEpochMilli()
                - Instant.parse(done.get("created_at").asText()).toEpochMilli()) * 1_000_000L;
    }

    private static void awaitUp(TestServer server, int n) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            String ready = server.send("GET", "/readyz", null, Map.of()).body();
            if (ready.split("\"state\":\"up\"", -1).length - 1 == n) return;
            Thread.sleep(20);
        }
        throw new IllegalStateException("servers not up");
    }
}
