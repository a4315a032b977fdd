package dev.easel.jobs;

import dev.easel.crypto.Tokens;
import dev.easel.blobs.BlobStore;
import dev.easel.engine.Engine;
import dev.easel.engine.Progress;
import dev.easel.engine.RenderSpec;
import dev.easel.engine.RenderStopped;
import dev.easel.engine.RenderedImage;
import dev.easel.engine.ServerFailed;
import dev.easel.expand.Expansion;
import dev.easel.expand.PromptExpansion;
import dev.easel.expand.ReferenceDescriber;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The workers inside one easel process: N threads that claim queued jobs and render them, a
 * heartbeat that renews the leases of the jobs they hold, and a reaper that returns the jobs of
 * workers that died (here or on another node) and fails those that ran past the timeout.
 * Worker ids are {@code <node id>/<n>}; the node id survives restarts, so that at start-up the jobs
 * this node held when it stopped are returned to the queue at once.
 */
public final class WorkerPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

    private final JobService jobs;
    private final SpecResolver resolver;
    private final List<? extends Engine> lanes;
    private final BlobStore blobs;
    private final Clock clock;
    private final String nodeId;
    private final Consumer<Long> renderNanos;
    private final ContentFilter filter;
    private final PromptExpansion expander;
    /** Puts reference styles into words for engines that cannot take the images in; null when no vision model is configured. */
    private final ReferenceDescriber describer;
    private final LeaseKeeper leases;
    private final Reaper reaper;
    private final List<Thread> threads = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "easel-lease-keeper");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean stopping;

    /**
     * @param lanes       one worker thread each: the same engine N times (the sketch engine), or one
     *                    lane per GPU server
     * @param renderNanos told how long each successful render took, for metrics
     */
    public WorkerPool(JobService jobs, SpecResolver resolver, List<? extends Engine> lanes, BlobStore blobs, Clock clock, String nodeId,
                      Consumer<Long> renderNanos, ContentFilter filter, PromptExpansion expander, ReferenceDescriber describer) {
        this.filter = filter;
        this.expander = expander;
        this.describer = describer;
        this.jobs = jobs;
        this.resolver = resolver;
        this.lanes = List.copyOf(lanes);
        this.blobs = blobs;
        this.clock = clock;
        this.nodeId = nodeId;
        this.renderNanos = renderNanos;
        this.leases = new LeaseKeeper(jobs);
        this.reaper = new Reaper(jobs);
    }

    public void start() {
        int recovered = jobs.recoverAbandoned(nodeId + "/");
        if (recovered > 0) log.info("returned jobs held before the last stop recovered={}", recovered);
        long heartbeat = Math.max(100, jobs.settings().lease().toMillis() / 3);
        scheduler.scheduleWithFixedDelay(leases::tick, heartbeat, heartbeat, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(reaper::tick, 1000, 1000, TimeUnit.MILLISECONDS);
        for (int i = 0; i < lanes.size(); i++) {
            String workerId = nodeId + "/" + i;
            Engine lane = lanes.get(i);
            Thread t = new Thread(() -> loop(workerId, lane), "easel-worker-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    public boolean isRunning() {
        return !stopping && threads.stream().allMatch(Thread::isAlive);
    }

    private void loop(String workerId, Engine lane) {
        while (!stopping) {
            try {
                long generation = jobs.events().queued.generation();
                if (!lane.available()) { // a GPU server out of the rotation: the prober brings it back
                    jobs.events().queued.await(generation, 250);
                    continue;
                }
                var claimed = jobs.claim(workerId, lane.loraSet());
                if (claimed.isEmpty()) {
                    jobs.events().queued.await(generation, 1000);
                } else {
                    run(claimed.get(), lane);
                }
            } catch (InterruptedException e) {
                if (stopping) return;
            } catch (Throwable t) {
                // A background loop never dies of one bad job or a database hiccup: log and go on.
                log.error("worker loop error worker={}", workerId, t);
                sleepQuietly(1000);
            }
        }
    }

    private void run(Job job, Engine engine) throws InterruptedException {
        leases.hold(job);
        MDC.put("job_id", job.id());
        long started = System.nanoTime();
        try {
            GenerateRequest req = job.request();
            if (!jobs.progress(job, JobStatus.PROCESSING, null, null, null)) return;
            // a language model may take a while: the job shows processing meanwhile
            Expansion expansion = expander.expand(req.prompt(), req.creativity(), req.seed());
            String prompt = expansion.prompt();
            RenderSpec spec = resolver.resolve(job, prompt);
            if (describer != null && !engine.appliesReferences() && (!spec.imageStyleReferences().isEmpty() || !spec.moodboards().isEmpty())) {
                prompt = prompt + describer.styleWords(spec);
                spec = spec.withPrompt(prompt);
            }
            RenderedImage image = engine.render(spec, new JobProgress(job));
            if (filter != null) {
                ContentFilter.Verdict verdict;
                try {
                    verdict = filter.check(image.png());
                } catch (ContentFilter.Unavailable e) {
                    log.warn("content filter unavailable: {}", e.getMessage());
                    jobs.fail(job, JobError.CONTENT_FILTER_UNAVAILABLE, e.getMessage() + "; the image was not kept");
                    return;
                }
                if (verdict.flagged()) {
                    log.info("content filter flagged the image categories={}", verdict.categories());
                    jobs.fail(job, JobError.CONTENT_FILTERED, "the content filter flagged the image"
                            + (verdict.categories().isEmpty() ? "" : " (" + String.join(", ", verdict.categories()) + ")") + "; it was not kept");
                    return;
                }
            }
            String key = Tokens.random();
            blobs.put(key, image.png(), "image/png");
            if (jobs.complete(job, key, new Job.Result(req.seed(), prompt, image.width(), image.height(), expansion.kind()))) {
                renderNanos.accept(System.nanoTime() - started);
            } else {
                blobs.delete(key); // the claim ended while we rendered: nobody will point at this image
            }
        } catch (SpecResolver.ReferenceUnavailable e) {
            log.info("reference unavailable: {}", e.getMessage());
            jobs.fail(job, JobError.REFERENCE_UNAVAILABLE, e.getMessage());
        } catch (ServerFailed failed) {
            jobs.requeueAfterServerFailure(job, failed.getMessage());
        } catch (BlobStore.Unavailable unavailable) {
            // the bucket is down, not the job: the image is made again once it is back (within the same cap as a failed GPU server)
            log.warn("blob store unavailable; job re-queued: {}", unavailable.getMessage());
            jobs.requeueAfterServerFailure(job, unavailable.getMessage());
        } catch (RenderStopped stopped) {
            if (stopped.reason().equals("timeout")) {
                jobs.fail(job, JobError.TIMEOUT, "the job ran longer than the limit of " + jobs.settings().timeout().toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            throw e; // shutting down: the job stays claimed and is returned to the queue at the next start
        } catch (RuntimeException e) {
            log.error("render failed", e);
            jobs.fail(job, JobError.ENGINE_ERROR, "the " + engine.name() + " engine failed: " + e.getMessage());
        } finally {
            leases.release(job);
            MDC.remove("job_id");
        }
    }

    /** Carries an engine's steps and previews to the job row, and stops the render when the claim ends. */
    private final class JobProgress implements Progress {
        private final Job job;
        private final Instant deadline;
        private boolean previewed;
        /** Completes at the job's next change (a cancel here or on another node included). */
        private java.util.concurrent.CompletableFuture<Void> change;

        JobProgress(Job job) {
            this.job = job;
            this.deadline = job.startedAt().plus(jobs.settings().timeout());
            this.change = jobs.events().nextChange(job.id());
        }

        @Override
        public void check() {
            if (clock.instant().isAfter(deadline)) throw new RenderStopped("timeout");
            if (!change.isDone()) return;
            change = jobs.events().nextChange(job.id()); // before reading, so that no change is missed
            if (!jobs.stillClaimed(job)) throw new RenderStopped("claim ended");
        }

        @Override
        public void step(int step, int steps) {
            if (clock.instant().isAfter(deadline)) throw new RenderStopped("timeout");
            JobStatus status = previewed ? JobStatus.INTERMEDIATE_COMPLETE : JobStatus.SAMPLING;
            if (!jobs.progress(job, status, step, steps, null)) throw new RenderStopped("claim ended");
        }

        @Override
        public void preview(byte[] png) {
            String key = Tokens.random();
            try {
                blobs.put(key, png, "image/png");
            } catch (BlobStore.Unavailable e) {
                log.warn("preview not kept: {}", e.getMessage()); // a preview is a courtesy; the render goes on
                return;
            }
            if (!jobs.progress(job, JobStatus.INTERMEDIATE_COMPLETE, null, null, key)) {
                blobs.delete(key);
                throw new RenderStopped("claim ended");
            }
            previewed = true;
        }
    }

    /**
     * Stops claiming, lets running renders finish for up to {@code graceMillis}, then interrupts
     * what is left (those jobs return to the queue at the next start).
     */
    public void stop(long graceMillis) {
        stopping = true;
        jobs.events().queued.signal(); // wake idle workers so that they see the flag
        long deadline = System.currentTimeMillis() + graceMillis;
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, deadline - System.currentTimeMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        threads.forEach(Thread::interrupt);
        scheduler.shutdownNow();
    }

    @Override
    public void close() {
        stop(10_000);
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
