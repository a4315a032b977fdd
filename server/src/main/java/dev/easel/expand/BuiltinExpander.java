package dev.easel.expand;

import dev.easel.jobs.Creativity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The expander without a language model: it keeps the prompt as written and appends phrases that fit
 * its words (a portrait gets portrait lighting, a landscape a landscape's composition) and never
 * contradict them: no time of day, season, weather, medium, colour scheme or mood is added when the
 * prompt names one of its kind, and no phrase repeats a word the prompt already has. {@code low} adds
 * the first two of a list of phrases chosen by the seed, {@code medium} the first four, {@code high}
 * all (from five to eight); a detailed prompt (30 words or more) is polished rather than rewritten
 * (one, two, four). The same prompt, creativity and seed always give the same text.
 */
public final class BuiltinExpander {
    /** What a phrase says that a prompt may already have decided. */
    enum Claim { TIME, SEASON, WEATHER, MEDIUM, COLOUR, MOOD }

    /** A subject the prompt is about, guessed from its words. */
    enum Subject { PORTRAIT, LANDSCAPE, PLACE, ANIMAL, OBJECT, GENERAL }

    record Phrase(String text, Set<Claim> claims) {
        static Phrase of(String text, Claim... claims) {
            return new Phrase(text, claims.length == 0 ? Set.of() : EnumSet.copyOf(Arrays.asList(claims)));
        }
    }

    /** The words that show a prompt decided a claim already: then no phrase making that claim is added. */
    static final java.util.Map<Claim, Set<String>> DECIDED = java.util.Map.of(
            Claim.TIME, words("dawn sunrise morning noon midday daylight daytime day afternoon sunset dusk evening twilight night "
                    + "midnight nighttime moonlit moonlight golden-hour blue-hour sun moon stars starry"),
            Claim.SEASON, words("spring summer autumn fall winter snow snowy wintry autumnal summery christmas harvest"),
            Claim.WEATHER, words("rain rainy storm stormy fog foggy mist misty snow snowy cloudy clouds overcast sunny clear haze hazy "
                    + "thunder lightning wind windy drizzle blizzard"),
            Claim.MEDIUM, words("photo photograph photography photorealistic painting painted oil watercolor watercolour ink pencil "
                    + "sketch drawing drawn illustration gouache charcoal pastel acrylic render rendered 3d cgi pixel anime manga "
                    + "cartoon comic lithograph etching woodcut engraving linocut mosaic collage sculpture vector lens film polaroid"),
            Claim.COLOUR, words("red orange yellow green blue purple violet pink brown black white grey gray gold golden silver "
                    + "teal cyan magenta turquoise crimson scarlet beige monochrome colorful colourful pastel neon sepia palette"),
            Claim.MOOD, words("happy sad joyful cheerful gloomy melancholic melancholy scary creepy eerie spooky calm peaceful serene "
                    + "angry lonely romantic mysterious ominous whimsical playful tense somber sombre dreamy nostalgic cozy cosy"));

    private static final java.util.Map<Subject, Set<String>> SUBJECTS = java.util.Map.of(
            Subject.PORTRAIT, words("portrait face woman women man men girl boy person people child children kid selfie headshot "
                    + "lady gentleman king queen warrior knight astronaut wizard witch dancer musician farmer soldier grandmother "
                    + "grandfather bride sailor chef"),
            Subject.LANDSCAPE, words("landscape mountain mountains valley forest woods sea ocean beach coast lake river desert field "
                    + "fields meadow sky island hills canyon waterfall glacier volcano jungle prairie horizon cliff cliffs shore fjord"),
            Subject.PLACE, words("city town village street building house castle tower interior room cathedral church bridge "
                    + "skyline temple palace kitchen library cafe market alley station lighthouse igloo harbour harbor shop"),
            Subject.ANIMAL, words("cat dog fox bird horse wolf owl bear deer lion tiger rabbit whale fish dragon animal elephant "
                    + "butterfly eagle penguin otter frog kitten puppy hare squirrel"),
            Subject.OBJECT, words("cup bottle fruit flower flowers vase product bowl teapot book chair lamp car bicycle shoe watch "
                    + "apple cake food jar mug plant still-life"));

    /** The kinds of phrase, in the order they are appended; each gives at most one phrase. */
    private static final List<java.util.Map<Subject, List<Phrase>>> GROUPS = List.of(
            // lighting: every subject has choices that say no time of day
            java.util.Map.of(
                    Subject.PORTRAIT, List.of(Phrase.of("soft window light on the face"), Phrase.of("gentle Rembrandt lighting"),
                            Phrase.of("warm golden-hour glow on the skin", Claim.TIME, Claim.COLOUR), Phrase.of("a subtle rim light")),
                    Subject.LANDSCAPE, List.of(Phrase.of("golden-hour sunlight across the scene", Claim.TIME, Claim.COLOUR),
                            Phrase.of("low raking light"), Phrase.of("light breaking through the clouds", Claim.WEATHER),
                            Phrase.of("cool blue-hour light", Claim.TIME, Claim.COLOUR), Phrase.of("luminous ambient light")),
                    Subject.PLACE, List.of(Phrase.of("warm interior glow"), Phrase.of("long shadows across the facades", Claim.TIME),
                            Phrase.of("warm light in the windows"), Phrase.of("soft even light")),
                    Subject.ANIMAL, List.of(Phrase.of("soft natural light"), Phrase.of("backlit edges glowing softly"),
                            Phrase.of("dappled light through leaves")),
                    Subject.OBJECT, List.of(Phrase.of("soft studio lighting"), Phrase.of("a single soft key light"),
                            Phrase.of("gentle reflections on the surfaces")),
                    Subject.GENERAL, List.of(Phrase.of("soft natural light"), Phrase.of("dramatic contrast of light and shadow"),
                            Phrase.of("luminous ambient light"))),
            // composition
            java.util.Map.of(
                    Subject.PORTRAIT, List.of(Phrase.of("head-and-shoulders framing"), Phrase.of("eye-level view"),
                            Phrase.of("shallow depth of field with a softly blurred background")),
                    Subject.LANDSCAPE, List.of(Phrase.of("wide panoramic composition"), Phrase.of("a strong foreground leading the eye"),
                            Phrase.of("layered depth from foreground to horizon")),
                    Subject.PLACE, List.of(Phrase.of("strong leading lines"), Phrase.of("symmetrical framing"),
                            Phrase.of("a wide view that shows the scale of the place")),
                    Subject.ANIMAL, List.of(Phrase.of("eye-level close-up"), Phrase.of("framed in its habitat"),
                            Phrase.of("a shallow depth of field")),
                    Subject.OBJECT, List.of(Phrase.of("a clean uncluttered background"), Phrase.of("a carefully balanced arrangement"),
                            Phrase.of("close framing that shows the textures")),
                    Subject.GENERAL, List.of(Phrase.of("rule-of-thirds composition"), Phrase.of("balanced composition"),
                            Phrase.of("a clear focal point"))),
            // detail
            java.util.Map.of(
                    Subject.PORTRAIT, List.of(Phrase.of("finely detailed skin texture"), Phrase.of("expressive eyes"),
                            Phrase.of("a natural, relaxed pose")),
                    Subject.LANDSCAPE, List.of(Phrase.of("rich detail in the terrain"), Phrase.of("crisp distant details"),
                            Phrase.of("textured rocks and vegetation")),
                    Subject.PLACE, List.of(Phrase.of("intricate architectural detail"), Phrase.of("weathered materials"),
                            Phrase.of("precise geometry")),
                    Subject.ANIMAL, List.of(Phrase.of("finely detailed texture"), Phrase.of("a lifelike expression"),
                            Phrase.of("a natural posture")),
                    Subject.OBJECT, List.of(Phrase.of("tactile material detail"), Phrase.of("subtle surface imperfections"),
                            Phrase.of("precise edges")),
                    Subject.GENERAL, List.of(Phrase.of("rich fine detail"), Phrase.of("clear readable shapes"),
                            Phrase.of("carefully observed textures"))),
            // palette
            java.util.Map.of(Subject.GENERAL, List.of(Phrase.of("a harmonious muted palette", Claim.COLOUR),
                    Phrase.of("a warm earthy palette", Claim.COLOUR), Phrase.of("a cool restrained palette", Claim.COLOUR),
                    Phrase.of("gentle complementary colours", Claim.COLOUR), Phrase.of("a limited palette with one accent colour", Claim.COLOUR))),
            // mood
            java.util.Map.of(Subject.GENERAL, List.of(Phrase.of("a quiet, contemplative atmosphere", Claim.MOOD),
                    Phrase.of("a sense of wonder", Claim.MOOD), Phrase.of("gentle nostalgia", Claim.MOOD),
                    Phrase.of("vibrant energy", Claim.MOOD), Phrase.of("a hint of mystery", Claim.MOOD))),
            // atmosphere, weather and season
            java.util.Map.of(
                    Subject.LANDSCAPE, List.of(Phrase.of("light morning mist", Claim.TIME, Claim.WEATHER),
                            Phrase.of("autumn colours in the trees", Claim.SEASON, Claim.COLOUR),
                            Phrase.of("fresh spring greenery", Claim.SEASON, Claim.COLOUR), Phrase.of("a clear crisp sky", Claim.WEATHER)),
                    Subject.PLACE, List.of(Phrase.of("a light haze in the air", Claim.WEATHER), Phrase.of("a lived-in feel")),
                    Subject.GENERAL, List.of(Phrase.of("a soft haze in the distance", Claim.WEATHER), Phrase.of("a gentle sense of depth"))),
            // finish: a medium, only when the prompt names none
            java.util.Map.of(Subject.GENERAL, List.of(Phrase.of("painterly brushwork", Claim.MEDIUM),
                    Phrase.of("fine ink linework", Claim.MEDIUM), Phrase.of("delicate watercolour washes", Claim.MEDIUM),
                    Phrase.of("photographic realism", Claim.MEDIUM), Phrase.of("a cinematic film still", Claim.MEDIUM))),
            // creative liberty
            java.util.Map.of(Subject.GENERAL, List.of(Phrase.of("an unexpected but fitting detail in the background"),
                    Phrase.of("a subtle storytelling element"), Phrase.of("an imaginative touch in the surroundings"),
                    Phrase.of("a memorable, carefully designed silhouette"))));

    private static final int DETAILED_WORDS = 30;

    private BuiltinExpander() {}

    public static String expand(String prompt, Creativity level, long seed) {
        if (level == Creativity.RAW) return prompt;
        List<String> words = tokens(prompt);
        boolean detailed = words.size() >= DETAILED_WORDS;
        List<String> phrases = phrases(prompt, words, seed);
        int count = switch (level) {
            case RAW -> 0;
            case LOW -> detailed ? 1 : 2;
            case MEDIUM -> detailed ? 2 : 4;
            case HIGH -> detailed ? 4 : phrases.size();
        };
        String base = prompt.strip().replaceAll("[.,;:!]+$", "");
        return base + ", " + String.join(", ", phrases.subList(0, Math.min(count, phrases.size())));
    }

    /** One phrase of each kind that fits the prompt, in order; the levels take the first ones. */
    private static List<String> phrases(String prompt, List<String> words, long seed) {
        Set<String> present = new HashSet<>(words);
        words.forEach(w -> present.add(singular(w)));
        Set<Claim> decided = EnumSet.noneOf(Claim.class);
        DECIDED.forEach((claim, signs) -> {
            if (signs.stream().anyMatch(present::contains)) decided.add(claim);
        });
        Subject subject = subject(words);
        SplittableRandom random = new SplittableRandom(seed ^ ((long) prompt.hashCode() << 32));
        List<String> out = new ArrayList<>();
        for (var group : GROUPS) {
            List<Phrase> candidates = new ArrayList<>();
            for (Subject s : List.of(subject, Subject.GENERAL)) {
                for (Phrase p : group.getOrDefault(s, List.of())) {
                    if (p.claims().stream().noneMatch(decided::contains) && !repeats(p.text(), present)) candidates.add(p);
                }
                if (!candidates.isEmpty()) break; // the subject's own phrases first; the general ones when it has none left
            }
            int pick = random.nextInt(1 << 16); // drawn even when unused, so that each group's choice depends on the seed alone
            if (!candidates.isEmpty()) out.add(candidates.get(pick % candidates.size()).text());
        }
        return out;
    }

    /** The subject the prompt's words point to most, or GENERAL. */
    static Subject subject(List<String> words) {
        Subject best = Subject.GENERAL;
        long most = 0;
        for (Subject s : List.of(Subject.PORTRAIT, Subject.ANIMAL, Subject.OBJECT, Subject.PLACE, Subject.LANDSCAPE)) {
            long n = words.stream().filter(w -> SUBJECTS.get(s).contains(w) || SUBJECTS.get(s).contains(singular(w))).count();
            if (n > most) {
                most = n;
                best = s;
            }
        }
        return best;
    }

    /** Whether a phrase would say again a word of five letters or more that the prompt has. */
    private static boolean repeats(String phrase, Set<String> present) {
        return tokens(phrase).stream().anyMatch(w -> w.length() >= 5 && (present.contains(w) || present.contains(singular(w))));
    }

    /** The prompt's words, lower case; hyphenated words kept whole ("golden-hour"). */
    static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}-]+")) {
            String t = w.replaceAll("^-+|-+$", "");
            if (!t.isEmpty()) out.add(t);
            if (t.contains("-")) out.addAll(Arrays.asList(t.split("-+")));
        }
        return out;
    }

    static String singular(String w) {
        if (w.length() > 4 && w.endsWith("ies")) return w.substring(0, w.length() - 3) + "y";
        if (w.length() > 3 && w.endsWith("s") && !w.endsWith("ss")) return w.substring(0, w.length() - 1);
        return w;
    }

    private static Set<String> words(String spaceSeparated) {
        return Set.of(spaceSeparated.split(" "));
    }
}
