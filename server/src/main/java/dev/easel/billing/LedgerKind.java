package dev.easel.billing;

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
}
