package dev.easel.jobs;

import dev.easel.billing.PriceTier;
import java.util.List;

/**
 * A validated body of {@code POST /generate/image/krea/krea-2/medium}, defaults filled in.
 * {@code seed} is null when the caller left it to the server; the job then draws one at submit.
 */
public record GenerateRequest(
        String prompt,
        Long seed,
        List<StyleRef> styles,
        List<ImageStyleRef> imageStyleReferences,
        AspectRatio aspectRatio,
        String resolution,
        Creativity creativity,
        int intensity,
        int complexity,
        List<MoodboardRef> moodboards) {

    /** Seeds are integers from 0 to 2^53-1: every one is exact as a JSON number in any client. */
    public static final long MAX_SEED = (1L << 53) - 1;

    public GenerateRequest {
        styles = List.copyOf(styles);
        imageStyleReferences = List.copyOf(imageStyleReferences);
        moodboards = List.copyOf(moodboards);
    }

    public record StyleRef(String id, double strength) {}

    public record ImageStyleRef(String url, double strength) {}

    public record MoodboardRef(String id, double strength) {}

    public PriceTier priceTier() {
        return PriceTier.of(imageStyleReferences.size(), moodboards.size());
    }

    /**
     * The LoRA set this request needs on a GPU server: its uploaded styles (built-in ones are no
     * LoRA) by id with their strengths, and the slider values, sorted; empty when none. Jobs with the
     * same key can follow each other on a server without switching LoRAs.
     */
    public String loraSet() {
        return dev.easel.engine.LoraSetKey.of(styles.stream().filter(s -> !dev.easel.styles.BuiltinStyles.contains(s.id()))
                .map(s -> java.util.Map.entry(s.id(), s.strength())).toList(), intensity, complexity);
    }

    public GenerateRequest withSeed(long newSeed) {
        return new GenerateRequest(prompt, newSeed, styles, imageStyleReferences, aspectRatio, resolution,
                creativity, intensity, complexity, moodboards);
    }
}
