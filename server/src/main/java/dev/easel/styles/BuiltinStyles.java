package dev.easel.styles;

import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
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

    /** The owner the built-in styles are listed under. */
    public static final String OWNER = "easel";

    private static final List<Style> ALL = CATALOGUE.entrySet().stream()
            .map(e -> new Style(e.getKey(), OWNER, Character.toUpperCase(e.getKey().charAt(0)) + e.getKey().substring(1), e.getValue(),
                    true, null, null, 0, 0, 0, Instant.EPOCH))
            .sorted(Comparator.comparing(Style::id).reversed()) // the lists' order: newest first, then the id descending
            .toList();

    private BuiltinStyles() {}

    /** Each built-in style as the API shows it: public, owned by {@value #OWNER}, no LoRA file, in the lists' order. */
    public static List<Style> all() {
        return ALL;
    }

    public static Optional<Style> find(String id) {
        return ALL.stream().filter(s -> s.id().equals(id)).findFirst();
    }

    public static boolean contains(String id) {
        return CATALOGUE.containsKey(id);
    }
}
