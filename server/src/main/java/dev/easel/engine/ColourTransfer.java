package dev.easel.engine;

import java.util.List;

/**
 * Image style references and moodboards for an engine whose model has no reference adapter (the open
 * Krea 2 weights have none): a colour and tone transfer of the finished image toward the references'
 * palette. The image's own five dominant colours are pulled toward the references' by
 * {@link ReferencePalette} (darkest to darkest, by each reference's strength), and every pixel moves
 * by the pull of the palette colours near it, weighted by closeness, so that gradients stay smooth.
 * Strength 0 leaves the pixels as they were.
 */
public final class ColourTransfer {
    private ColourTransfer() {}

    /** The image's pixels moved toward the references of {@code spec}; the same array when there are none. */
    public static int[] apply(RenderSpec.Pixels image, RenderSpec spec) {
        if (spec.imageStyleReferences().isEmpty() && spec.moodboards().isEmpty()) return image.argb();
        List<float[]> own = ReferencePalette.dominant(List.of(image));
        if (own.isEmpty()) return image.argb();
        float[][] from = own.toArray(float[][]::new);
        float[][] to = ReferencePalette.pull(from, spec);
        int[] out = new int[image.argb().length];
        float[] p = new float[3];
        double[] weight = new double[from.length];
        for (int i = 0; i < out.length; i++) {
            int argb = image.argb()[i];
            p[0] = ((argb >> 16) & 0xff) / 255f;
            p[1] = ((argb >> 8) & 0xff) / 255f;
            p[2] = (argb & 0xff) / 255f;
            double total = 0;
            for (int k = 0; k < from.length; k++) {
                double d = 0;
                for (int c = 0; c < 3; c++) d += (p[c] - from[k][c]) * (p[c] - from[k][c]);
                weight[k] = 1 / (d + 1e-4) / (d + 1e-4); // the nearest colours dominate, without hard edges
                total += weight[k];
            }
            int rgb = 0;
            for (int c = 0; c < 3; c++) {
                double shift = 0;
                for (int k = 0; k < from.length; k++) shift += weight[k] / total * (to[k][c] - from[k][c]);
                int v = (int) Math.round(Math.min(1, Math.max(0, p[c] + shift)) * 255);
                rgb = (rgb << 8) | v;
            }
            out[i] = (argb & 0xff000000) | rgb;
        }
        return out;
    }
}
