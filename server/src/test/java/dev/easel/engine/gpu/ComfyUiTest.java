package dev.easel.engine.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.TestServer;
import dev.easel.engine.png.PngText;
import dev.easel.json.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Krea 2 on ComfyUI through the unchanged Krea API. CI has no GPU: the servers here are
 * {@link ComfyStandIn}s written from ComfyUI's documented API (a real WebSocket, a real HTTP API).
 */
class ComfyUiTest {
    private final List<AutoCloseable> open = new ArrayList<>();
    private TestServer server;
    private String key;

    @AfterEach
    void close() throws Exception {
        if (server != null) server.close();
        for (AutoCloseable c : open) c.close();
    }

    private ComfyStandIn standIn() {
        ComfyStandIn s = new ComfyStandIn();
        open.add(s);
        return s;
    }

    private void start(List<ComfyStandIn> gpus, String... flags) {
        List<String> all = new ArrayList<>(List.of("--engine", "comfyui"));
        for (ComfyStandIn g : gpus) all.addAll(List.of("--comfyui-url", g.url()));
        all.addAll(List.of(flags));
        server = TestServer.start(1, 0, Clock.systemUTC(), all.toArray(String[]::new));
        key = server.account("100", 4, 100);
        PoolTests.awaitInRotation(server, gpus.size());
    }

    private String submit(String body) {
        TestServer.Response r = server.generate(key, body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("job_id").asText();
    }

    private static String body(String extra) {
        return "{\"prompt\":\"a lighthouse\",\"aspect_ratio\":\"16:9\",\"resolution\":\"1K\",\"seed\":7" + extra + "}";
    }

    private String uploadStyle(int layer) {
        return PoolTests.uploadStyle(server, key, PoolTests.diffusersLora(layer));
    }

    @Test
    void everyStyleBecomesALoraNodeWithItsOwnStrengthNegativeOnesIncluded() {
        ComfyStandIn gpu = standIn();
        start(List.of(gpu));
        String a = uploadStyle(0), b = uploadStyle(1), c = uploadStyle(2);
        String id = submit(body(",\"styles\":[{\"id\":\"" + a + "\",\"strength\":0.8},{\"id\":\"" + b + "\",\"strength\":-0.5},"
                + "{\"id\":\"" + c + "\",\"strength\":1.2}]"));
        JsonNode done = server.awaitStatus(key, id, "completed");
        JsonNode graph = gpu.prompts.get(0).graph();
        assertThat(ComfyStandIn.loraStrengths(graph).values()).containsExactlyInAnyOrder(0.8, -0.5, 1.2);
        assertThat(ComfyStandIn.loraStrengths(graph).keySet()).allSatisfy(name -> assertThat(name).endsWith(".safetensors"));
        JsonNode sampler = null;
        for (JsonNode n : graph) if (n.path("class_type").asText().equals("KSampler")) sampler = n.path("inputs");
        assertThat(sampler.path("steps").asInt()).isEqualTo(8);
        assertThat(sampler.path("cfg").asDouble()).isEqualTo(1.0);
        assertThat(sampler.path("seed").asLong()).isEqualTo(7);
        byte[] png = server.send("GET", URI.create(done.get("result").get("urls").get(0).asText()).getPath(), null, Map.of()).bytes();
        assertThat(PngText.size(png)).containsExactly(done.get("result").get("width").asInt(), done.get("result").get("height").asInt());
        assertThat(server.send("GET", "/readyz", null, Map.of()).json().at("/servers/0/model").asText())
                .isEqualTo(dev.easel.engine.gpu.ComfyGraph.DEFAULT.unet());
    }

    @Test
    void slidersWithFilesBecomeLoraNodesAtValueOverAHundred() {
        ComfyStandIn gpu = standIn();
        start(List.of(gpu), "--slider-lora", "intensity=/gpu/loras/intensity.safetensors", "--slider-lora", "complexity=/gpu/loras/complexity.safetensors");
        server.awaitStatus(key, submit(body(",\"intensity\":60,\"complexity\":-40")), "completed");
        assertThat(ComfyStandIn.loraStrengths(gpu.prompts.get(0).graph()))
                .containsEntry("intensity.safetensors", 0.6).containsEntry("complexity.safetensors", -0.4);
    }

    @Test
    void loraFilesAreNamedByTheirPathUnderComfyUisLorasFolder() {
        ComfyStandIn gpu = standIn();
        start(List.of(gpu), "--lora-dir-remote", "/opt/ComfyUI/models/loras/easel");
        String a = uploadStyle(0);
        server.awaitStatus(key, submit(body(",\"styles\":[{\"id\":\"" + a + "\",\"strength\":0.5}]")), "completed");
        assertThat(ComfyStandIn.loraStrengths(gpu.prompts.get(0).graph())).containsOnlyKeys("easel/" + a + ".safetensors");
        assertThat(ComfyGraph.loraName("/mnt/comfy-loras/x.safetensors")).isEqualTo("x.safetensors");
    }

    @Test
    void aJpegPreviewIsKeptAsAPng() throws Exception {
        ComfyStandIn gpu = standIn();
        gpu.jpegPreviews = true;
        gpu.millisPerStep = 300;
        start(List.of(gpu));
        String id = submit(body(""));
        JsonNode previewed = server.awaitJob(key, id, j -> j.path("status").asText().equals("intermediate-complete") && j.path("result").has("urls")
                || j.path("status").asText().equals("completed"));
        assertThat(previewed.get("status").asText()).isEqualTo("intermediate-complete");
        byte[] png = server.send("GET", URI.create(previewed.get("result").get("urls").get(0).asText()).getPath(), null, Map.of()).bytes();
        assertThat(PngText.size(png)).containsExactly(64, 64);
    }

    @Test
    void theEventStreamShowsTheServersStepsAndAPreviewBeforeCompleted() throws Exception {
        ComfyStandIn gpu = standIn();
        gpu.millisPerStep = 150;
        start(List.of(gpu));
        String id = submit(body(""));
        List<JsonNode> events = new ArrayList<>();
        HttpResponse<java.io.InputStream> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.base + "/jobs/" + id + "/events"))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader r = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) if (line.startsWith("data: ")) events.add(Json.MAPPER.readTree(line.substring(6)));
        }
        assertThat(events.get(events.size() - 1).get("status").asText()).isEqualTo("completed");
        List<Integer> steps = new ArrayList<>();
        JsonNode preview = null;
        for (JsonNode e : events) {
            if (e.has("progress")) steps.add(e.get("progress").get("step").asInt());
            if (e.get("status").asText().equals("intermediate-complete") && e.path("result").has("urls")) preview = e;
        }
        assertThat(steps).as("the server's own steps, in order: %s", events).isSorted().hasSizeGreaterThanOrEqualTo(4);
        assertThat(preview).as("a preview before completion: %s", events).isNotNull();
        byte[] png = server.send("GET", URI.create(preview.get("result").get("urls").get(0).asText()).getPath(), null, Map.of()).bytes();
        assertThat(PngText.size(png)).containsExactly(64, 64);
    }

    @Test
    void cancellingOneOfTwoRunningJobsCancelsExactlyItsPrompt() {
        ComfyStandIn first = standIn(), second = standIn();
        first.millisPerStep = 400;
        second.millisPerStep = 400;
        start(List.of(first, second));
        String a = submit(body("")), b = submit(body(",\"seed\":8").replace(",\"seed\":7", ""));
        server.awaitJob(key, a, j -> j.path("progress").path("step").asInt() >= 1);
        server.awaitJob(key, b, j -> j.path("progress").path("step").asInt() >= 1);
        ComfyStandIn ofA = first.prompts.isEmpty() || second.prompts.isEmpty() ? null
                : first.graph(first.prompts.get(0).promptId()).toString().contains("\"seed\":7") ? first : second;
        assertThat(ofA).as("one job on each server").isNotNull();
        ComfyStandIn ofB = ofA == first ? second : first;
        assertThat(server.delete(key, "/jobs/" + a).json().get("status").asText()).isEqualTo("cancelled");
        TestServer.await("the cancel call", () -> !ofA.cancels.isEmpty());
        assertThat(ofA.cancels).containsExactly("cancel " + ofA.prompts.get(0).promptId());
        assertThat(server.awaitStatus(key, b, "completed").get("status").asText()).isEqualTo("completed");
        assertThat(ofB.cancels).isEmpty();
    }

    /** The server sends nothing while this prompt runs: the cancel must not wait for a next step that never comes. */
    @Test
    void aCancelReachesTheServerWithoutWaitingForItsNextStep() {
        ComfyStandIn gpu = standIn();
        gpu.hangNext = true;
        start(List.of(gpu));
        String id = submit(body(""));
        server.awaitStatus(key, id, "sampling");
        TestServer.await("the prompt", () -> !gpu.prompts.isEmpty());
        server.delete(key, "/jobs/" + id);
        TestServer.await("the cancel call", () -> !gpu.cancels.isEmpty());
        assertThat(gpu.cancels).containsExactly("cancel " + gpu.prompts.get(0).promptId());
    }

    @Test
    void anOlderServerIsCancelledThroughInterruptAndQueueDeleteWhileItsPromptRuns() {
        ComfyStandIn gpu = standIn();
        gpu.millisPerStep = 400;
        gpu.legacyCancelOnly = true;
        start(List.of(gpu));
        String id = submit(body(""));
        server.awaitJob(key, id, j -> j.path("progress").path("step").asInt() >= 1);
        server.delete(key, "/jobs/" + id);
        TestServer.await("the interrupt and the delete", () -> gpu.cancels.size() >= 2);
        String promptId = gpu.prompts.get(0).promptId();
        assertThat(gpu.cancels).containsExactly("interrupt " + promptId, "delete [" + promptId + "]");
        String next = submit(body(",\"seed\":9").replace(",\"seed\":7", ""));
        gpu.millisPerStep = 5;
        server.awaitStatus(key, next, "completed");
    }

    @Test
    void aServerThatRestartsMidJobLosesThePromptAndTheJobCompletesOnceWithoutLosingAnAttempt() {
        ComfyStandIn gpu = standIn();
        gpu.millisPerStep = 50;
        boolean[] restarted = {false};
        gpu.onStart = promptId -> {
            if (!restarted[0]) {
                restarted[0] = true;
                gpu.restart();
            }
        };
        start(List.of(gpu));
        String id = submit(body(""));
        JsonNode done = server.awaitStatus(key, id, "completed");
        assertThat(gpu.prompts).hasSize(2);
        assertThat(server.easel.jobs().get(server.easel.accounts().authenticate(key).orElseThrow(), id).orElseThrow().freeAttempts())
                .as("the lost prompt was the server's fault").isEqualTo(1);
        assertThat(done.get("result").get("urls")).hasSize(1);
    }

    /** An operator's graph: placeholders filled per job, the LoRA chain from its UNETLoader, its own fixed settings kept. */
    private static final String TEMPLATE = """
            {"10": {"class_type": "UNETLoader", "inputs": {"unet_name": "my_krea2.safetensors", "weight_dtype": "fp8_e4m3fn"}},
             "11": {"class_type": "CLIPLoader", "inputs": {"clip_name": "qwen3vl.safetensors", "type": "krea2"}},
             "12": {"class_type": "VAELoader", "inputs": {"vae_name": "vae.safetensors"}},
             "20": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["11", 0], "text": "{{prompt}}"}},
             "21": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["11", 0], "text": "blurry"}},
             "30": {"class_type": "EmptySD3LatentImage", "inputs": {"width": "{{width}}", "height": "{{height}}", "batch_size": 1}},
             "40": {"class_type": "KSampler", "inputs": {"model": "{{model}}", "seed": "{{seed}}", "steps": 12, "cfg": "{{cfg}}",
                    "sampler_name": "dpmpp_2m", "scheduler": "karras", "positive": ["20", 0], "negative": ["21", 0],
                    "latent_image": ["30", 0], "denoise": 1.0}},
             "50": {"class_type": "VAEDecode", "inputs": {"samples": ["40", 0], "vae": ["12", 0]}},
             "60": {"class_type": "SaveImage", "inputs": {"images": ["50", 0], "filename_prefix": "house"}}}
            """;

    @Test
    void anOperatorsTemplateIsFilledPerJobWithTheLoraChainFromItsTransformer() throws Exception {
        ComfyStandIn gpu = standIn();
        java.nio.file.Path template = java.nio.file.Files.createTempFile("easel-template-", ".json");
        open.add(() -> java.nio.file.Files.deleteIfExists(template));
        java.nio.file.Files.writeString(template, TEMPLATE);
        start(List.of(gpu), "--comfyui-template", template.toString());
        String a = uploadStyle(0), b = uploadStyle(1);
        String id = submit(body(",\"styles\":[{\"id\":\"" + a + "\",\"strength\":0.7},{\"id\":\"" + b + "\",\"strength\":-0.3}]"));
        JsonNode done = server.awaitStatus(key, id, "completed");
        JsonNode g = gpu.prompts.get(0).graph();
        assertThat(g.at("/20/inputs/text").asText()).startsWith("a lighthouse");
        assertThat(g.at("/30/inputs/width").asInt()).isEqualTo(done.get("result").get("width").asInt());
        assertThat(g.at("/40/inputs/seed").asLong()).isEqualTo(7);
        assertThat(g.at("/40/inputs/steps").asInt()).as("the template's own").isEqualTo(12);
        assertThat(g.at("/40/inputs/cfg").asDouble()).isEqualTo(1.0);
        assertThat(g.at("/40/inputs/sampler_name").asText()).isEqualTo("dpmpp_2m");
        assertThat(g.at("/easel_lora_1/inputs/model").toString()).isEqualTo("[\"10\",0]");
        assertThat(g.at("/easel_lora_2/inputs/model").toString()).isEqualTo("[\"easel_lora_1\",0]");
        assertThat(g.at("/40/inputs/model").toString()).isEqualTo("[\"easel_lora_2\",0]");
        assertThat(ComfyStandIn.loraStrengths(g).values()).containsExactlyInAnyOrder(0.7, -0.3);
        assertThat(server.send("GET", "/readyz", null, Map.of()).json().at("/servers/0/model").asText()).isEqualTo("my_krea2.safetensors");
    }

    /** A template with its own reference adapter (here a blend): it gets the job's reference, and easel leaves the colours alone. */
    @Test
    void aTemplateWithAReferenceImageGetsTheJobsReferenceUploaded() throws Exception {
        ComfyStandIn gpu = standIn();
        dev.easel.RemoteSite site = new dev.easel.RemoteSite();
        open.add(site);
        byte[] red = new byte[64 * 64 * 3];
        for (int i = 0; i < red.length; i += 3) red[i] = (byte) 230;
        byte[] redPng = dev.easel.engine.png.PngEncoder.encode(64, 64, red, Map.of());
        site.reply = r -> dev.easel.RemoteSite.Reply.content("image/png", redPng);
        java.nio.file.Path template = java.nio.file.Files.createTempFile("easel-template-", ".json");
        open.add(() -> java.nio.file.Files.deleteIfExists(template));
        java.nio.file.Files.writeString(template, TEMPLATE.replace("\"images\": [\"50\", 0]", "\"images\": [\"55\", 0]")
                .replace("\"60\": {", "\"70\": {\"class_type\": \"LoadImage\", \"inputs\": {\"image\": \"{{reference_image}}\"}},\n"
                        + "\"55\": {\"class_type\": \"ImageBlend\", \"inputs\": {\"image1\": [\"50\", 0], \"image2\": [\"70\", 0], "
                        + "\"blend_factor\": \"{{reference_strength}}\", \"blend_mode\": \"normal\"}},\n\"60\": {"));
        start(List.of(gpu), "--comfyui-template", template.toString());
        JsonNode done = server.awaitStatus(key, submit(body(",\"image_style_references\":[{\"url\":\"" + site.url("/red.png")
                + "\",\"strength\":0.6}]")), "completed");
        JsonNode g = gpu.prompts.get(0).graph();
        assertThat(g.at("/55/inputs/blend_factor").asDouble()).isEqualTo(0.6);
        byte[] uploaded = gpu.inputs.get(g.at("/70/inputs/image").asText());
        assertThat(uploaded).as("the reference, uploaded").isNotNull();
        java.awt.image.BufferedImage ref = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(uploaded));
        assertThat(ref.getRGB(10, 10) & 0xffffff).isEqualTo(0xe60000);
        byte[] png = server.send("GET", URI.create(done.get("result").get("urls").get(0).asText()).getPath(), null, Map.of()).bytes();
        java.awt.image.BufferedImage out = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
        java.awt.image.BufferedImage server = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                gpu.outputs().values().iterator().next()));
        assertThat(out.getRGB(100, 100)).as("the server's pixels as they came: no colour transfer on top").isEqualTo(server.getRGB(100, 100));

        // a job without a reference: a grey image at strength 0
        submit(body(",\"seed\":8").replace(",\"seed\":7", ""));
        TestServer.await("the second prompt", () -> gpu.prompts.size() >= 2);
        assertThat(gpu.prompts.get(1).graph().at("/55/inputs/blend_factor").asDouble()).isZero();
    }

    @Test
    void aTemplateWithAnUnknownOrMissingPlaceholderIsRefusedAtStartByName() throws Exception {
        java.nio.file.Path template = java.nio.file.Files.createTempFile("easel-template-", ".json");
        try {
            java.nio.file.Files.writeString(template, TEMPLATE.replace("\"blurry\"", "\"{{negative}}\""));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.easel.Config.parse(List.of("--engine", "comfyui", "--comfyui-url",
                    "http://gpu:8188", "--comfyui-template", template.toString()), Map.of())).hasMessageContaining("unknown placeholders {{negative}}");
            java.nio.file.Files.writeString(template, TEMPLATE.replace("\"{{seed}}\"", "42"));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.easel.Config.parse(List.of("--engine", "comfyui", "--comfyui-url",
                    "http://gpu:8188", "--comfyui-template", template.toString()), Map.of())).hasMessageContaining("lacks the placeholders {{seed}}");
            java.nio.file.Files.writeString(template, TEMPLATE.replace("\"{{prompt}}\"", "\"a photo of {{prompt}}\""));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.easel.Config.parse(List.of("--engine", "comfyui", "--comfyui-url",
                    "http://gpu:8188", "--comfyui-template", template.toString()), Map.of())).hasMessageContaining("must be a whole value");
        } finally {
            java.nio.file.Files.deleteIfExists(template);
        }
    }

    @Test
    void aGraphTheServerRefusesFailsTheJobWithComfyUisMessage() throws Exception {
        ComfyStandIn gpu = standIn();
        java.nio.file.Path template = java.nio.file.Files.createTempFile("easel-template-", ".json");
        open.add(() -> java.nio.file.Files.deleteIfExists(template));
        java.nio.file.Files.writeString(template, TEMPLATE.replace("\"50\": {\"class_type\": \"VAEDecode\"", "\"50\": {\"class_type\": \"VAEDecodeTiledX\""));
        start(List.of(gpu), "--comfyui-template", template.toString());
        JsonNode failed = server.awaitStatus(key, submit(body("")), "failed");
        assertThat(failed.get("error").get("code").asText()).isEqualTo("engine_error");
        assertThat(failed.get("error").get("message").asText()).contains("VAEDecodeTiledX does not exist");
        assertThat(server.send("GET", "/readyz", null, Map.of()).json().at("/servers/0/state").asText())
                .as("the request's fault, not the server's").isEqualTo("up");
    }

    @Test
    void aDroppedSocketIsReconnectedAndTheJobCompletes() {
        ComfyStandIn gpu = standIn();
        gpu.millisPerStep = 100;
        start(List.of(gpu));
        gpu.onStart = promptId -> gpu.dropSockets(); // as the prompt starts: its progress, preview and end come after
        String id = submit(body(""));
        server.awaitStatus(key, id, "completed");
        assertThat(gpu.prompts).as("not sent again: the prompt survived on the server").hasSize(1);
    }

    @Test
    void aPromptPastItsDeadlineIsCancelledOnTheServerAndTheJobGoesBackToTheQueue() {
        ComfyStandIn gpu = standIn();
        gpu.hangNext = true;
        start(List.of(gpu), "--gpu-timeout-s", "2");
        String id = submit(body(""));
        server.awaitStatus(key, id, "completed");
        assertThat(gpu.cancels).containsExactly("cancel " + gpu.prompts.get(0).promptId());
        assertThat(gpu.prompts).hasSize(2);
    }

    /** ComfyUI re-patches its model when the LoRAs change: with two servers and two sets, each server keeps to one. */
    @Test
    void jobsGoToTheServerWhoseLastImageHadTheirLoras() {
        ComfyStandIn one = standIn(), two = standIn();
        one.millisPerStep = 20;
        two.millisPerStep = 20;
        start(List.of(one, two));
        String a = uploadStyle(0), b = uploadStyle(1);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) ids.add(submit(body(",\"styles\":[{\"id\":\"" + (i % 2 == 0 ? a : b) + "\",\"strength\":1}]")));
        for (String id : ids) server.awaitStatus(key, id, "completed");
        for (ComfyStandIn gpu : List.of(one, two)) {
            assertThat(gpu.prompts.stream().map(p -> ComfyStandIn.loraStrengths(p.graph()).keySet()).distinct())
                    .as("one LoRA set per server").hasSize(1);
        }
        JsonNode servers = server.send("GET", "/readyz", null, Map.of()).json().get("servers");
        assertThat(servers.get(0).get("lora_switches").asLong() + servers.get(1).get("lora_switches").asLong()).isEqualTo(2);
    }

    @Test
    void aPromptThatFailsOnTheServerSendsTheJobToTheQueueAgain() {
        ComfyStandIn gpu = standIn();
        gpu.failNext = true;
        start(List.of(gpu));
        String id = submit(body(""));
        server.awaitStatus(key, id, "completed");
        assertThat(gpu.prompts).hasSize(2);
    }
}
