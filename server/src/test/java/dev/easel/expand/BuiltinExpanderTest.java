package dev.easel.expand;

import static org.assertj.core.api.Assertions.assertThat;

import dev.easel.jobs.Creativity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties of the built-in expander over a few hundred prompts drawn from a seeded vocabulary:
 * the prompt survives word for word at the start, raw is the identity, each level is longer than the
 * one below, the same inputs give the same text, and nothing added contradicts a time of day, a
 * season, weather or a medium the prompt names.
 */
class BuiltinExpanderTest {
    private static final List<String> SUBJECTS = List.of("a portrait of an old fisherman", "a fox", "a red bicycle", "three apples on a table",
            "a mountain lake", "a castle on a hill", "a busy street market", "a woman reading a book", "an owl", "a lighthouse",
            "two children flying a kite", "a teapot", "a desert canyon", "a dragon over a city", "a cup of coffee");
    private static final List<String> TIMES = List.of("at dawn", "at noon", "at sunset", "at night", "at midnight", "in the morning",
            "in the evening", "at dusk");
    private static final List<String> SEASONS = List.of("in winter", "in spring", "in summer", "in autumn");
    private static final List<String> WEATHERS = List.of("in the rain", "in a storm", "in thick fog", "on a cloudy day");
    private static final List<String> MEDIA = List.of("as an oil painting", "as a watercolor", "as a pencil sketch", "as a photograph",
            "in pixel art", "as an ink drawing", "as a 3d render");
    private static final List<String> EXTRA = List.of("with a lantern", "beside a river", "under a bridge", "wearing a blue scarf",
            "surrounded by flowers", "", "", "");

    /** A prompt from the vocabulary, with or without a time, season, weather and medium. */
    static Stream<String> prompts() {
        Random random = new Random(20261201);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            StringBuilder p = new StringBuilder(pick(random, SUBJECTS));
            String extra = pick(random, EXTRA);
            if (!extra.isEmpty()) p.append(' ').append(extra);
            if (random.nextBoolean()) p.append(' ').append(pick(random, TIMES));
            if (random.nextInt(3) == 0) p.append(' ').append(pick(random, SEASONS));
            if (random.nextInt(4) == 0) p.append(' ').append(pick(random, WEATHERS));
            if (random.nextInt(3) == 0) p.append(", ").append(pick(random, MEDIA));
            if (random.nextInt(10) == 0) p.append(". A detailed scene with many small things to look at, each carefully placed, "
                    + "a path winding between old stone walls, moss on every surface, and birds resting on the rooftops");
            out.add(p.toString());
        }
        return out.stream();
    }

    private static String pick(Random r, List<String> from) {
        return from.get(r.nextInt(from.size()));
    }

    private static String added(String prompt, String expansion) {
        return expansion.substring(prompt.replaceAll("[.,;:!]+$", "").length());
    }

    @ParameterizedTest
    @MethodSource("prompts")
    void keepsThePromptGrowsWithTheLevelAndIsStable(String prompt) {
        long seed = prompt.length() * 7919L;
        assertThat(BuiltinExpander.expand(prompt, Creativity.RAW, seed)).isEqualTo(prompt);
        String low = BuiltinExpander.expand(prompt, Creativity.LOW, seed), medium = BuiltinExpander.expand(prompt, Creativity.MEDIUM, seed),
                high = BuiltinExpander.expand(prompt, Creativity.HIGH, seed);
        for (String e : List.of(low, medium, high)) {
            assertThat(e).as("the prompt, word for word, first").startsWith(prompt.replaceAll("[.,;:!]+$", ""));
        }
        assertThat(low.length()).isGreaterThan(prompt.length());
        assertThat(medium.length()).isGreaterThan(low.length());
        assertThat(high.length()).isGreaterThan(medium.length());
        assertThat(BuiltinExpander.expand(prompt, Creativity.HIGH, seed)).as("stable").isEqualTo(high);
    }

    @ParameterizedTest
    @MethodSource("prompts")
    void addsNothingThatContradictsATimeSeasonWeatherOrMediumOfThePrompt(String prompt) {
        List<String> words = BuiltinExpander.tokens(prompt);
        for (long seed = 0; seed < 8; seed++) {
            List<String> addedWords = BuiltinExpander.tokens(added(prompt, BuiltinExpander.expand(prompt, Creativity.HIGH, seed)));
            for (var claim : List.of(BuiltinExpander.Claim.TIME, BuiltinExpander.Claim.SEASON, BuiltinExpander.Claim.WEATHER,
                    BuiltinExpander.Claim.MEDIUM)) {
                Set<String> lexicon = BuiltinExpander.DECIDED.get(claim);
                if (words.stream().noneMatch(lexicon::contains)) continue;
                assertThat(addedWords).as(claim + " named in \"" + prompt + "\" (seed " + seed + ")").noneMatch(lexicon::contains);
            }
        }
    }

    @Test
    void theSeedChoosesThePhrases() {
        Set<String> seen = new java.util.HashSet<>();
        for (long seed = 0; seed < 20; seed++) seen.add(BuiltinExpander.expand("a fox", Creativity.HIGH, seed));
        assertThat(seen.size()).isGreaterThan(10);
    }

    @Test
    void phrasesFitTheSubject() {
        String portrait = BuiltinExpander.expand("a portrait of an old fisherman", Creativity.LOW, 1);
        assertThat(portrait).containsAnyOf("face", "Rembrandt", "skin", "rim light").containsAnyOf("head-and-shoulders", "eye-level", "depth of field");
        String landscape = BuiltinExpander.expand("a mountain lake", Creativity.LOW, 1);
        assertThat(landscape).containsAnyOf("across the scene", "raking", "clouds", "blue-hour", "ambient")
                .containsAnyOf("panoramic", "foreground", "horizon");
        assertThat(BuiltinExpander.expand("a mountain lake at noon", Creativity.HIGH, 1)).doesNotContain("golden-hour", "blue-hour", "morning");
        assertThat(BuiltinExpander.expand("a fox, as a watercolor", Creativity.HIGH, 1)).doesNotContain("brushwork", "ink", "photographic", "film");
    }
}
