package dev.easel.engine.gpu;

import dev.easel.engine.Engine;
import dev.easel.engine.LoraSetKey;
import dev.easel.engine.Progress;
import dev.easel.engine.RenderSpec;
import dev.easel.engine.RenderStopped;
import dev.easel.engine.RenderedImage;
import dev.easel.engine.ServerFailed;
import dev.easel.engine.png.PngText;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One GPU server as an {@link Engine}: one worker renders through it, one job at a time (a server
 * renders one image at a time anyway). It merges the job's LoRA set when the server's differs,
 * sends the request with a deadline, reports {@code sampling} with steps estimated from the
 * server's measured pace (an estimate: SGLang reports no progress), and when the job is cancelled
 * meanwhile it waits for the server's answer and drops it, so the server is free when its lane is.
 */
public final class GpuLane implements Engine {
    /** How often the waiting lane carries steps to the job and looks whether it was cancelled. */
    private static final long TICK_MILLIS = 50;

    private final GpuServer server;
    private final LoraFiles loras;
    private final Duration deadline;
    private final boolean affinity;

    GpuLane(GpuServer server, LoraFiles loras, Duration deadline, boolean affinity) {
        this.server = server;
        this.loras = loras;
        this.deadline = deadline;
        this.affinity = affinity;
    }

    public GpuServer server() {
        return server;
    }

    @Override
    public boolean appliesReferences() {
        return server.driver.appliesReferences();
    }

    @Override
    public String name() {
        return server.driver.kind();
    }

    @Override
    public boolean ready() {
        return server.state() == GpuServer.State.UP;
    }

    @Override
    public boolean available() {
        return ready();
    }

    @Override
    public String loraSet() {
        return affinity ? server.loraSetKey : null;
    }

    @Override
    public RenderedImage render(RenderSpec spec, Progress progress) throws InterruptedException {
        long started = System.nanoTime();
        Capabilities caps = server.driver.capabilities();
        List<GpuDriver.ActiveLora> wanted = new ArrayList<>();
        List<Map.Entry<String, Double>> keyed = new ArrayList<>();
        for (RenderSpec.Style s : spec.styles()) {
            if (s.lora() == null) continue;
            if (s.strength() < 0 && !caps.negativeStrengths()) {
                throw new IllegalArgumentException("style " + s.id() + " has a negative strength, which " + name() + " cannot apply");
            }
            wanted.add(loras.materialize(s.id(), s.lora(), s.strength()));
            keyed.add(Map.entry(s.id(), s.strength()));
        }
        wanted.addAll(loras.sliders(spec.intensity(), spec.complexity()));
        wanted.sort(java.util.Comparator.comparing(GpuDriver.ActiveLora::nickname)); // one order for one set
        if (wanted.size() > caps.maxLoras()) {
            throw new IllegalArgumentException(wanted.size() + " LoRAs, but " + name() + " takes at most " + caps.maxLoras());
        }
        String key = LoraSetKey.of(keyed, spec.intensity(), spec.complexity());
        try {
            // switch only when the LoRAs differ: the key also counts sliders that may be words, not LoRAs
            if (!caps.lorasPerRequest() && !wanted.equals(server.active)) {
                List<GpuDriver.ActiveLora> current = server.active;
                server.loraSetKey = GpuServer.UNKNOWN; // until the new set is in place: a failure halfway leaves it unknown
                server.active = null;
                server.driver.setLoras(current, wanted, deadline);
                server.active = List.copyOf(wanted);
                server.loraSwitches.incrementAndGet();
            }
            if (caps.lorasPerRequest() && !key.equals(server.loraSetKey)) server.loraSwitches.incrementAndGet(); // the server re-patches
            server.loraSetKey = key; // what the queue matches jobs against: merged here, or patched by the server at its last image
        } catch (GpuDriver.Refused e) {
            throw new IllegalStateException(e.getMessage(), e);
        } catch (IOException e) {
            throw fail(e);
        }
        String prompt = Prompts.withModifiers(spec, loras.sliderNames());
        int steps = server.recipe.steps();
        boolean serverReferences = server.driver.appliesReferences();
        GpuDriver.Request request = new GpuDriver.Request(java.util.UUID.randomUUID().toString(), prompt, spec.width(), spec.height(),
                spec.seed(), steps, server.recipe.sglangGuidanceScale(), caps.lorasPerRequest() ? List.copyOf(wanted) : List.of(),
                serverReferences ? References.first(spec) : null);
        progress.step(0, steps);
        CompletableFuture<GpuDriver.Output> answer = new CompletableFuture<>();
        Reported reported = new Reported();
        Thread call = Thread.ofVirtual().name("easel-gpu-" + server.url).start(() -> {
            try {
                answer.complete(server.driver.generate(request, deadline, reported));
            } catch (Throwable t) {
                answer.completeExceptionally(t);
            }
        });
        GpuDriver.Output out = await(request, answer, call, progress, reported, steps, started);
        byte[] png = out.png();
        int[] size = PngText.size(png);
        if (size == null || size[0] != spec.width() || size[1] != spec.height()) {
            throw fail(new IOException("the server answered with " + (size == null ? "no PNG" : size[0] + "x" + size[1])
                    + " for " + spec.width() + "x" + spec.height()));
        }
        int total = reported.steps > 0 ? reported.steps : steps;
        progress.step(total, total);
        server.rendered(System.nanoTime() - started, total, out.inferenceSeconds());
        if (!serverReferences) png = References.apply(png, spec);
        png = PngText.insert(png, "Parameters", "engine=" + name() + " model=" + server.model() + " recipe=" + server.recipe.name()
                + " steps=" + steps + " seed=" + spec.seed() + " size=" + spec.width() + "x" + spec.height()
                + " loras=" + wanted.size() + " references=" + spec.imageStyleReferences().size() + " moodboards=" + spec.moodboards().size());
        return new RenderedImage(png, spec.width(), spec.height());
    }

    /** What a server with progress or previews reported, taken to the job by the waiting thread. */
    private static final class Reported implements GpuDriver.Events {
        volatile int step;
        volatile int steps; // the server's count (a graph template may sample more or fewer than the recipe)
        volatile byte[] preview;

        public void step(int step, int steps) {
            this.step = Math.max(this.step, step);
            this.steps = steps;
        }

        public void preview(byte[] image) {
            preview = image;
        }
    }

    /**
     * Waits for the server's answer, carrying steps to the job: the server's own when it reports them
     * (and its previews), else an estimate from its pace. If the job stops (cancelled, timed out,
     * lease lost), cancels the request when the server can, and waits for its answer either way (the
     * server is busy until then), then drops it.
     */
    private GpuDriver.Output await(GpuDriver.Request request, CompletableFuture<GpuDriver.Output> answer, Thread call, Progress progress,
                                   Reported reported, int steps, long started) throws InterruptedException {
        Capabilities caps = server.driver.capabilities();
        int shown = 0;
        byte[] previewShown = null;
        try {
            while (true) {
                try {
                    return answer.get(TICK_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException tick) {
                    progress.check();
                    double elapsed = (System.nanoTime() - started) / 1e9;
                    int total = caps.progress() && reported.steps > 0 ? reported.steps : steps;
                    int step = caps.progress() ? Math.min(total - 1, reported.step) : (int) Math.min(steps - 1, elapsed / server.secondsPerStep);
                    if (step > shown) {
                        progress.step(step, total);
                        shown = step;
                    }
                    byte[] preview = reported.preview;
                    if (caps.previews() && preview != null && preview != previewShown) {
                        progress.preview(preview);
                        previewShown = preview;
                    }
                }
            }
        } catch (RenderStopped stopped) {
            if (caps.cancel()) {
                try {
                    server.driver.cancel(request.id(), deadline);
                } catch (IOException e) {
                    // the answer comes at its end then, and is dropped
                }
            }
            try {
                answer.get(deadline.toMillis() + 1000, TimeUnit.MILLISECONDS); // the server is busy until it answers
            } catch (ExecutionException | TimeoutException e) {
                // dropped either way
            }
            throw stopped;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof GpuDriver.Refused r) throw new IllegalStateException(r.getMessage(), r);
            if (cause instanceof IOException io) throw fail(io);
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            call.interrupt();
            throw e;
        }
    }

    private ServerFailed fail(IOException e) {
        server.down(e.getMessage(), System.nanoTime());
        return new ServerFailed(name() + " server " + server.url + " failed: " + e.getMessage(), e);
    }

}
