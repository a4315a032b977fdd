package dev.easel.jobs;

import java.util.Arrays;
import java.util.Optional;

/** Prompt expansion mode: {@code raw} leaves the prompt as written; the others expand it more and more. */
public enum Creativity {
    RAW("raw"), LOW("low"), MEDIUM("medium"), HIGH("high");

    public final String wire;

    Creativity(String wire) {
        this.wire = wire;
    }

    public static Optional<Creativity> fromWire(String s) {
        return Arrays.stream(values()).filter(v -> v.wire.equals(s)).findFirst();
    }
}
