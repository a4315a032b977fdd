package dev.easel.styles;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The styles every account may use until uploaded LoRA styles arrive: a small built-in catalogue.
 * Each id is a visible effect in the sketch engine; its strength (-2..2) scales it, and a negative
 * strength turns it the other way.
 */
public final class BuiltinStyles {
    /** id -> what it does, for documentation and error messages. */
    public static final Map<String, String> CATALOGUE;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("ink", "inked outlines over a paper-white wash (negative: a dark chalkboard)");
        m.put("neon", "saturated, glowing colour (negative: muted, washed out)");
        m.put("pastel", "soft, light tones (negative: deep, dark tones)");
        m.put("blueprint", "a blue cyanotype duotone (negative: a warm sepia duotone)");
        m.put("posterize", "flat bands of colour, like a screen print");
        m.put("halftone", "a printed halftone dot pattern");
        m.put("grain", "film grain");
        m.put("scanlines", "CRT scanlines");
        CATALOGUE = Map.copyOf(m);
    }

    private BuiltinStyles() {}

    public static boolean contains(String id) {
        return CATALOGUE.containsKey(id);
    }
}
