package dev.easel.engine.sketch;

/** An RGB image in floats (0..1), one plane per channel: r, g, b are each [height * width]. */
final class Canvas {
    final int width, height;
    final float[] r, g, b;

    Canvas(int width, int height) {
        this.width = width;
        this.height = height;
        this.r = new float[width * height];
        this.g = new float[width * height];
        this.b = new float[width * height];
    }

    /** Signed coverage of a shape at a pixel centre: > 1 inside, < 0 outside, in between on the edge. */
    interface Coverage {
        double at(double x, double y);
    }

    /** Blends {@code colour} over the square of half-size {@code reach} around (cx, cy), by coverage * alpha. */
    void paint(double cx, double cy, double reach, float[] colour, double alpha, Coverage coverage) {
        int x0 = Math.max(0, (int) (cx - reach)), x1 = Math.min(width - 1, (int) (cx + reach) + 1);
        int y0 = Math.max(0, (int) (cy - reach)), y1 = Math.min(height - 1, (int) (cy + reach) + 1);
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                double cov = coverage.at(x + 0.5, y + 0.5);
                if (cov <= 0) continue;
                float a = (float) (Math.min(1, cov) * alpha);
                int i = y * width + x;
                r[i] += (colour[0] - r[i]) * a;
                g[i] += (colour[1] - g[i]) * a;
                b[i] += (colour[2] - b[i]) * a;
            }
        }
    }

    /** A box-filtered copy {@code factor} times smaller on each side. */
    Canvas downsample(int factor) {
        Canvas small = new Canvas(Math.max(1, width / factor), Math.max(1, height / factor));
        float n = factor * factor;
        for (int y = 0; y < small.height; y++) {
            for (int x = 0; x < small.width; x++) {
                float sr = 0, sg = 0, sb = 0;
                for (int dy = 0; dy < factor; dy++) {
                    int row = (y * factor + dy) * width + x * factor;
                    for (int dx = 0; dx < factor; dx++) {
                        sr += r[row + dx];
                        sg += g[row + dx];
                        sb += b[row + dx];
                    }
                }
                int i = y * small.width + x;
                small.r[i] = sr / n;
                small.g[i] = sg / n;
                small.b[i] = sb / n;
            }
        }
        return small;
    }

    /** Packed 8-bit RGB, rows top to bottom, for the PNG encoder. */
    byte[] toRgb() {
        byte[] out = new byte[width * height * 3];
        for (int i = 0, o = 0; i < r.length; i++) {
            out[o++] = toByte(r[i]);
            out[o++] = toByte(g[i]);
            out[o++] = toByte(b[i]);
        }
        return out;
    }

    private static byte toByte(float v) {
        return (byte) (v <= 0 ? 0 : v >= 1 ? 255 : (int) (v * 255 + 0.5f));
    }

    float luminance(int i) {
        return 0.2126f * r[i] + 0.7152f * g[i] + 0.0722f * b[i];
    }
}
