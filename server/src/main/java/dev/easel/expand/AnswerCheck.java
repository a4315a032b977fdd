package dev.easel.expand;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a language model's expansion must be before a job uses it: not empty, not too long, one
 * paragraph of plain text without markup or a preamble, in the prompt's language, keeping the
 * prompt's key words and its quoted text exactly.
 */
final class AnswerCheck {
    private static final Pattern PREAMBLE = Pattern.compile("^(here('s| is| are)|sure\\b|certainly|of course|okay\\b|ok\\b|absolutely|"
            + "i (can|will|would|have)|as an ai|(the )?(expanded|enhanced|improved|rewritten|new|final) (prompt|version|description)|"
            + "prompt\\s*:|expansion\\s*:|description\\s*:)", Pattern.CASE_INSENSITIVE);
    private static final Pattern MARKUP = Pattern.compile("```|\\*\\*|__|^#+\\s|^\\s*[-*•]\\s|^\\s*\\d+[.)]\\s|</?[a-zA-Z][^>]*>|\\[[^]]*]\\(",
            Pattern.MULTILINE);
    private static final Pattern QUOTED = Pattern.compile("\"([^\"]+)\"|“([^”]+)”|«([^»]+)»");
    /** Words too common to be a prompt's key words, by language; also how the language of a Latin-script text is told. */
    private static final Map<String, Set<String>> STOPWORDS = Map.of(
            "en", Set.of("the", "and", "with", "of", "in", "on", "a", "an", "at", "to", "from", "by", "for", "is", "its", "into", "under",
                    "over", "near", "while", "their", "his", "her", "some", "very", "this", "that", "are", "as", "or", "out", "up"),
            "fr", Set.of("le", "la", "les", "des", "une", "un", "et", "avec", "dans", "sous", "sur", "du", "de", "au", "aux", "pour", "est"),
            "de", Set.of("der", "die", "das", "und", "mit", "ein", "eine", "im", "auf", "dem", "den", "des", "unter", "ist", "von", "zu"),
            "es", Set.of("el", "los", "las", "una", "con", "en", "del", "y", "por", "para", "bajo", "es", "sobre", "al"),
            "it", Set.of("il", "lo", "gli", "una", "con", "nel", "nella", "della", "del", "e", "sotto", "per", "sul", "sulla"),
            "pt", Set.of("o", "os", "as", "uma", "um", "com", "em", "no", "na", "do", "da", "e", "sob", "para", "ao"));

    private AnswerCheck() {}

    /** The answer as a job would use it: trimmed, and unwrapped from one pair of enclosing quotes. */
    static String clean(String answer) {
        String a = answer.strip();
        if (a.length() >= 2 && (a.startsWith("\"") && a.endsWith("\"") || a.startsWith("“") && a.endsWith("”"))
                && a.chars().filter(c -> c == '"').count() <= 2) {
            a = a.substring(1, a.length() - 1).strip();
        }
        return a;
    }

    /** Why the (cleaned) answer must not be used, or empty when it may. */
    static Optional<String> problem(String prompt, String answer, int maxChars) {
        if (answer.isBlank()) return Optional.of("the answer is empty");
        if (answer.length() > maxChars) return Optional.of("the answer is " + answer.length() + " characters long, over the limit of " + maxChars);
        if (answer.contains("\n")) return Optional.of("the answer is not one paragraph");
        if (PREAMBLE.matcher(answer).find()) return Optional.of("the answer starts with a preamble instead of the prompt");
        if (MARKUP.matcher(answer).find()) return Optional.of("the answer has markup");
        String promptLanguage = language(prompt), answerLanguage = language(answer);
        if (promptLanguage != null && answerLanguage != null && !promptLanguage.equals(answerLanguage)) {
            return Optional.of("the answer is in another language (" + answerLanguage + ") than the prompt (" + promptLanguage + ")");
        }
        Matcher quoted = QUOTED.matcher(prompt);
        while (quoted.find()) {
            String text = quoted.group(1) != null ? quoted.group(1) : quoted.group(2) != null ? quoted.group(2) : quoted.group(3);
            if (!answer.contains(text)) return Optional.of("the answer lost the quoted text \"" + text + "\"");
        }
        List<String> missing = new ArrayList<>();
        String answerLower = answer.toLowerCase(Locale.ROOT);
        for (String word : keyWords(prompt)) {
            if (!answerLower.contains(stem(word))) missing.add(word);
        }
        if (!missing.isEmpty()) return Optional.of("the answer lost the prompt's words " + String.join(", ", missing));
        return Optional.empty();
    }

    /** The words a faithful expansion keeps: every word of the prompt but the most common ones. */
    static List<String> keyWords(String prompt) {
        List<String> out = new ArrayList<>();
        for (String w : prompt.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (w.isEmpty() || STOPWORDS.values().stream().anyMatch(s -> s.contains(w))) continue;
            if (w.length() < 3 && !w.chars().allMatch(Character::isDigit)) continue;
            if (!out.contains(w)) out.add(w);
        }
        return out;
    }

    /** Enough of a word to find it again in another form ("foxes" for "fox", "running" for "runs"): its first letters. */
    private static String stem(String word) {
        if (word.length() <= 4) return word;
        return word.substring(0, Math.max(4, word.length() - 3));
    }

    /**
     * The language of a text, roughly: its writing system, and for Latin script the language whose
     * common words it uses most (null when it cannot be told, as for a list of nouns).
     */
    static String language(String text) {
        int[] scripts = new int[8]; // latin, cyrillic, greek, arabic, hebrew, cjk, hangul, other
        text.codePoints().filter(Character::isLetter).forEach(c -> {
            Character.UnicodeScript s = Character.UnicodeScript.of(c);
            int i = switch (s) {
                case LATIN -> 0;
                case CYRILLIC -> 1;
                case GREEK -> 2;
                case ARABIC -> 3;
                case HEBREW -> 4;
                case HAN, HIRAGANA, KATAKANA -> 5;
                case HANGUL -> 6;
                default -> 7;
            };
            scripts[i]++;
        });
        int best = 0;
        for (int i = 1; i < scripts.length; i++) if (scripts[i] > scripts[best]) best = i;
        if (scripts[best] == 0) return null;
        if (best != 0) return List.of("latin", "cyrillic", "greek", "arabic", "hebrew", "cjk", "hangul", "other").get(best);
        String bestLanguage = null;
        int most = 1; // at least two common words to say anything
        for (var e : STOPWORDS.entrySet()) {
            int n = 0;
            for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}]+")) if (e.getValue().contains(w)) n++;
            if (n > most) {
                most = n;
                bestLanguage = e.getKey();
            }
        }
        return bestLanguage;
    }
}
