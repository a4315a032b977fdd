package dev.easel.webhooks;

import java.time.Duration;

/**
 * When to try a failed delivery again: exponential backoff ({@code initial × factor^(n-1)}, at most
 * {@code cap}) with "equal jitter" (a random point in the upper half of that delay, so that many
 * deliveries failing together do not all come back together), never sooner than the receiver's
 * {@code Retry-After}, and no retry is scheduled past {@code giveUpAfter} from the first try.
 */
public record RetryPolicy(Duration initial, double factor, Duration cap, Duration giveUpAfter) {
    /** 10 s, 20 s, 40 s, … up to 3 h apart, for 3 days: about 40 attempts. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(Duration.ofSeconds(10), 2, Duration.ofHours(3), Duration.ofDays(3));

    public RetryPolicy {
        if (initial.isNegative() || initial.isZero() || factor < 1 || cap.compareTo(initial) < 0) {
            throw new IllegalArgumentException("a retry policy needs 0 < initial <= cap and factor >= 1");
        }
    }

    /**
     * The wait after attempt number {@code attempts} (1 for the first) failed.
     *
     * @param random     uniform in [0, 1): the jitter
     * @param retryAfter what the receiver asked for, or null
     */
    public Duration delay(int attempts, double random, Duration retryAfter) {
        double exp = initial.toMillis() * Math.pow(factor, Math.max(0, attempts - 1));
        long base = (long) Math.min(cap.toMillis(), exp);
        long jittered = base / 2 + (long) (random * (base - base / 2));
        return retryAfter != null && retryAfter.toMillis() > jittered ? retryAfter : Duration.ofMillis(jittered);
    }
}
