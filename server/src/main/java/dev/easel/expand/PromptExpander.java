package dev.easel.expand;

import dev.easel.jobs.Creativity;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Prompt expansion for the {@code creativity} setting: a fixed, rule-based expander (no language
 * model) that appends descriptive phrases chosen by the seed. {@code raw} leaves the prompt as
 * written; {@code low}, {@code medium} and {@code high} add one, two and four phrases. The same
 * prompt, creativity and seed always give the same expansion, so results stay reproducible.
 */
public final class PromptExpander {
    private static final List<List<String>> PHRASES = List.of(
            List.of("soft golden-hour light", "cool moonlit light", "dramatic rim lighting", "diffuse overcast light",
                    "warm lantern glow", "crisp morning light", "neon-tinged night light", "hazy backlight"),
            List.of("wide establishing shot", "intimate close framing", "balanced symmetrical composition",
                    "low-angle view", "bird's-eye view", "rule-of-thirds composition", "layered depth", "centered subject"),
            List.of("painterly brushwork", "clean graphic shapes", "fine ink linework", "textured gouache",
                    "smooth gradients", "bold flat colour", "delicate watercolour washes", "grainy print texture"),
            List.of("serene mood", "playful mood", "mysterious atmosphere", "nostalgic feeling", "epic scale",
                    "quiet stillness", "vibrant energy", "dreamlike atmosphere"));

    private PromptExpander() {}

    public static String expand(String prompt, Creativity creativity, long seed) {
        int phrases = switch (creativity) {
            case RAW -> 0;
            case LOW -> 1;
            case MEDIUM -> 2;
            case HIGH -> 4;
        };
        if (phrases == 0) return prompt;
        SplittableRandom random = new SplittableRandom(seed ^ prompt.hashCode());
        List<String> added = new ArrayList<>();
        for (int i = 0; i < phrases; i++) {
            List<String> group = PHRASES.get(i);
            added.add(group.get(random.nextInt(group.size())));
        }
        String base = prompt.strip().replaceAll("[.,;:!]+$", "");
        return base + ", " + String.join(", ", added);
    }
}
