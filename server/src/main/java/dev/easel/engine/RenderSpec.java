package dev.easel.engine;

import java.util.List;

/**
 * A request resolved for an engine: exact pixel size, the seed, the prompt after expansion, and
 * the styles to apply with their strengths (-2..2).
 */
public record RenderSpec(int width, int height, long seed, String prompt, int intensity, int complexity,
                         List<Style> styles) {
    public RenderSpec {
        styles = List.copyOf(styles);
    }

    public record Style(String id, double strength) {}
}
