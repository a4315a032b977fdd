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

class SketchEngineTest {
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
