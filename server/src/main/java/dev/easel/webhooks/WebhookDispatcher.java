package dev.easel.webhooks;

import dev.easel.jobs.Signal;
import dev.easel.net.SafeHttpClient;
import dev.easel.net.SafeHttpClient.Outcome;
import dev.easel.store.Database;
import dev.easel.store.WebhookStore;
import dev.easel.webhooks.Delivery.Attempt;
import dev.easel.webhooks.Delivery.State;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Sends what the outbox holds. One loop claims due deliveries (no more than there are free slots, so
 * at most {@code concurrency} requests are ever in flight), and each claimed delivery is attempted on
 * its own virtual thread: signed, POSTed through {@link SafeHttpClient}, and settled in one
 * transaction with its attempt record: delivered on 2xx; failed on 410, on a refused address, or
 * when the next retry would fall past the give-up time; otherwise due again after a backoff.
 * A claim pushes the due time past the request timeout, so an attempt lost with its process is
 * retried later, and at start-up this node's own lost claims are due at once: at least once.
 */
public final class WebhookDispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
    /** How often the loop looks for retries that came due, when nothing wakes it sooner. */
    private static final long POLL_MILLIS = 500;

    /**
     * @param concurrency requests in flight at most, over all receivers
     * @param timeout     one attempt's limit, from connecting to the end of the response
     */
    public record Settings(int concurrency, Duration timeout, RetryPolicy retry) {
        public static final Settings DEFAULT = new Settings(16, Duration.ofSeconds(15), RetryPolicy.DEFAULT);
    }

    private final Database db;
    private final WebhookStore store;
    private final WebhookService webhooks;
    private final SafeHttpClient http;
    private final Signal due;
    private final Clock clock;
    private final String nodeId;
    private final Settings settings;
    private final Consumer<String> outcomes;
    private final Semaphore slots;
    private final Set<Thread> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;
    private Thread loop;

    /** @param outcomes told "delivered", "retry" or "failed" after each attempt, for metrics */
    public WebhookDispatcher(Database db, WebhookStore store, WebhookService webhooks, SafeHttpClient http, Signal due,
                             Clock clock, String nodeId, Settings settings, Consumer<String> outcomes) {
        this.db = db;
        this.store = store;
        this.webhooks = webhooks;
        this.http = http;
        this.due = due;
        this.clock = clock;
        this.nodeId = nodeId;
        this.settings = settings;
        this.outcomes = outcomes;
        this.slots = new Semaphore(settings.concurrency());
    }

    public void start() {
        int released = db.tx(tx -> store.releaseClaims(tx, nodeId + "/", clock.millis()));
        if (released > 0) log.info("webhook attempts in flight at the last stop are due again released={}", released);
        loop = new Thread(this::loop, "easel-webhooks");
        loop.setDaemon(true);
        loop.start();
    }

    private void loop() {
        while (!stopping) {
            try {
                long seen = due.generation();
                int free = slots.availablePermits();
                List<Delivery> claimed = free == 0 ? List.of() : claim(free);
                for (Delivery d : claimed) {
                    slots.acquireUninterruptibly(); // never blocks: only this loop takes slots
                    Thread.ofVirtual().name("easel-webhook-" + d.id()).start(() -> {
                        inFlight.add(Thread.currentThread());
                        try {
                            attempt(d);
                        } finally {
                            inFlight.remove(Thread.currentThread());
                            slots.release();
                            due.signal();
                        }
                    });
                }
                if (free > 0 && claimed.size() == free) continue; // there may be more due right now
                due.await(seen, POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("webhook loop failed; going on", e);
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    private List<Delivery> claim(int limit) {
        long now = clock.millis();
        // the claim outlives the attempt's time limit, so that nobody else retries it meanwhile
        long claimUntil = now + settings.timeout().toMillis() + 60_000;
        String claim = nodeId + "/" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        return db.tx(tx -> store.claimDue(tx, now, claimUntil, claim, limit));
    }

    private void attempt(Delivery d) {
        MDC.put("job_id", d.jobId());
        MDC.put("webhook_id", d.id());
        try {
            Instant at = clock.instant();
            byte[] body = d.payload().getBytes(StandardCharsets.UTF_8);
            long timestamp = at.getEpochSecond();
            List<String> secrets = webhooks.secrets(d.accountId()).stream().map(Delivery.Secret::secret).toList();
            Map<String, String> headers = Map.of(
                    "webhook-id", d.id(),
                    "webhook-timestamp", Long.toString(timestamp),
                    "webhook-signature", WebhookSigner.signatureHeader(secrets, d.id(), timestamp, body));
            long started = System.nanoTime();
            Outcome outcome = http.postJson(URI.create(d.url()), headers, body, settings.timeout());
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            // an attempt cut short by our own stop says nothing about the receiver: its claim is
            // released at the next start, and it is tried again then
            if (stopping && outcome instanceof Outcome.NoAnswer) return;
            settle(d, at, outcome, millis);
        } catch (RuntimeException e) {
            // the claim lapses and the delivery is tried again then
            log.error("webhook attempt failed to run; it will be retried", e);
        } finally {
            MDC.remove("job_id");
            MDC.remove("webhook_id");
        }
    }

    private void settle(Delivery d, Instant at, Outcome outcome, long millis) {
        long now = clock.millis();
        State state;
        Long next = null;
        Integer status = null;
        String error = null;
        switch (outcome) {
            case Outcome.Answered a -> {
                status = a.status();
                if (a.status() >= 200 && a.status() < 300) state = State.DELIVERED;
                else if (a.status() == 410) state = State.FAILED; // Gone: the receiver asks us to stop
                else {
                    next = retryAt(d, now, a.retryAfter());
                    state = next == null ? State.FAILED : State.PENDING;
                }
            }
            case Outcome.NoAnswer n -> {
                error = n.error();
                next = n.retryable() ? retryAt(d, now, null) : null;
                state = next == null ? State.FAILED : State.PENDING;
            }
        }
        Attempt attempt = new Attempt(at, status, error, millis);
        State settled = state;
        Long nextAt = next;
        boolean current = db.tx(tx -> {
            store.recordAttempt(tx, d.id(), attempt);
            return store.settle(tx, d.id(), d.claimedBy(), settled, nextAt, now);
        });
        String result = settled == State.DELIVERED ? "delivered" : settled == State.FAILED ? "failed" : "retry";
        outcomes.accept(result);
        // the host and the kind of error only: a URL's path or query may carry the receiver's own token
        log.info("webhook attempt host={} attempt={} status={} error={} ms={} result={}{}", URI.create(d.url()).getHost(),
                d.attempts() + 1, status, error == null ? null : error.split(":", 2)[0], millis, result,
                current ? "" : " superseded=true");
    }

    /** When to try again, or null when that would fall past the delivery's give-up time. */
    private Long retryAt(Delivery d, long now, Duration retryAfter) {
        long at = now + settings.retry().delay(d.attempts() + 1, ThreadLocalRandom.current().nextDouble(), retryAfter).toMillis();
        return at > d.giveUpAt().toEpochMilli() ? null : at;
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops claiming; attempts in flight get a moment, then are cut (their claims are released at the next start). */
    @Override
    public void close() {
        stopping = true;
        if (loop != null) loop.interrupt();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!inFlight.isEmpty() && System.nanoTime() < deadline) sleepQuietly();
        inFlight.forEach(Thread::interrupt);
        http.close();
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!inFlight.isEmpty() && System.nanoTime() < deadline) sleepQuietly();
    }
}
