package dev.easel.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How reference images show, in every engine: each image style reference, then each moodboard, pulls
 * a palette (the sketch engine's, or the GPU output's own dominant colours) toward its own dominant
 * colours, found by k-means. The darkest palette
 * colour moves toward the darkest dominant colour and so on up, so the drawing keeps its contrast;
 * strength s moves each colour the fraction s of the way (0 = no change, 1 = the reference's colours).
 * Deterministic: a fixed sampling stride, a fixed seed for k-means++, a fixed number of iterations.
 */
public final class ReferencePalette {
    public static final int K = 5;
    private static final int MAX_SAMPLES = 16_384; // plenty for five colours; the k-means cost grows with it
    private static final int ITERATIONS = 12;

    private ReferencePalette() {}

    /** The palette (colours as float[3] RGB 0..1) after every reference in {@code spec} has pulled it. */
    public static float[][] pull(float[][] palette, RenderSpec spec) {
        float[][] out = Arrays.stream(palette).map(float[]::clone).toArray(float[][]::new);
        for (RenderSpec.ImageReference ref : spec.imageStyleReferences()) pull(out, List.of(ref.image()), ref.strength());
        for (RenderSpec.MoodboardImages board : spec.moodboards()) pull(out, board.images(), board.strength());
        return out;
    }

    private static void pull(float[][] palette, List<RenderSpec.Pixels> images, double strength) {
        if (strength == 0) return;
        List<float[]> dominant = dominant(images);
        if (dominant.isEmpty()) return; // fully transparent images have no colour to give
        Integer[] byLightness = new Integer[palette.length];
        for (int i = 0; i < byLightness.length; i++) byLightness[i] = i;
        Arrays.sort(byLightness, Comparator.comparingDouble(i -> luminance(palette[i])));
        dominant.sort(Comparator.comparingDouble(ReferencePalette::luminance));
        float s = (float) strength;
        for (int rank = 0; rank < byLightness.length; rank++) {
            float[] colour = palette[byLightness[rank]];
            float[] target = dominant.get(rank * dominant.size() / byLightness.length);
            for (int c = 0; c < 3; c++) colour[c] += (target[c] - colour[c]) * s;
        }
    }

    /** Up to {@link #K} dominant colours of the images' opaque pixels (fewer when they have fewer distinct colours). */
    public static List<float[]> dominant(List<RenderSpec.Pixels> images) {
        float[][] samples = samples(images); // [n][3]
        if (samples.length == 0) return new ArrayList<>();
        List<float[]> centres = seeds(samples);
        int[] nearest = new int[samples.length];
        for (int iteration = 0; iteration < ITERATIONS; iteration++) {
            for (int i = 0; i < samples.length; i++) nearest[i] = nearest(centres, samples[i]);
            double[][] sums = new double[centres.size()][3];
            int[] counts = new int[centres.size()];
            for (int i = 0; i < samples.length; i++) {
                counts[nearest[i]]++;
                for (int c = 0; c < 3; c++) sums[nearest[i]][c] += samples[i][c];
            }
            for (int k = 0; k < centres.size(); k++) {
                if (counts[k] == 0) continue; // an empty cluster keeps its centre
                for (int c = 0; c < 3; c++) centres.get(k)[c] = (float) (sums[k][c] / counts[k]);
            }
        }
        return centres;
    }

    /** At most {@link #MAX_SAMPLES} opaque pixels, spread evenly over the images and over each image: float[n][3]. */
    private static float[][] samples(List<RenderSpec.Pixels> images) {
        int perImage = Math.max(64, MAX_SAMPLES / Math.max(1, images.size()));
        List<float[]> out = new ArrayList<>();
        for (RenderSpec.Pixels image : images) {
            int[] argb = image.argb();
            int stride = Math.max(1, argb.length / perImage);
            for (int i = 0; i < argb.length; i += stride) {
                int p = argb[i];
                if ((p >>> 24) < 128) continue;
                out.add(new float[] {((p >> 16) & 0xff) / 255f, ((p >> 8) & 0xff) / 255f, (p & 0xff) / 255f});
            }
        }
        return out.toArray(float[][]::new);
    }

    /** k-means++ seeding with a fixed seed: each next centre drawn in proportion to its squared distance. */
    private static List<float[]> seeds(float[][] samples) {
        SplittableRandom random = new SplittableRandom(0x5EEDL);
        List<float[]> centres = new ArrayList<>();
        centres.add(samples[random.nextInt(samples.length)].clone());
        double[] d2 = new double[samples.length];
        while (centres.size() < K) {
            double total = 0;
            for (int i = 0; i < samples.length; i++) {
                d2[i] = distance2(centres.get(nearest(centres, samples[i])), samples[i]);
                total += d2[i];
            }
            if (total == 0) break; // every sample is already a centre's colour
            double pick = random.nextDouble() * total;
            int chosen = 0;
            while (chosen < samples.length - 1 && (pick -= d2[chosen]) > 0) chosen++;
            centres.add(samples[chosen].clone());
        }
        return centres;
    }

    private static int nearest(List<float[]> centres, float[] p) {
        int best = 0;
        double bestD = Double.MAX_VALUE;
        for (int k = 0; k < centres.size(); k++) {
            double d = distance2(centres.get(k), p);
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return best;
    }

    private static double distance2(float[] a, float[] b) {
        double dr = a[0] - b[0], dg = a[1] - b[1], db = a[2] - b[2];
        return dr * dr + dg * dg + db * db;
    }

    private static double luminance(float[] c) {
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    }
}
