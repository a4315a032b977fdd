package dev.easel.engine.gpu;

import dev.easel.engine.Engine;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GPU servers easel renders on, one lane (an {@link Engine}) per server and one worker per lane,
 * since a server renders one image at a time. The prober takes servers that failed back into the
 * rotation when they answer again; the queue ({@code JobService.claim}) hands each idle lane a job
 * that needs its merged LoRA set first, without letting any job wait long.
 */
public final class GpuPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GpuPool.class);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

    /** A server as configured: its URL and how to sample the checkpoint it serves. */
    public record ServerConfig(URI url, Recipe recipe) {}

    private final List<GpuServer> servers;
    private final List<GpuLane> lanes;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
    private final ScheduledExecutorService prober = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "easel-gpu-prober");
        t.setDaemon(true);
        return t;
    });

    /**
     * SGLang servers.
     *
     * @param affinity whether an idle server takes the jobs that need its merged LoRA set first (false: oldest first)
     */
    public static GpuPool sglang(List<ServerConfig> configs, LoraFiles loras, Duration deadline, boolean affinity) {
        return new GpuPool(configs, (url, http) -> new SglangDriver(url, http), loras, deadline, affinity);
    }

    /** ComfyUI servers, each running {@code graph} per image. */
    public static GpuPool comfyui(List<ServerConfig> configs, ComfyGraph graph, LoraFiles loras, Duration deadline, boolean affinity) {
        return new GpuPool(configs, (url, http) -> new ComfyuiDriver(url, http, graph), loras, deadline, affinity);
    }

    private GpuPool(List<ServerConfig> configs, java.util.function.BiFunction<URI, HttpClient, GpuDriver> driver, LoraFiles loras,
                    Duration deadline, boolean affinity) {
        this.servers = configs.stream().map(c -> new GpuServer(c.url().toString(), driver.apply(c.url(), http), c.recipe())).toList();
        this.lanes = servers.stream().map(s -> new GpuLane(s, loras, deadline, affinity)).toList();
    }

    /** Probes every server once now, then keeps probing those out of the rotation. */
    public void start() {
        tick();
        prober.scheduleWithFixedDelay(this::tick, 250, 250, TimeUnit.MILLISECONDS);
    }

    /**
     * One round of the prober: each server out of the rotation whose backoff is over, and each in it
     * whose health check is due, is probed. Never throws.
     */
    public void tick() {
        long now = System.nanoTime();
        for (GpuServer s : servers) {
            if (!s.probeDue(now)) continue;
            boolean wasUp = s.state() == GpuServer.State.UP;
            try {
                String model = s.driver.probe(PROBE_TIMEOUT);
                s.up(model, System.nanoTime());
                if (!wasUp) log.info("gpu server in rotation url={} model={} recipe={}", s.url, model, s.recipe.name());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                s.down(e.getMessage(), System.nanoTime());
                log.warn("gpu server out of rotation url={} error={}", s.url, e.getMessage());
            }
        }
    }

    public List<? extends Engine> lanes() {
        return lanes;
    }

    public List<GpuServer> servers() {
        return servers;
    }

    /** What the pool's servers can do (all of one kind). */
    public Capabilities capabilities() {
        return servers.get(0).driver.capabilities();
    }

    public boolean ready() {
        return servers.stream().anyMatch(s -> s.state() == GpuServer.State.UP);
    }

    /** Per server: in rotation or not, renders, failures, LoRA switches, render time. */
    public void bind(MeterRegistry registry) {
        for (GpuServer s : servers) {
            Gauge.builder("easel.gpu.server.up", s, x -> x.state() == GpuServer.State.UP ? 1 : 0).tag("server", s.url)
                    .description("1 while the server is in the rotation").register(registry);
            FunctionCounter.builder("easel.gpu.server.renders", s, GpuServer::renders).tag("server", s.url).register(registry);
            FunctionCounter.builder("easel.gpu.server.failures", s, GpuServer::failures).tag("server", s.url)
                    .description("times the server left the rotation").register(registry);
            FunctionCounter.builder("easel.gpu.server.lora.switches", s, GpuServer::loraSwitches).tag("server", s.url).register(registry);
            FunctionCounter.builder("easel.gpu.server.render.seconds", s, GpuServer::renderSeconds).tag("server", s.url).register(registry);
        }
    }

    @Override
    public void close() {
        prober.shutdownNow();
        http.close();
    }
}
