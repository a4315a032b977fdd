package dev.easel.engine.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.RemoteSite;
import dev.easel.TestServer;
import dev.easel.engine.png.PngText;
import dev.easel.jobs.AspectRatio;
import dev.easel.jobs.Job;
import dev.easel.styles.SafetensorsWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real Krea 2 images through the unchanged Krea API, from a pool of SGLang servers. CI has no GPU,
 * so the servers here are {@link SglangStandIn}s written from SGLang's documented API; the real
 * server was not run in CI.
 */
class GpuPoolTest {
    private final List<AutoCloseable> open = new ArrayList<>();
    private TestServer server;
    private String key;

    @AfterEach
    void close() throws Exception {
        if (server != null) server.close();
        for (AutoCloseable c : open) c.close();
    }

    private SglangStandIn standIn() {
        SglangStandIn s = new SglangStandIn();
        open.add(s);
        return s;
    }

    private void start(List<SglangStandIn> gpus, String... flags) {
        List<String> all = new ArrayList<>(List.of("--engine", "sglang"));
        for (SglangStandIn g : gpus) all.addAll(List.of("--sglang-url", g.url()));
        all.addAll(List.of(flags));
        server = TestServer.start(1, 0, Clock.systemUTC(), all.toArray(String[]::new));
        key = server.account("100", 4, 100);
        awaitInRotation(gpus.size());
    }

    private void awaitInRotation(int n) {
        PoolTests.awaitInRotation(server, n);
    }

    private void awaitReadyz(java.util.function.Predicate<String> done) {
        PoolTests.awaitReadyz(server, done);
    }

    private String submit(String body) {
        TestServer.Response r = server.generate(key, body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("job_id").asText();
    }

    private static String body(String aspect, String extra) {
        return "{\"prompt\":\"a lighthouse\",\"aspect_ratio\":\"" + aspect + "\",\"resolution\":\"1K\",\"seed\":7" + extra + "}";
    }

    private byte[] image(JsonNode done) {
        return server.send("GET", URI.create(done.get("result").get("urls").get(0).asText()).getPath(), null, Map.of()).bytes();
    }

    private String uploadStyle(byte[] file) {
        return PoolTests.uploadStyle(server, key, file);
    }

    private static byte[] diffusersLora(int layer) {
        return PoolTests.diffusersLora(layer);
    }

    @Test
    void everyAspectRatioComesBackAtItsSizeWithTheRecipeAndASeed() {
        SglangStandIn gpu = standIn();
        start(List.of(gpu));
        for (AspectRatio a : AspectRatio.values()) {
            JsonNode done = server.awaitStatus(key, submit(body(a.wire, "")), "completed");
            byte[] png = image(done);
            assertThat(PngText.size(png)).as(a.wire).containsExactly(a.width, a.height);
            assertThat(new String(png, StandardCharsets.ISO_8859_1)).contains("engine=sglang model=krea/Krea-2-Turbo recipe=turbo steps=8 seed=7");
            assertThat(done.at("/result/width").asInt()).isEqualTo(a.width);
        }
        JsonNode sent = gpu.calls("/v1/images/generations").get(0).body();
        assertThat(sent.get("seed").asLong()).isEqualTo(7);
        assertThat(sent.get("num_inference_steps").asInt()).isEqualTo(8);
        assertThat(sent.get("guidance_scale").asDouble()).isEqualTo(1.0);
        assertThat(sent.get("response_format").asText()).isEqualTo("b64_json");
        assertThat(sent.get("n").asInt()).isEqualTo(1);
        JsonNode ready = server.send("GET", "/readyz", null, Map.of()).json();
        assertThat(ready.get("engine").asText()).isEqualTo("sglang");
        assertThat(ready.at("/servers/0/renders").asLong()).isEqualTo(AspectRatio.values().length);
        assertThat(server.send("GET", "/metrics", null, Map.of()).body()).contains("easel_gpu_server_renders_total{server=\"" + gpu.url() + "\"} 8.0");
    }

    @Test
    void aRawServerSamples52StepsAtGuidance4Point5() {
        SglangStandIn gpu = new SglangStandIn("krea/Krea-2-Raw");
        open.add(gpu);
        List<String> flags = List.of("--engine", "sglang", "--sglang-url", gpu.url() + "#raw");
        server = TestServer.start(1, 0, Clock.systemUTC(), flags.toArray(String[]::new));
        key = server.account("1", 1, 1);
        awaitInRotation(1);
        server.awaitStatus(key, submit(body("1:1", "")), "completed");
        JsonNode sent = gpu.calls("/v1/images/generations").get(0).body();
        assertThat(sent.get("num_inference_steps").asInt()).isEqualTo(52);
        assertThat(sent.get("guidance_scale").asDouble()).isEqualTo(4.5);
    }

    @Test
    void stylesAreMergedAndUnmergedOnlyWhenTheSetChanges() throws Exception {
        SglangStandIn gpu = standIn();
        start(List.of(gpu));
        String a = uploadStyle(diffusersLora(0)), b = uploadStyle(diffusersLora(1));
        for (String style : List.of(a, a, b, "ink", a)) {
            server.awaitStatus(key, submit(body("1:1", ",\"styles\":[{\"id\":\"" + style + "\",\"strength\":0.8}]")), "completed");
        }
        assertThat(gpu.loraAndImageCalls()).containsExactly(
                "unmerge", "set_lora [\"" + a + "\"]", "generate", "generate", // the server may hold a set from before: cleared first
                "unmerge", "set_lora [\"" + b + "\"]", "generate",
                "unmerge", "generate", // ink is a built-in style: no LoRA, words in the prompt
                "set_lora [\"" + a + "\"]", "generate");
        JsonNode set = gpu.calls("/v1/set_lora").get(0).body();
        assertThat(set.get("strength").get(0).asDouble()).isEqualTo(0.8);
        assertThat(set.get("target").asText()).isEqualTo("all");
        assertThat(Files.exists(java.nio.file.Path.of(set.get("lora_path").get(0).asText()))).isTrue();
        assertThat(gpu.calls("/v1/images/generations").get(3).body().get("prompt").asText()).endsWith(", ink drawing");
        // without slider files, a slider is words: the same LoRAs at another intensity need no switch
        server.awaitStatus(key, submit(body("1:1", ",\"styles\":[{\"id\":\"" + a + "\",\"strength\":0.8}],\"intensity\":50")), "completed");
        assertThat(gpu.calls("/v1/set_lora")).hasSize(3);
        assertThat(server.send("GET", "/readyz", null, Map.of()).json().at("/servers/0/lora_switches").asLong()).isEqualTo(4);
        assertThat(server.send("GET", "/readyz", null, Map.of()).json().at("/servers/0/lora_set").asText()).endsWith("intensity*50");
    }

    /** A server easel meets with LoRAs merged (by an earlier easel, or by hand) is cleared before a job without them. */
    @Test
    void aServerThatHoldsLorasFromBeforeIsClearedFirst() throws Exception {
        SglangStandIn gpu = standIn();
        java.nio.file.Path leftover = TestServer.tempDir("easel-leftover-").resolve("old.safetensors");
        open.add(() -> TestServer.deleteTree(leftover.getParent()));
        Files.write(leftover, diffusersLora(9));
        java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(URI.create(gpu.url() + "/v1/set_lora"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"lora_nickname\":\"old\",\"lora_path\":\"" + leftover + "\"}")).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        start(List.of(gpu));
        server.awaitStatus(key, submit(body("1:1", "")), "completed");
        assertThat(gpu.loraAndImageCalls()).containsExactly("set_lora \"old\"", "unmerge", "generate");
    }

    /** A set refused halfway (unmerged, then not set) leaves the server's set unknown: the next job sets its own again. */
    @Test
    void aRefusedSetLeavesTheServersSetUnknown() {
        SglangStandIn gpu = standIn();
        start(List.of(gpu));
        String a = uploadStyle(diffusersLora(0)), b = uploadStyle(diffusersLora(1));
        server.awaitStatus(key, submit(body("1:1", ",\"styles\":[{\"id\":\"" + a + "\",\"strength\":1}]")), "completed");
        gpu.failNextSetLoraWith = 400;
        JsonNode failed = server.awaitStatus(key, submit(body("1:1", ",\"styles\":[{\"id\":\"" + b + "\",\"strength\":1}]")), "failed");
        assertThat(failed.at("/error/code").asText()).isEqualTo("engine_error");
        assertThat(failed.at("/error/message").asText()).contains("cannot load the LoRA");
        server.awaitStatus(key, submit(body("1:1", ",\"styles\":[{\"id\":\"" + a + "\",\"strength\":1}]")), "completed");
        List<String> calls = gpu.loraAndImageCalls();
        assertThat(calls.subList(calls.size() - 3, calls.size())).as("a is set again: %s", calls)
                .containsExactly("unmerge", "set_lora [\"" + a + "\"]", "generate");
    }

    /** Two servers, two LoRA sets, jobs of both submitted at once: each server keeps to one set. */
    @Test
    void jobsGoToTheServerThatHasTheirLorasMerged() {
        SglangStandIn one = standIn(), two = standIn();
        one.millisPerImage = 150;
        two.millisPerImage = 150;
        start(List.of(one, two));
        String a = uploadStyle(diffusersLora(0)), b = uploadStyle(diffusersLora(1));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) ids.add(submit(body("1:1", ",\"styles\":[{\"id\":\"" + (i % 2 == 0 ? a : b) + "\",\"strength\":1}]")));
        for (String id : ids) server.awaitStatus(key, id, "completed");
        long switches = one.calls("/v1/set_lora").size() + two.calls("/v1/set_lora").size();
        assertThat(switches).as("one set per server: %s / %s", one.loraAndImageCalls(), two.loraAndImageCalls()).isEqualTo(2);
        assertThat(one.calls("/v1/images/generations")).hasSize(4);
        assertThat(two.calls("/v1/images/generations")).hasSize(4);
    }

    @Test
    void aServerThatDiesMidJobLeavesTheRotationAndTheJobCompletesOnTheOtherWithoutLosingAnAttempt() {
        SglangStandIn dying = standIn(), healthy = standIn();
        dying.dieNext = true;
        healthy.millisPerImage = 300; // so that the first job goes to the dying server while this one is busy
        start(List.of(dying, healthy));
        String first = submit(body("1:1", "")), second = submit(body("4:3", ""));
        JsonNode done1 = server.awaitStatus(key, first, "completed");
        server.awaitStatus(key, second, "completed");
        assertThat(done1.get("status").asText()).isEqualTo("completed");
        Job job = server.easel.jobs().get(server.easel.accounts().authenticate(key).orElseThrow(), first).orElseThrow();
        Job other = server.easel.jobs().get(server.easel.accounts().authenticate(key).orElseThrow(), second).orElseThrow();
        assertThat(job.countedAttempts() + other.countedAttempts()).as("the server's failure cost no attempt").isEqualTo(2);
        assertThat(job.freeAttempts() + other.freeAttempts()).isEqualTo(1);
        JsonNode ready = server.send("GET", "/readyz", null, Map.of()).json();
        assertThat(ready.toString()).contains("\"state\":\"down\"");
        assertThat(healthy.calls("/v1/images/generations")).hasSize(2);
    }

    /** A server that failed is probed again after its backoff, comes back, and renders the job it failed. */
    @Test
    void aFailedServerIsProbedAgainAndReturnsToTheRotation() {
        SglangStandIn gpu = standIn();
        gpu.failNextWith = 503;
        start(List.of(gpu));
        String id = submit(body("1:1", ""));
        JsonNode done = server.awaitStatus(key, id, "completed");
        assertThat(done.get("status").asText()).isEqualTo("completed");
        assertThat(gpu.calls("/v1/images/generations")).hasSize(2);
        assertThat(gpu.calls("/health").size()).as("probed at start and after the failure").isGreaterThanOrEqualTo(2);
        JsonNode s = server.send("GET", "/readyz", null, Map.of()).json().at("/servers/0");
        assertThat(s.get("state").asText()).isEqualTo("up");
        assertThat(s.get("failures").asLong()).isEqualTo(1);
        Job job = server.easel.jobs().get(server.easel.accounts().authenticate(key).orElseThrow(), id).orElseThrow();
        assertThat(job.attempt()).isEqualTo(2);
        assertThat(job.countedAttempts()).isEqualTo(1);
    }

    /** A server that dies while idle fails its health check and leaves the rotation before any job is sent to it. */
    @Test
    void anIdleServerThatDiesFailsItsHealthCheckAndGetsNoJob() {
        SglangStandIn dying = standIn(), healthy = standIn();
        start(List.of(dying, healthy));
        dying.die();
        awaitReadyz(r -> r.contains("\"state\":\"down\""));
        for (int i = 0; i < 4; i++) server.awaitStatus(key, submit(body("1:1", ",\"seed\":" + (10 + i)).replace(",\"seed\":7", "")), "completed");
        assertThat(healthy.calls("/v1/images/generations")).hasSize(4);
        assertThat(dying.calls("/v1/images/generations")).isEmpty();
        JsonNode down = server.send("GET", "/readyz", null, Map.of()).json().at("/servers/0");
        assertThat(down.get("state").asText()).isEqualTo("down");
        assertThat(down.get("last_error").asText()).contains("/health");
    }

    @Test
    void aHungRequestHitsItsDeadlineAndTheJobGoesToAnotherServer() {
        SglangStandIn hanging = standIn(), healthy = standIn();
        hanging.hangNext = true;
        healthy.millisPerImage = 300;
        start(List.of(hanging, healthy), "--gpu-timeout-s", "1");
        String first = submit(body("1:1", "")), second = submit(body("1:1", ",\"seed\":8").replace(",\"seed\":7", ""));
        server.awaitStatus(key, first, "completed");
        server.awaitStatus(key, second, "completed");
        JsonNode ready = server.send("GET", "/readyz", null, Map.of()).json();
        assertThat(ready.toString()).contains("got no answer within 1 s");
    }

    @Test
    void aCancelledJobsImageIsDroppedAndTheServerServesTheNextJob() {
        SglangStandIn gpu = standIn();
        gpu.millisPerImage = 1500;
        start(List.of(gpu));
        String id = submit(body("1:1", ""));
        JsonNode sampling = server.awaitStatus(key, id, "sampling");
        assertThat(sampling.get("progress").get("steps").asInt()).isEqualTo(8);
        // SGLang reports no progress: easel estimates steps from the server's pace (0.2 s a step until measured)
        JsonNode moving = server.awaitJob(key, id, j -> j.path("progress").path("step").asInt() >= 2);
        assertThat(moving.get("status").asText()).isEqualTo("sampling");
        assertThat(server.delete(key, "/jobs/" + id).json().get("status").asText()).isEqualTo("cancelled");
        String next = submit(body("1:1", ",\"seed\":9").replace(",\"seed\":7", ""));
        server.awaitStatus(key, next, "completed");
        JsonNode cancelled = server.get(key, "/jobs/" + id).json();
        assertThat(cancelled.get("status").asText()).isEqualTo("cancelled");
        assertThat(cancelled.get("result").isNull()).isTrue();
        assertThat(gpu.calls("/v1/images/generations")).hasSize(2);
        assertThat(server.get(key, "/account").json().get("balance_usd").decimalValue()).isEqualByComparingTo("99.97");
    }

    /** The open weights have no reference adapter: a reference moves the output's colours toward its own, by its strength. */
    @Test
    void aReferencePullsTheOutputsColoursTowardItsOwn() throws Exception {
        SglangStandIn gpu = standIn();
        RemoteSite site = new RemoteSite();
        open.add(site);
        byte[] red = new byte[64 * 64 * 3];
        for (int i = 0; i < red.length; i += 3) red[i] = (byte) 230;
        byte[] redPng = dev.easel.engine.png.PngEncoder.encode(64, 64, red, Map.of());
        site.reply = r -> RemoteSite.Reply.content("image/png", redPng);
        start(List.of(gpu));
        double plain = redness(image(server.awaitStatus(key, submit(body("1:1", "")), "completed")));
        String ref = ",\"image_style_references\":[{\"url\":\"" + site.url("/red.png") + "\",\"strength\":";
        double half = redness(image(server.awaitStatus(key, submit(body("1:1", ref + "0.5}]")), "completed")));
        double full = redness(image(server.awaitStatus(key, submit(body("1:1", ref + "1}]")), "completed")));
        assertThat(half).as("plain %.3f, half %.3f, full %.3f", plain, half, full).isGreaterThan(plain + 0.05);
        assertThat(full).isGreaterThan(half + 0.05);
        byte[] zero = image(server.awaitStatus(key, submit(body("1:1", ref + "0}]")), "completed"));
        assertThat(redness(zero)).as("strength 0 changes nothing").isEqualTo(plain);
    }

    /** Mean red minus the mean of green and blue, 0..1. */
    private static double redness(byte[] png) throws Exception {
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
        double sum = 0;
        int n = 0;
        for (int y = 0; y < img.getHeight(); y += 8) {
            for (int x = 0; x < img.getWidth(); x += 8) {
                int rgb = img.getRGB(x, y);
                sum += (((rgb >> 16) & 0xff) - (((rgb >> 8) & 0xff) + (rgb & 0xff)) / 2.0) / 255;
                n++;
            }
        }
        return sum / n;
    }

    @Test
    void slidersAreWordsWithoutSliderLorasAndLorasWithThem() throws Exception {
        SglangStandIn gpu = standIn();
        start(List.of(gpu));
        server.awaitStatus(key, submit(body("1:1", ",\"intensity\":60,\"complexity\":-30")), "completed");
        String prompt = gpu.calls("/v1/images/generations").get(0).body().get("prompt").asText();
        assertThat(prompt).contains("vivid, high-contrast, intense").contains("somewhat minimal, simple composition");
        assertThat(gpu.calls("/v1/set_lora")).isEmpty();
        server.close();
        server = null;

        SglangStandIn withSliders = standIn();
        java.nio.file.Path slider = TestServer.tempDir("easel-slider-").resolve("intensity.safetensors");
        open.add(() -> TestServer.deleteTree(slider.getParent()));
        Files.write(slider, diffusersLora(3));
        start(List.of(withSliders), "--slider-lora", "intensity=" + slider);
        server.awaitStatus(key, submit(body("1:1", ",\"intensity\":60,\"complexity\":-30")), "completed");
        JsonNode set = withSliders.calls("/v1/set_lora").get(0).body();
        assertThat(set.get("lora_nickname").toString()).isEqualTo("[\"intensity\"]");
        assertThat(set.get("strength").get(0).asDouble()).isEqualTo(0.6);
        String withPrompt = withSliders.calls("/v1/images/generations").get(0).body().get("prompt").asText();
        assertThat(withPrompt).doesNotContain("intense").contains("somewhat minimal, simple composition");
    }

    @Test
    void aStyleTheServerCannotLoadIsRefusedAtSubmitWithTheReason() {
        SglangStandIn gpu = standIn();
        start(List.of(gpu));
        String mlp = uploadStyle(new SafetensorsWriter().kohyaLayer("diffusion_model.blocks.0.mlp.w1", 4, 16, 16).bytes());
        TestServer.Response r = server.generate(key, body("1:1", ",\"styles\":[{\"id\":\"" + mlp + "\",\"strength\":1}]"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).contains("cannot be used with the sglang engine: tensor diffusion_model.blocks.0.mlp.w1");
        String fine = uploadStyle(diffusersLora(0));
        TestServer.Response negative = server.generate(key, body("1:1", ",\"styles\":[{\"id\":\"" + fine + "\",\"strength\":-1}]"));
        assertThat(negative.status()).isEqualTo(400);
        assertThat(negative.error()).contains("cannot apply a LoRA at a negative strength");
        assertThat(server.generate(key, body("1:1", ",\"styles\":[{\"id\":\"ink\",\"strength\":-1}]")).status())
                .as("a built-in style is words, negative or not").isEqualTo(200);
    }

    @Test
    void aFlaggedImageIsRefusedAndAFilterThatFailsFailsClosed() throws Exception {
        SglangStandIn gpu = standIn();
        RemoteSite filter = new RemoteSite();
        open.add(filter);
        filter.reply = r -> r.path().equals("/flag")
                ? RemoteSite.Reply.content("application/json", "{\"flagged\":true,\"categories\":[\"violence\"]}".getBytes())
                : RemoteSite.Reply.status(500);
        start(List.of(gpu), "--content-filter-url", filter.url("/flag"));
        JsonNode failed = server.awaitStatus(key, submit(body("1:1", "")), "failed");
        assertThat(failed.at("/error/code").asText()).isEqualTo("content_filtered");
        assertThat(failed.at("/error/message").asText()).contains("violence");
        assertThat(filter.received.get(0).header("content-type")).isEqualTo("image/png");
        assertThat(PngText.size(filter.received.get(0).body())).containsExactly(1024, 1024);
        assertThat(server.get(key, "/account").json().get("balance_usd").decimalValue()).isEqualByComparingTo("100");
        server = server.restart(1, 0, "--engine", "sglang", "--sglang-url", gpu.url(), "--content-filter-url", filter.url("/broken"));
        awaitInRotation(1);
        JsonNode closed = server.awaitStatus(key, submit(body("1:1", "")), "failed");
        assertThat(closed.at("/error/code").asText()).isEqualTo("content_filter_unavailable");
        assertThat(closed.at("/error/message").asText()).contains("HTTP 500");

        filter.reply = r -> RemoteSite.Reply.HANG;
        server = server.restart(1, 0, "--engine", "sglang", "--sglang-url", gpu.url(), "--content-filter-url", filter.url("/slow"),
                "--content-filter-timeout-s", "1");
        awaitInRotation(1);
        JsonNode late = server.awaitStatus(key, submit(body("1:1", "")), "failed");
        assertThat(late.at("/error/code").asText()).isEqualTo("content_filter_unavailable");
        assertThat(late.at("/error/message").asText()).contains("did not answer");
        assertThat(server.get(key, "/account").json().get("balance_usd").decimalValue()).isEqualByComparingTo("100");
    }
}
