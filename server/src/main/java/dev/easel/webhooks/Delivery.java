package dev.easel.webhooks;

import java.time.Instant;

/**
 * One row of the webhook outbox: the POST of a finished job's JSON to its X-Webhook-URL, with the
 * state of its retries. {@code id} is the {@code webhook-id} header, the same on every attempt.
 *
 * <pre>
 *   (job ends) ──► pending ──2xx──► delivered
 *                   │  ▲ └─410, refused address, or retries past give_up_at──► failed
 *                   └──┘ anything else: retried after a backoff
 *   redeliver: delivered / failed ──► pending (a new retry window)
 * </pre>
 */
public record Delivery(String id, String jobId, String accountId, String url, String payload, State state, int attempts,
                       Instant nextAttemptAt, String claimedBy, Instant giveUpAt, Instant createdAt) {

    public enum State {
        PENDING, DELIVERED, FAILED;

        public final String wire = name().toLowerCase(java.util.Locale.ROOT);

        public static State fromWire(String s) {
            return valueOf(s.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** What one attempt got: a status code, or an error when no usable response came. */
    public record Attempt(Instant at, Integer statusCode, String error, long durationMs) {}

    /** A job's webhook as its owner sees it: the outbox row and the attempts so far, read together. */
    public record History(Delivery delivery, java.util.List<Attempt> attempts) {}

    /** A Standard Webhooks signing secret ({@code whsec_...}); {@code expiresAt} null for the current one. */
    public record Secret(String secret, Instant createdAt, Instant expiresAt) {}
}
