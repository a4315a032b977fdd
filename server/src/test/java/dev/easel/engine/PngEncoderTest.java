package dev.easel.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.engine.png.PngEncoder;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Our encoder against the JDK's PNG decoder, on seeded random images of odd sizes. */
class PngEncoderTest {
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void decodesToTheSamePixels(long seed) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        int w = 1 + r.nextInt(300), h = 1 + r.nextInt(200);
        byte[] rgb = new byte[w * h * 3];
        boolean smooth = seed % 2 == 0; // noise exercises every filter; gradients favour Sub/Up/Paeth
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) (smooth ? (i / 3 % w + i / 3 / w * 2) : r.nextInt(256));
        byte[] png = PngEncoder.encode(w, h, rgb, Map.of("Comment", "héllo"));
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(img.getWidth()).isEqualTo(w);
        assertThat(img.getHeight()).isEqualTo(h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                int expected = ((rgb[i] & 0xff) << 16) | ((rgb[i + 1] & 0xff) << 8) | (rgb[i + 2] & 0xff);
                assertThat(img.getRGB(x, y) & 0xffffff).as("pixel %d,%d", x, y).isEqualTo(expected);
            }
        }
    }
}
