package dev.easel.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    private final RetryPolicy policy = RetryPolicy.DEFAULT;

    @Test
    void doublesFromTenSecondsUpToThreeHoursWithEqualJitter() {
        assertThat(policy.delay(1, 0, null)).isEqualTo(Duration.ofSeconds(5));
        assertThat(policy.delay(1, 0.999999, null)).isBetween(Duration.ofMillis(9999), Duration.ofSeconds(10));
        assertThat(policy.delay(2, 0, null)).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.delay(5, 0, null)).isEqualTo(Duration.ofSeconds(80));
        assertThat(policy.delay(30, 0, null)).isEqualTo(Duration.ofMinutes(90));
        assertThat(policy.delay(500, 0.999999, null)).isLessThanOrEqualTo(Duration.ofHours(3));
    }

    @Test
    void retryAfterIsAFloorNotACeiling() {
        assertThat(policy.delay(1, 0, Duration.ofHours(1))).isEqualTo(Duration.ofHours(1));
        assertThat(policy.delay(12, 0, Duration.ofSeconds(1))).isEqualTo(policy.delay(12, 0, null));
    }

    /** Seeded random schedules: each wait within its bounds, and about 40 attempts fit in 3 days. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 2026})
    void aScheduleFitsItsBoundsAndItsThreeDays(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long elapsed = 0;
        int attempts = 1;
        while (true) {
            Duration d = policy.delay(attempts, random.nextDouble(), null);
            long base = (long) Math.min(Duration.ofHours(3).toMillis(), 10_000 * Math.pow(2, attempts - 1));
            assertThat(d.toMillis()).isBetween(base / 2, base);
            if (elapsed + d.toMillis() > Duration.ofDays(3).toMillis()) break;
            elapsed += d.toMillis();
            attempts++;
        }
        assertThat(attempts).isBetween(30, 60);
    }
}
