package dev.easel.billing;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Money is kept in integer micro-dollars (1 USD = 1,000,000 micros), never in floating point.
 * These helpers convert at the edges: JSON amounts in, JSON numbers out.
 */
public final class Money {
    public static final long MICROS_PER_USD = 1_000_000L;

    private Money() {}

    /** A decimal USD amount with at most 6 decimals, as micros; more decimals are an error, not a rounding. */
    public static long microsOf(BigDecimal usd) {
        try {
            return usd.setScale(6, RoundingMode.UNNECESSARY).unscaledValue().longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("amount must have at most 6 decimals and fit in range (got " + usd.toPlainString() + ")");
        }
    }

    /** Micros as a USD decimal with no trailing zeros, for JSON output (e.g. 30000 -> 0.03). */
    public static BigDecimal usd(long micros) {
        BigDecimal d = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        return d.scale() < 0 ? d.setScale(0) : d;
    }
}
