package dev.easel.engine;

import java.io.InputStream;
import java.util.List;
import java.util.function.Supplier;

/**
 * A request resolved for an engine: exact pixel size, the seed, the prompt after expansion, the
 * styles with their strengths (-2..2) and LoRA files, and the reference images already fetched and
 * decoded: image style references (one image each) and moodboards (many images, one strength).
 * The engine never opens a URL or a database: everything it needs is here.
 */
public record RenderSpec(int width, int height, long seed, String prompt, int intensity, int complexity,
                         List<Style> styles, List<ImageReference> imageStyleReferences, List<MoodboardImages> moodboards) {
    public RenderSpec {
        styles = List.copyOf(styles);
        imageStyleReferences = List.copyOf(imageStyleReferences);
        moodboards = List.copyOf(moodboards);
    }

    /** The same spec with another prompt (the reference styles put into words added). */
    public RenderSpec withPrompt(String newPrompt) {
        return new RenderSpec(width, height, seed, newPrompt, intensity, complexity, styles, imageStyleReferences, moodboards);
    }

    /** A text-to-image spec: styles, no reference images. */
    public RenderSpec(int width, int height, long seed, String prompt, int intensity, int complexity, List<Style> styles) {
        this(width, height, seed, prompt, intensity, complexity, styles, List.of(), List.of());
    }

    /** @param lora the uploaded LoRA behind the style, or null for a built-in style */
    public record Style(String id, double strength, Lora lora) {
        public Style(String id, double strength) {
            this(id, strength, null);
        }
    }

    /**
     * An uploaded LoRA: its key format ({@code kohya} or {@code peft}), its rank, and its
     * {@code .safetensors} bytes, opened on demand (files can be large).
     */
    public record Lora(String format, int rank, Supplier<InputStream> weights) {}

    /**
     * Decoded pixels, row-major, each {@code 0xAARRGGBB}: int[height * width]. References are
     * subsampled to at most 512 pixels a side when decoded; their full size does not matter here.
     */
    public record Pixels(int width, int height, int[] argb) {
        public Pixels {
            if (argb.length != width * height) throw new IllegalArgumentException("argb holds " + argb.length + " pixels, not " + width + "x" + height);
        }
    }

    /** One of {@code image_style_references}: strength 0..1. */
    public record ImageReference(Pixels image, double strength) {}

    /** A moodboard's images, taken together at one strength 0..1. */
    public record MoodboardImages(List<Pixels> images, double strength) {
        public MoodboardImages {
            images = List.copyOf(images);
        }
    }
}
