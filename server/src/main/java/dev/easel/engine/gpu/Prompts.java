package dev.easel.engine.gpu;

import dev.easel.engine.RenderSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a GPU engine adds to the prompt for request fields that have no weights of their own: the
 * built-in styles (the sketch engine's filters; on a GPU server, words), and the intensity and
 * complexity sliders when the operator configured no slider LoRAs.
 */
final class Prompts {
    private static final Map<String, String> BUILTIN = Map.of(
            "ink", "ink drawing", "neon", "neon glow", "pastel", "pastel colours", "blueprint", "blueprint drawing",
            "posterize", "posterized flat colours", "halftone", "halftone print", "grain", "film grain", "scanlines", "CRT scanlines");

    private Prompts() {}

    /** @param sliderLoras the sliders that have a LoRA file ({@code intensity}, {@code complexity}): those get no words */
    static String withModifiers(RenderSpec spec, java.util.Set<String> sliderLoras) {
        List<String> parts = new ArrayList<>();
        for (RenderSpec.Style s : spec.styles()) {
            String words = BUILTIN.get(s.id());
            if (s.lora() != null || words == null || s.strength() == 0) continue;
            parts.add((s.strength() < 0 ? "no " : Math.abs(s.strength()) >= 1.5 ? "strong " : "") + words);
        }
        if (!sliderLoras.contains("intensity")) slider(parts, spec.intensity(), "vivid, high-contrast, intense", "soft, muted, calm");
        if (!sliderLoras.contains("complexity")) slider(parts, spec.complexity(), "intricate, highly detailed", "minimal, simple composition");
        return parts.isEmpty() ? spec.prompt() : spec.prompt() + ", " + String.join(", ", parts);
    }

    /** -100..100: nothing near 0, "somewhat" below 50, plain words to 100. */
    private static void slider(List<String> parts, int value, String up, String down) {
        if (Math.abs(value) < 10) return;
        parts.add((Math.abs(value) < 50 ? "somewhat " : "") + (value > 0 ? up : down));
    }
}
