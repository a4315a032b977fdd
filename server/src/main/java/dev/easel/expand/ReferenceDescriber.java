package dev.easel.expand;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.crypto.Tokens;
import dev.easel.engine.RenderSpec;
import dev.easel.engine.png.PngEncoder;
import dev.easel.json.Json;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For engines without a reference adapter (SGLang today): the style of each image style reference and
 * moodboard image put into words by the operator's vision model (medium, palette, lighting and
 * texture, never its subjects) and added to the prompt, worded by its strength. Descriptions are
 * cached per image content. A reference the model cannot describe is left out; the job goes on.
 */
public final class ReferenceDescriber {
    private static final Logger log = LoggerFactory.getLogger(ReferenceDescriber.class);
    /** The longest side of the image sent: enough to see a style, cheap to send. */
    static final int MAX_SIDE = 512;
    static final String SYSTEM_PROMPT = """
            You describe the visual style of an image so that an image generator can paint something else in that style. \
            Name its medium, colour palette, lighting and texture in one short phrase of at most 25 words. \
            Never name or describe what it shows: no subjects, people, animals, objects, places or text. \
            Answer with the phrase only: plain text, no preamble, no markup.""";
    private static final int MAX_CHARS = 300;

    private final ChatModel vision;
    private final BoundedCache<String, String> cache;

    public ReferenceDescriber(ChatModel vision, int cacheSize) {
        this.vision = vision;
        this.cache = new BoundedCache<>(cacheSize);
    }

    /**
     * The words to add to the prompt for the spec's references and moodboard images, strongest first
     * (", in the style of …"), or an empty string when there are none or none could be described.
     */
    public String styleWords(RenderSpec spec) throws InterruptedException {
        record Weighted(RenderSpec.Pixels image, double strength) {}
        List<Weighted> images = new ArrayList<>();
        spec.imageStyleReferences().forEach(r -> images.add(new Weighted(r.image(), r.strength())));
        spec.moodboards().forEach(m -> m.images().forEach(i -> images.add(new Weighted(i, m.strength()))));
        images.sort((a, b) -> Double.compare(b.strength(), a.strength()));
        List<String> parts = new ArrayList<>();
        for (Weighted w : images) {
            if (w.strength() <= 0) continue;
            Optional<String> description = describe(w.image());
            if (description.isEmpty()) continue;
            String lead = w.strength() >= 0.7 ? "strongly in the style of " : w.strength() >= 0.35 ? "in the style of " : "with a hint of ";
            String part = lead + description.get();
            if (!parts.contains(part)) parts.add(part);
        }
        return parts.isEmpty() ? "" : ", " + String.join(", ", parts);
    }

    /** The image's style in words, from the cache or the model; empty when the model fails or answers badly. */
    Optional<String> describe(RenderSpec.Pixels image) throws InterruptedException {
        String key = contentKey(image);
        String cached = cache.get(key);
        if (cached != null) return Optional.of(cached);
        ArrayNode messages = Json.MAPPER.createArrayNode();
        messages.addObject().put("role", "system").put("content", SYSTEM_PROMPT);
        ObjectNode user = messages.addObject().put("role", "user");
        ArrayNode content = user.putArray("content");
        content.addObject().put("type", "text").put("text", "Describe the style of this image.");
        content.addObject().put("type", "image_url").putObject("image_url").put("url", dataUrl(image));
        String answer;
        try {
            answer = AnswerCheck.clean(vision.complete(messages, 0.2, 0, 120));
        } catch (ChatModel.Failed e) {
            log.warn("reference describer failed, the reference is not put into words: {}", e.getMessage());
            return Optional.empty();
        }
        answer = answer.replaceAll("[.\\s]+$", "");
        if (answer.isBlank() || answer.length() > MAX_CHARS || answer.contains("\n")) {
            log.info("reference description refused: {} characters, {} lines", answer.length(), answer.lines().count());
            return Optional.empty();
        }
        cache.put(key, answer);
        return Optional.of(answer);
    }

    /** The same pixels give the same key, wherever they came from. */
    private static String contentKey(RenderSpec.Pixels image) {
        ByteBuffer bytes = ByteBuffer.allocate(8 + image.argb().length * 4);
        bytes.putInt(image.width()).putInt(image.height());
        for (int p : image.argb()) bytes.putInt(p);
        return Tokens.sha256Hex(bytes.array());
    }

    /** The image as a PNG data URL, scaled down to {@link #MAX_SIDE} at most. */
    static String dataUrl(RenderSpec.Pixels image) {
        int scale = Math.max(1, (Math.max(image.width(), image.height()) + MAX_SIDE - 1) / MAX_SIDE);
        int w = Math.max(1, image.width() / scale), h = Math.max(1, image.height() / scale);
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = image.argb()[(y * scale) * image.width() + x * scale], i = (y * w + x) * 3;
                rgb[i] = (byte) (p >> 16);
                rgb[i + 1] = (byte) (p >> 8);
                rgb[i + 2] = (byte) p;
            }
        }
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(PngEncoder.encode(w, h, rgb, Map.of()));
    }
}
