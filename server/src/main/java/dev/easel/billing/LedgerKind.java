package dev.easel.billing;

import java.util.Arrays;
import java.util.Optional;

/** Why an account's balance moved: one row of the ledger each time. */
public enum LedgerKind {
    /** Credits added (or, when negative, taken away) by an administrator. */
    CREDIT("credit"),
    /** The price of a completed job. */
    CHARGE("charge");

    public final String wire;

    LedgerKind(String wire) {
        this.wire = wire;
    }

    public static Optional<LedgerKind> fromWire(String s) {
        return Arrays.stream(values()).filter(v -> v.wire.equals(s)).findFirst();
    }
}
