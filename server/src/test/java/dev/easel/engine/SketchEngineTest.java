package dev.easel.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.engine.sketch.SketchEngine;
import dev.easel.jobs.AspectRatio;
import dev.easel.styles.BuiltinStyles;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

public class SketchEngineTest {
    static final SketchEngine ENGINE = new SketchEngine(0);
    static final RenderSpec BASE = new RenderSpec(1024, 1024, 42, "an igloo village", 0, 0, List.of());

    static byte[] render(RenderSpec spec) throws InterruptedException {
        return ENGINE.render(spec, Progress.NONE).png();
    }

    static int[] pixels(byte[] png) throws Exception {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    @Test
    void theSameSpecGivesTheSameBytes() throws Exception {
        assertThat(render(BASE)).isEqualTo(render(BASE));
        RenderSpec styled = new RenderSpec(1376, 768, 7, "x", 40, -30, List.of(new RenderSpec.Style("grain", 1.2), new RenderSpec.Style("ink", -0.5)));
        assertThat(render(styled)).isEqualTo(render(styled));
    }

    @ParameterizedTest
    @EnumSource(AspectRatio.class)
    void rendersTheExactSizeOfEachAspectRatio(AspectRatio aspect) throws Exception {
        RenderSpec spec = new RenderSpec(aspect.width, aspect.height, 1, "size", 0, 0, List.of());
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(render(spec)));
        assertThat(img.getWidth()).isEqualTo(aspect.width);
        assertThat(img.getHeight()).isEqualTo(aspect.height);
        assertThat(aspect.width % 16).isZero();
        assertThat(aspect.height % 16).isZero();
    }

    static List<RenderSpec> variations() {
        List<RenderSpec> v = new ArrayList<>(List.of(
                new RenderSpec(1024, 1024, 43, BASE.prompt(), 0, 0, List.of()),
                new RenderSpec(1024, 1024, 42, "a lighthouse at dusk", 0, 0, List.of()),
                new RenderSpec(1024, 1024, 42, BASE.prompt(), 60, 0, List.of()),
                new RenderSpec(1024, 1024, 42, BASE.prompt(), -60, 0, List.of()),
                new RenderSpec(1024, 1024, 42, BASE.prompt(), 0, 80, List.of()),
                new RenderSpec(1024, 1024, 42, BASE.prompt(), 0, -80, List.of()),
                new RenderSpec(1024, 1024, 42, BASE.prompt(), 0, 0, List.of(new RenderSpec.Style("an-uploaded-lora", 1)))));
        for (String id : BuiltinStyles.CATALOGUE.keySet()) {
            v.add(new RenderSpec(1024, 1024, 42, BASE.prompt(), 0, 0, List.of(new RenderSpec.Style(id, 1))));
            v.add(new RenderSpec(1024, 1024, 42, BASE.prompt(), 0, 0, List.of(new RenderSpec.Style(id, -1))));
        }
        return v;
    }

    /** Seed, prompt, each slider and each style id change the picture visibly: many pixels, not one. */
    @ParameterizedTest
    @MethodSource("variations")
    void everyFieldVisiblyChangesThePicture(RenderSpec variation) throws Exception {
        int[] base = pixels(render(BASE)), varied = pixels(render(variation));
        long changed = 0;
        for (int i = 0; i < base.length; i++) if (base[i] != varied[i]) changed++;
        assertThat(changed).as("pixels changed by " + variation).isGreaterThan(base.length / 20);
    }

    /** An uploaded style (a uuid): strength s and -s turn the hue in opposite directions, more for a larger |s|. */
    @Test
    void anUploadedStyleMovesThePictureInProportionAndOppositeForNegativeStrength() throws Exception {
        String id = "3f1c2b9e-8a47-4d2e-9b55-0c6e1d7a4f10";
        int[] base = pixels(render(BASE));
        double[] shift = new double[3];
        double[] strengths = {0.5, 1, -1};
        for (int k = 0; k < strengths.length; k++) {
            RenderSpec styled = new RenderSpec(1024, 1024, 42, BASE.prompt(), 0, 0, List.of(new RenderSpec.Style(id, strengths[k])));
            shift[k] = meanHueShift(base, pixels(render(styled)));
        }
        assertThat(Math.abs(shift[1])).as("a visible turn").isGreaterThan(3);
        assertThat(Math.signum(shift[2])).as("-s turns the other way").isEqualTo(-Math.signum(shift[1]));
        assertThat(Math.abs(shift[0])).as("half the strength, a smaller turn").isLessThan(Math.abs(shift[1]));
    }

    /** Mean signed hue difference in degrees over saturated pixels, each wrapped to -180..180. */
    private static double meanHueShift(int[] from, int[] to) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < from.length; i++) {
            float[] a = java.awt.Color.RGBtoHSB(from[i] >> 16 & 0xff, from[i] >> 8 & 0xff, from[i] & 0xff, null);
            float[] b = java.awt.Color.RGBtoHSB(to[i] >> 16 & 0xff, to[i] >> 8 & 0xff, to[i] & 0xff, null);
            if (a[1] < 0.2 || b[1] < 0.2 || a[2] < 0.2) continue;
            double d = (b[0] - a[0]) * 360.0;
            d = ((d + 540) % 360) - 180;
            sum += d;
            n++;
        }
        return n == 0 ? 0 : sum / n;
    }

    /** Rows from dark red at the top to light red at the bottom: several reds, as a real photo has. */
    static RenderSpec.Pixels reds(int w, int h) {
        int[] argb = new int[w * h];
        for (int y = 0; y < h; y++) {
            double t = (double) y / (h - 1);
            int r = (int) (70 + 185 * t), gb = (int) (10 + 110 * t);
            for (int x = 0; x < w; x++) argb[y * w + x] = 0xff000000 | r << 16 | gb << 8 | gb;
        }
        return new RenderSpec.Pixels(w, h, argb);
    }

    static RenderSpec.Pixels solid(int w, int h, int rgb) {
        int[] argb = new int[w * h];
        Arrays.fill(argb, 0xff000000 | rgb);
        return new RenderSpec.Pixels(w, h, argb);
    }

    static RenderSpec withReferences(List<RenderSpec.ImageReference> refs, List<RenderSpec.MoodboardImages> boards) {
        return new RenderSpec(BASE.width(), BASE.height(), BASE.seed(), BASE.prompt(), 0, 0, List.of(), refs, boards);
    }

    /**
     * The picture's mean colour direction as a hue angle in degrees (0 red, 120 green, 240 blue): the
     * mean of each pixel's opponent-colour vector (r - (g + b) / 2, (g - b) * sqrt(3) / 2).
     */
    public static double meanHue(int[] px) {
        double x = 0, y = 0;
        for (int p : px) {
            double r = (p >> 16 & 0xff) / 255.0, g = (p >> 8 & 0xff) / 255.0, b = (p & 0xff) / 255.0;
            x += r - (g + b) / 2;
            y += (g - b) * Math.sqrt(3) / 2;
        }
        return (Math.toDegrees(Math.atan2(y, x)) + 360) % 360;
    }

    public static double hueDistance(double a, double b) {
        double d = Math.abs(a - b) % 360;
        return Math.min(d, 360 - d);
    }

    /** The measure: as a red reference's strength goes 0 to 1, the mean hue closes in on red, step by step. */
    @Test
    void aRedReferencePullsTheMeanHueTowardRedAsStrengthGrows() throws Exception {
        double[] strengths = {0, 0.25, 0.5, 0.75, 1};
        double[] distance = new double[strengths.length];
        for (int k = 0; k < strengths.length; k++) {
            RenderSpec spec = withReferences(List.of(new RenderSpec.ImageReference(reds(64, 64), strengths[k])), List.of());
            distance[k] = hueDistance(meanHue(pixels(render(spec))), 0);
        }
        assertThat(distance[0]).as("the prompt's own palette is far from red").isGreaterThan(60);
        for (int k = 1; k < strengths.length; k++) {
            assertThat(distance[k]).as("strength " + strengths[k] + " is closer to red than " + strengths[k - 1]).isLessThan(distance[k - 1]);
        }
        assertThat(distance[4]).as("at strength 1 the palette is the reference's").isLessThan(5);
    }

    @Test
    void aReferenceAtStrengthZeroLeavesThePixelsAlone() throws Exception {
        RenderSpec zero = withReferences(List.of(new RenderSpec.ImageReference(reds(64, 64), 0)),
                List.of(new RenderSpec.MoodboardImages(List.of(solid(8, 8, 0x0000ff)), 0)));
        assertThat(Arrays.equals(pixels(render(zero)), pixels(render(BASE)))).isTrue();
    }

    /** A moodboard's images together pull the palette, more at a higher strength; fully transparent pixels give nothing. */
    @Test
    void aMoodboardPullsThePaletteTowardItsImages() throws Exception {
        int[] transparent = new int[16];
        List<RenderSpec.Pixels> blues = List.of(solid(32, 32, 0x1030c0), solid(48, 16, 0x4060ff), solid(20, 20, 0x000060),
                new RenderSpec.Pixels(4, 4, transparent));
        double before = hueDistance(meanHue(pixels(render(BASE))), 240);
        double atDefault = hueDistance(meanHue(pixels(render(withReferences(List.of(),
                List.of(new RenderSpec.MoodboardImages(blues, 0.23)))))), 240);
        double atOne = hueDistance(meanHue(pixels(render(withReferences(List.of(),
                List.of(new RenderSpec.MoodboardImages(blues, 1)))))), 240);
        assertThat(atDefault).isLessThan(before);
        assertThat(atOne).isLessThan(atDefault).isLessThan(10);
    }

    static RenderSpec.Style lora(String id, double strength, byte[] file) {
        return new RenderSpec.Style(id, strength, new RenderSpec.Lora("kohya", 4, () -> new ByteArrayInputStream(file)));
    }

    static RenderSpec styled(RenderSpec.Style style) {
        return new RenderSpec(BASE.width(), BASE.height(), BASE.seed(), BASE.prompt(), 0, 0, List.of(style));
    }

    /** An uploaded LoRA's look follows from its file: the same file under two ids looks the same, another file not. */
    @Test
    void anUploadedLorasLookFollowsItsFileAndItsStrength() throws Exception {
        byte[] one = "one LoRA file".getBytes(), other = "another LoRA file".getBytes();
        int[] a = pixels(render(styled(lora("3f1c2b9e-0000-4000-8000-000000000001", 1, one))));
        assertThat(Arrays.equals(pixels(render(styled(lora("3f1c2b9e-0000-4000-8000-000000000002", 1, one)))), a)).isTrue();
        assertThat(Arrays.equals(pixels(render(styled(lora("3f1c2b9e-0000-4000-8000-000000000001", 1, other)))), a)).isFalse();
        int[] base = pixels(render(BASE));
        double up = meanHueShift(base, a);
        double down = meanHueShift(base, pixels(render(styled(lora("x", -1, one)))));
        assertThat(Math.abs(up)).isGreaterThan(3);
        assertThat(Math.signum(down)).isEqualTo(-Math.signum(up));
    }

    @Test
    void aStyleAtStrengthZeroLeavesThePixelsAlone() throws Exception {
        RenderSpec zero = new RenderSpec(1024, 1024, 42, BASE.prompt(), 0, 0, List.of(new RenderSpec.Style("neon", 0)));
        assertThat(Arrays.equals(pixels(render(BASE)), pixels(render(zero)))).isTrue();
    }

    @Test
    void reportsEightStepsAndOnePreview() throws Exception {
        List<Integer> steps = new ArrayList<>();
        List<byte[]> previews = new ArrayList<>();
        ENGINE.render(BASE, new Progress() {
            public void step(int step, int total) {
                assertThat(total).isEqualTo(SketchEngine.STEPS);
                steps.add(step);
            }

            public void preview(byte[] png) {
                previews.add(png);
            }
        });
        assertThat(steps).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(previews).hasSize(1);
        assertThat(ImageIO.read(new ByteArrayInputStream(previews.get(0))).getWidth()).isEqualTo(256);
    }

    @Test
    void stopsWhenProgressSaysSo() {
        Progress stopAtThree = new Progress() {
            public void step(int step, int steps) {
                if (step == 3) throw new RenderStopped("cancelled");
            }

            public void preview(byte[] png) {}
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ENGINE.render(BASE, stopAtThree)).isInstanceOf(RenderStopped.class);
    }

    @Test
    void saysInThePngThatItIsNotANeuralModel() throws Exception {
        String text = new String(render(BASE), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(text).contains("not a neural model").contains("seed=42");
    }
}
