package dev.easel.engine.gpu;

import java.util.Locale;

/**
 * How a Krea 2 checkpoint is sampled. Krea's guidance convention is "0 = off"; SGLang's
 * {@code guidance_scale} is Krea's value plus one (ENGINES.md), which is what is stored here.
 */
public record Recipe(String name, int steps, double sglangGuidanceScale) {
    /** {@code krea/Krea-2-Turbo}: 8 steps, no guidance. */
    public static final Recipe TURBO = new Recipe("turbo", 8, 1.0);
    /** {@code krea/Krea-2-Raw}: 52 steps, Krea's cfg 3.5. */
    public static final Recipe RAW = new Recipe("raw", 52, 4.5);

    public static Recipe named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "turbo" -> TURBO;
            case "raw" -> RAW;
            default -> throw new IllegalArgumentException("unknown recipe " + name + " (turbo or raw)");
        };
    }
}
