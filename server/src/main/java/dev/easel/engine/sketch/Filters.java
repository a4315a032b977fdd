package dev.easel.engine.sketch;

/**
 * The finishing pass of the sketch engine: the intensity slider, then one filter per style.
 * A style's strength s (-2..2) becomes an amount a = s / 2 (-1..1); a = 0 leaves the image as is.
 */
final class Filters {
    private Filters() {}

    /** Intensity t (-1..1): saturation and contrast up for t > 0, down (muted, flat) for t < 0. */
    static void intensity(Canvas c, double t) {
        if (t == 0) return;
        float sat = (float) Math.max(0, 1 + 0.9 * t), contrast = (float) Math.max(0.1, 1 + 0.6 * t);
        for (int i = 0; i < c.r.length; i++) {
            float l = c.luminance(i);
            c.r[i] = (l + (c.r[i] - l) * sat - 0.5f) * contrast + 0.5f;
            c.g[i] = (l + (c.g[i] - l) * sat - 0.5f) * contrast + 0.5f;
            c.b[i] = (l + (c.b[i] - l) * sat - 0.5f) * contrast + 0.5f;
        }
    }

    static void apply(Canvas c, String id, double strength, long seed) {
        float a = (float) (strength / 2);
        if (a == 0) return;
        switch (id) {
            case "ink" -> ink(c, a);
            case "neon" -> saturate(c, 1 + 1.5f * a, 0.08f * a);
            case "pastel" -> mixAll(c, a > 0 ? 1 : 0, 0.6f * Math.abs(a));
            case "blueprint" -> duotone(c, a > 0 ? new float[] {0.04f, 0.16f, 0.42f} : new float[] {0.23f, 0.13f, 0.06f},
                    a > 0 ? new float[] {0.81f, 0.91f, 1f} : new float[] {0.96f, 0.9f, 0.76f}, Math.abs(a));
            case "posterize" -> posterize(c, Math.abs(a));
            case "halftone" -> halftone(c, Math.abs(a));
            case "grain" -> grain(c, 0.25f * Math.abs(a), seed);
            case "scanlines" -> scanlines(c, 0.5f * Math.abs(a));
            default -> hueRotate(c, hueOf(id) * a); // a style the sketch engine has no filter for: a hue turn of its own
        }
    }

    private static void ink(Canvas c, float a) {
        float[] lum = new float[c.r.length];
        for (int i = 0; i < lum.length; i++) lum[i] = c.luminance(i);
        float amount = Math.abs(a);
        for (int y = 0; y < c.height; y++) {
            for (int x = 0; x < c.width; x++) {
                int i = y * c.width + x;
                float gx = lum[y * c.width + Math.min(c.width - 1, x + 1)] - lum[y * c.width + Math.max(0, x - 1)];
                float gy = lum[Math.min(c.height - 1, y + 1) * c.width + x] - lum[Math.max(0, y - 1) * c.width + x];
                float edge = Math.min(1, (Math.abs(gx) + Math.abs(gy)) * 6);
                float ink = a > 0 ? 0.95f - 0.9f * edge + 0.04f * lum[i] : 0.1f + 0.85f * edge;
                c.r[i] += (ink - c.r[i]) * amount;
                c.g[i] += (ink - c.g[i]) * amount;
                c.b[i] += (ink - c.b[i]) * amount;
            }
        }
    }

    private static void saturate(Canvas c, float factor, float lift) {
        float f = Math.max(0, factor);
        for (int i = 0; i < c.r.length; i++) {
            float l = c.luminance(i);
            c.r[i] = l + (c.r[i] - l) * f + lift;
            c.g[i] = l + (c.g[i] - l) * f + lift;
            c.b[i] = l + (c.b[i] - l) * f + lift;
        }
    }

    private static void mixAll(Canvas c, float target, float amount) {
        for (int i = 0; i < c.r.length; i++) {
            c.r[i] += (target - c.r[i]) * amount;
            c.g[i] += (target - c.g[i]) * amount;
            c.b[i] += (target - c.b[i]) * amount;
        }
    }

    private static void duotone(Canvas c, float[] dark, float[] light, float amount) {
        for (int i = 0; i < c.r.length; i++) {
            float l = Math.max(0, Math.min(1, c.luminance(i)));
            c.r[i] += (dark[0] + (light[0] - dark[0]) * l - c.r[i]) * amount;
            c.g[i] += (dark[1] + (light[1] - dark[1]) * l - c.g[i]) * amount;
            c.b[i] += (dark[2] + (light[2] - dark[2]) * l - c.b[i]) * amount;
        }
    }

    private static void posterize(Canvas c, float amount) {
        float levels = 2 + Math.round((1 - amount) * 6);
        for (int i = 0; i < c.r.length; i++) {
            c.r[i] += (quantize(c.r[i], levels) - c.r[i]) * Math.min(1, amount * 2);
            c.g[i] += (quantize(c.g[i], levels) - c.g[i]) * Math.min(1, amount * 2);
            c.b[i] += (quantize(c.b[i], levels) - c.b[i]) * Math.min(1, amount * 2);
        }
    }

    private static float quantize(float v, float levels) {
        return Math.round(Math.max(0, Math.min(1, v)) * (levels - 1)) / (levels - 1);
    }

    private static void halftone(Canvas c, float amount) {
        int cell = 8;
        for (int y = 0; y < c.height; y++) {
            for (int x = 0; x < c.width; x++) {
                int i = y * c.width + x;
                int cx = (x / cell) * cell + cell / 2, cy = (y / cell) * cell + cell / 2;
                int ci = Math.min(c.height - 1, cy) * c.width + Math.min(c.width - 1, cx);
                float darkness = 1 - Math.max(0, Math.min(1, c.luminance(ci)));
                float radius = darkness * cell * 0.7f;
                float dx = x + 0.5f - cx, dy = y + 0.5f - cy;
                float dot = dx * dx + dy * dy <= radius * radius ? 0.08f : 0.97f;
                c.r[i] += (dot - c.r[i]) * amount;
                c.g[i] += (dot - c.g[i]) * amount;
                c.b[i] += (dot - c.b[i]) * amount;
            }
        }
    }

    private static void grain(Canvas c, float amplitude, long seed) {
        for (int i = 0; i < c.r.length; i++) {
            long h = (i + seed) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 31;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 29;
            float n = ((h >>> 40) / (float) (1L << 24) - 0.5f) * 2 * amplitude;
            c.r[i] += n;
            c.g[i] += n;
            c.b[i] += n;
        }
    }

    private static void scanlines(Canvas c, float darken) {
        for (int y = 0; y < c.height; y++) {
            if ((y / 3) % 2 != 0) continue;
            for (int x = 0, i = y * c.width; x < c.width; x++, i++) {
                c.r[i] *= 1 - darken;
                c.g[i] *= 1 - darken;
                c.b[i] *= 1 - darken;
            }
        }
    }

    private static float hueOf(String id) {
        return (float) ((SketchEngine.fnv64(id) >>> 11) / (double) (1L << 53) * 0.5 + 0.25);
    }

    /** Rotates hue by {@code turns} of the colour wheel around the grey axis. */
    private static void hueRotate(Canvas c, float turns) {
        double angle = turns * 2 * Math.PI;
        float cos = (float) StrictMath.cos(angle), sin = (float) StrictMath.sin(angle);
        float k = 1 / 3f, sq = (float) Math.sqrt(k);
        float m00 = cos + (1 - cos) * k, m01 = k * (1 - cos) - sq * sin, m02 = k * (1 - cos) + sq * sin;
        float m10 = k * (1 - cos) + sq * sin, m11 = cos + k * (1 - cos), m12 = k * (1 - cos) - sq * sin;
        float m20 = k * (1 - cos) - sq * sin, m21 = k * (1 - cos) + sq * sin, m22 = cos + k * (1 - cos);
        for (int i = 0; i < c.r.length; i++) {
            float r = c.r[i], g = c.g[i], b = c.b[i];
            c.r[i] = m00 * r + m01 * g + m02 * b;
            c.g[i] = m10 * r + m11 * g + m12 * b;
            c.b[i] = m20 * r + m21 * g + m22 * b;
        }
    }
}
