package dev.easel.engine.sketch;

import dev.easel.engine.Engine;
import dev.easel.engine.Progress;
import dev.easel.engine.ReferencePalette;
import dev.easel.engine.RenderSpec;
import dev.easel.engine.RenderedImage;
import dev.easel.engine.png.PngEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * The built-in engine: a deterministic procedural painter. It is NOT a neural model; it exists so
 * that easel runs anywhere without weights or a GPU, for development, client CI and demos.
 *
 * <p>Every field shows: the prompt picks the palette, the seed lays out the composition, intensity
 * drives saturation and contrast, complexity the number and size of shapes, each style a visible
 * filter scaled by its strength (an uploaded LoRA's filter follows from its file), and reference
 * images and moodboards pull the palette toward their dominant colours ({@link ReferencePalette}).
 * The same spec always gives the same PNG bytes (only IEEE-exact arithmetic and StrictMath, seeded
 * SplittableRandom). It works in {@link #STEPS} steps: background, six layers of shapes, finishing;
 * a quarter-size preview follows step 4.
 */
public final class SketchEngine implements Engine {
    public static final int STEPS = 8;
    public static final int PREVIEW_AFTER_STEP = 4;
    private static final int SHAPE_STEPS = 6;

    private final long stepMillis;

    /** @param stepMillis simulated latency per step (0 = as fast as it can) */
    public SketchEngine(long stepMillis) {
        if (stepMillis < 0) throw new IllegalArgumentException("stepMillis must be >= 0");
        this.stepMillis = stepMillis;
    }

    @Override
    public String name() {
        return "sketch";
    }

    @Override
    public boolean ready() {
        return true;
    }

    @Override
    public RenderedImage render(RenderSpec spec, Progress progress) throws InterruptedException {
        Canvas canvas = new Canvas(spec.width(), spec.height());
        SplittableRandom layout = new SplittableRandom(spec.seed());
        float[][] palette = ReferencePalette.pull(palette(spec.prompt()), spec);
        double complexity = spec.complexity() / 100.0;
        int shapeCount = (int) Math.round(14 * StrictMath.pow(2, 2 * complexity));
        double sizeScale = StrictMath.pow(2, -0.8 * complexity);

        for (int step = 1; step <= STEPS; step++) {
            if (step == 1) {
                background(canvas, layout, palette);
            } else if (step <= 1 + SHAPE_STEPS) {
                int layer = step - 2;
                int from = shapeCount * layer / SHAPE_STEPS, to = shapeCount * (layer + 1) / SHAPE_STEPS;
                for (int i = from; i < to; i++) shape(canvas, layout, palette, sizeScale);
            } else {
                Filters.intensity(canvas, spec.intensity() / 100.0);
                for (RenderSpec.Style style : spec.styles()) Filters.apply(canvas, filterKey(style), style.strength(), spec.seed());
            }
            if (stepMillis > 0) Thread.sleep(stepMillis);
            if (Thread.interrupted()) throw new InterruptedException();
            progress.step(step, STEPS);
            if (step == PREVIEW_AFTER_STEP) {
                Canvas small = canvas.downsample(4);
                progress.preview(PngEncoder.encode(small.width, small.height, small.toRgb(), Map.of()));
            }
        }
        byte[] png = PngEncoder.encode(spec.width(), spec.height(), canvas.toRgb(), metadata(spec));
        return new RenderedImage(png, spec.width(), spec.height());
    }

    private Map<String, String> metadata(RenderSpec spec) {
        Map<String, String> text = new LinkedHashMap<>();
        text.put("Software", "easel sketch engine: a procedural drawing, not a neural model");
        text.put("Prompt", spec.prompt());
        text.put("Parameters", "engine=" + name() + "; seed=" + spec.seed() + "; size=" + spec.width() + "x" + spec.height()
                + "; intensity=" + spec.intensity() + "; complexity=" + spec.complexity() + "; styles="
                + spec.styles().stream().map(s -> s.id() + ":" + s.strength()).collect(Collectors.joining(","))
                + "; image_style_references=" + spec.imageStyleReferences().size() + "; moodboards=" + spec.moodboards().size());
        return text;
    }

    /**
     * What a style's filter is keyed by: a built-in style's id, or an uploaded LoRA's content (the first
     * 64 KiB: the safetensors header and the start of the weights), so that the same file looks the
     * same under any id.
     */
    private static String filterKey(RenderSpec.Style style) {
        if (style.lora() == null) return style.id();
        try (InputStream in = style.lora().weights().get()) {
            return "lora:" + Long.toHexString(fnv64(in.readNBytes(64 * 1024)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the LoRA file", e);
        }
    }

    /** Five colours from the prompt: a base hue and a harmony scheme, both hashed from its text. */
    static float[][] palette(String prompt) {
        SplittableRandom r = new SplittableRandom(fnv64(prompt));
        double base = r.nextDouble();
        double[][] schemes = {
                {0, 0.08, 0.16, 0.5, 0.58},     // analogous with a complement
                {0, 0.33, 0.66, 0.1, 0.43},     // triadic
                {0, 0.5, 0.04, 0.54, 0.25},     // complementary pairs
                {0, 0.02, 0.05, 0.95, 0.9}};    // near-monochrome
        double[] offsets = schemes[r.nextInt(schemes.length)];
        float[][] colours = new float[offsets.length][];
        for (int i = 0; i < offsets.length; i++) {
            double sat = 0.45 + 0.4 * r.nextDouble();
            double light = i == 0 ? 0.18 + 0.2 * r.nextDouble() : 0.35 + 0.45 * r.nextDouble();
            colours[i] = hsl((base + offsets[i]) % 1.0, sat, light);
        }
        return colours;
    }

    private static void background(Canvas c, SplittableRandom r, float[][] palette) {
        double angle = r.nextDouble() * 2 * Math.PI;
        double dx = StrictMath.cos(angle), dy = StrictMath.sin(angle);
        double bandY = 0.3 + 0.4 * r.nextDouble(), bandWidth = 0.08 + 0.15 * r.nextDouble();
        float[] a = palette[0], b = palette[1], band = palette[2];
        double norm = Math.abs(dx) * c.width + Math.abs(dy) * c.height;
        double x0 = dx < 0 ? c.width : 0, y0 = dy < 0 ? c.height : 0;
        for (int y = 0; y < c.height; y++) {
            double v = (double) y / c.height - bandY;
            double bandAlpha = 0.55 * Math.max(0, 1 - (v * v) / (bandWidth * bandWidth));
            for (int x = 0; x < c.width; x++) {
                double t = ((x - x0) * dx + (y - y0) * dy) / norm;
                int i = y * c.width + x;
                float rr = (float) (a[0] + (b[0] - a[0]) * t), gg = (float) (a[1] + (b[1] - a[1]) * t), bb = (float) (a[2] + (b[2] - a[2]) * t);
                c.r[i] = (float) (rr + (band[0] - rr) * bandAlpha);
                c.g[i] = (float) (gg + (band[1] - gg) * bandAlpha);
                c.b[i] = (float) (bb + (band[2] - bb) * bandAlpha);
            }
        }
    }

    private static void shape(Canvas c, SplittableRandom r, float[][] palette, double sizeScale) {
        int kind = r.nextInt(4);
        float[] colour = palette[2 + r.nextInt(3)];
        double alpha = 0.35 + 0.55 * r.nextDouble();
        double scale = Math.min(c.width, c.height) * sizeScale;
        double cx = r.nextDouble() * c.width, cy = r.nextDouble() * c.height;
        double size = scale * (0.04 + 0.14 * r.nextDouble());
        switch (kind) {
            case 0 -> { // a disc with a soft edge
                double feather = 1 + size * 0.35 * r.nextDouble();
                c.paint(cx, cy, size + feather, colour, alpha, (px, py) -> {
                    double d = Math.sqrt((px - cx) * (px - cx) + (py - cy) * (py - cy));
                    return (size - d) / feather + 0.5;
                });
            }
            case 1 -> { // a ring
                double thickness = 2 + size * 0.15 * r.nextDouble();
                c.paint(cx, cy, size + thickness, colour, alpha, (px, py) -> {
                    double d = Math.sqrt((px - cx) * (px - cx) + (py - cy) * (py - cy));
                    return thickness / 2 - Math.abs(d - size) + 0.5;
                });
            }
            case 2 -> { // an axis-aligned block
                double hw = size * (0.5 + r.nextDouble()), hh = size * (0.5 + r.nextDouble());
                c.paint(cx, cy, Math.max(hw, hh) + 1, colour, alpha,
                        (px, py) -> Math.min(hw - Math.abs(px - cx), hh - Math.abs(py - cy)) + 0.5);
            }
            default -> { // a thick stroke
                double angle = r.nextDouble() * Math.PI;
                double len = size * 2, thickness = 2 + size * 0.2 * r.nextDouble();
                double ux = StrictMath.cos(angle), uy = StrictMath.sin(angle);
                c.paint(cx, cy, len + thickness, colour, alpha, (px, py) -> {
                    double along = Math.max(-len, Math.min(len, (px - cx) * ux + (py - cy) * uy));
                    double qx = cx + ux * along - px, qy = cy + uy * along - py;
                    return thickness / 2 - Math.sqrt(qx * qx + qy * qy) + 0.5;
                });
            }
        }
    }

    static float[] hsl(double h, double s, double l) {
        double q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;
        return new float[] {(float) hue(p, q, h + 1 / 3.0), (float) hue(p, q, h), (float) hue(p, q, h - 1 / 3.0)};
    }

    private static double hue(double p, double q, double t) {
        if (t < 0) t += 1;
        if (t > 1) t -= 1;
        if (t < 1 / 6.0) return p + (q - p) * 6 * t;
        if (t < 1 / 2.0) return q;
        if (t < 2 / 3.0) return p + (q - p) * (2 / 3.0 - t) * 6;
        return p;
    }

    static long fnv64(String s) {
        return fnv64(s.getBytes(StandardCharsets.UTF_8));
    }

    static long fnv64(byte[] bytes) {
        long h = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
