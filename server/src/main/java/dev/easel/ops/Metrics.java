package dev.easel.ops;

import dev.easel.jobs.JobStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What {@code GET /metrics} shows, in the Prometheus text format: HTTP requests (count and latency
 * by route and status), jobs by status, queue depth, render time, webhook attempts by result and
 * webhooks waiting to be delivered.
 */
public final class Metrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Supplier<Map<JobStatus, Long>> countJobs;
    private final Map<JobStatus, Long> jobCounts = new EnumMap<>(JobStatus.class);
    private final LongSupplier countPendingWebhooks;
    private final AtomicLong pendingWebhooks = new AtomicLong();
    private final Timer render;

    /**
     * @param countJobs            reads the jobs by status from the store; called once per scrape
     * @param countPendingWebhooks reads how many webhook deliveries are pending; called once per scrape
     */
    public Metrics(Supplier<Map<JobStatus, Long>> countJobs, LongSupplier countPendingWebhooks) {
        this.countJobs = countJobs;
        this.countPendingWebhooks = countPendingWebhooks;
        Gauge.builder("easel.webhooks.pending", pendingWebhooks, AtomicLong::get)
                .description("webhook deliveries not yet delivered nor given up").register(registry);
        for (JobStatus s : JobStatus.values()) {
            jobCounts.put(s, 0L);
            Gauge.builder("easel.jobs", jobCounts, m -> m.get(s)).tag("status", s.wire)
                    .description("jobs in each status").register(registry);
        }
        Gauge.builder("easel.queue.depth", jobCounts, m -> m.get(JobStatus.QUEUED) + m.get(JobStatus.BACKLOGGED))
                .description("jobs waiting for a worker (queued) or for an account slot (backlogged)").register(registry);
        render = Timer.builder("easel.render").description("time from claim to completed image")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    /** For parts that bring meters of their own (the GPU pool). */
    public io.micrometer.core.instrument.MeterRegistry registry() {
        return registry;
    }

    public void request(String method, String route, int status, long nanos) {
        // one timer per method, route template and status (a small, fixed set), looked up without building its id each time
        requestTimers.computeIfAbsent(method + " " + route + " " + status, k -> Timer.builder("http.server.requests")
                .tag("method", method).tag("route", route).tag("status", Integer.toString(status)).register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    private final java.util.concurrent.ConcurrentHashMap<String, Timer> requestTimers = new java.util.concurrent.ConcurrentHashMap<>();

    public void rendered(long nanos) {
        render.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** @param result delivered, retry or failed */
    public void webhookAttempt(String result) {
        Counter.builder("easel.webhook.attempts").tag("result", result).description("webhook delivery attempts")
                .register(registry).increment();
    }

    /** One query for the job gauges, then the text; serialised so that the gauges read a settled map. */
    public synchronized String scrape() {
        jobCounts.putAll(countJobs.get());
        pendingWebhooks.set(countPendingWebhooks.getAsLong());
        return registry.scrape();
    }
}
