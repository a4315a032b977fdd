package dev.easel.expand;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.easel.jobs.Creativity;
import dev.easel.json.Json;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prompt expansion for {@code creativity}: the operator's language model when one is configured,
 * else the {@link BuiltinExpander}. The model's answer is checked ({@link AnswerCheck}); a bad one is
 * asked for again once, saying what was wrong, and then replaced by the built-in expansion, as is
 * the answer to a call that fails or times out. A job never fails because of its expansion.
 * The model's good answers are kept in a bounded cache per (prompt, level, seed, endpoint, model), so
 * that retries and re-runs ask nothing.
 */
public final class PromptExpansion {
    private static final Logger log = LoggerFactory.getLogger(PromptExpansion.class);

    /**
     * Our system prompt: faithfulness first. The level's instruction follows it, and the user's
     * message is the prompt alone.
     */
    static final String SYSTEM_PROMPT = """
            You expand prompts for an image generation model. You receive a user's prompt and return one richer \
            version of it that the image model can follow.
            Faithfulness comes first:
            - Keep every subject, action, colour, count and spatial relation the user wrote, with the user's own words.
            - Add no new subjects: no extra people, animals or main objects.
            - If the user asks for a medium or a style (a photo, an oil painting, pixel art), keep it and write for it; \
            do not switch to another.
            - Text the user wants rendered in the image, in quotes, stays exactly as quoted, quotes included.
            - If the prompt is already detailed, polish it: keep its wording and add only what is missing.
            - Write in the language of the prompt.
            What you may add: lighting, composition, setting details, textures, palette and mood that fit the prompt \
            and contradict none of it.
            Answer with the expanded prompt only: one paragraph of plain text, no markup, no quotes around it, \
            no title, no preamble, no explanation.""";

    /** How much the model may add, by level; {@code raw} never calls it. */
    static String instruction(Creativity level) {
        return switch (level) {
            case LOW -> "Level low: fill only the obvious gaps (lighting, framing), in a few words. Stay very close to the prompt.";
            case MEDIUM -> "Level medium: add a reasonable interpretation: setting, lighting, composition and mood, in one or two sentences.";
            case HIGH -> "Level high: take real creative liberty with the setting, lighting, composition, palette and mood, in two to four "
                    + "sentences, while keeping everything the user wrote.";
            case RAW -> throw new IllegalArgumentException("raw is never expanded");
        };
    }

    static double temperature(Creativity level) {
        return switch (level) {
            case LOW -> 0.3;
            case MEDIUM -> 0.7;
            default -> 1.0;
        };
    }

    private record Key(String prompt, Creativity level, long seed, String endpoint, String model) {}

    private final Optional<ChatModel> model;
    private final int maxChars;
    private final BoundedCache<Key, String> cache;

    /**
     * @param model the operator's language model, if any
     * @param maxChars the longest expansion accepted from the model
     * @param cacheSize how many of the model's expansions are kept
     */
    public PromptExpansion(Optional<ChatModel> model, int maxChars, int cacheSize) {
        this.model = model;
        this.maxChars = maxChars;
        this.cache = new BoundedCache<>(cacheSize);
    }

    public Expansion expand(String prompt, Creativity level, long seed) throws InterruptedException {
        if (level == Creativity.RAW) return new Expansion(prompt, Expansion.Kind.NONE);
        if (model.isPresent()) {
            ChatModel m = model.get();
            Key key = new Key(prompt, level, seed, m.settings().baseUrl().toString(), m.settings().model());
            String cached = cache.get(key);
            if (cached != null) return new Expansion(cached, Expansion.Kind.LLM);
            Optional<String> answer = ask(m, prompt, level, seed);
            if (answer.isPresent()) {
                cache.put(key, answer.get());
                return new Expansion(answer.get(), Expansion.Kind.LLM);
            }
        }
        return new Expansion(BuiltinExpander.expand(prompt, level, seed), Expansion.Kind.BUILTIN);
    }

    /** The model's expansion, asked for twice at most; empty when it fails or gives no acceptable answer. */
    private Optional<String> ask(ChatModel m, String prompt, Creativity level, long seed) throws InterruptedException {
        ArrayNode messages = Json.MAPPER.createArrayNode();
        messages.addObject().put("role", "system").put("content", SYSTEM_PROMPT + "\n" + instruction(level));
        messages.addObject().put("role", "user").put("content", prompt);
        int maxTokens = Math.max(64, maxChars / 3);
        for (int attempt = 1; attempt <= 2; attempt++) {
            String answer;
            try {
                answer = AnswerCheck.clean(m.complete(messages, temperature(level), seed, maxTokens));
            } catch (ChatModel.Failed e) {
                log.warn("prompt expander failed, the built-in expander is used: {}", e.getMessage());
                return Optional.empty();
            }
            Optional<String> problem = AnswerCheck.problem(prompt, answer, maxChars);
            if (problem.isEmpty()) return Optional.of(answer);
            // the reason only: neither the prompt nor the answer goes to the log
            log.info("prompt expansion refused (attempt {}): {}", attempt, problem.get().replaceAll("\".*\"|words .*", "…"));
            messages.addObject().put("role", "assistant").put("content", answer);
            messages.addObject().put("role", "user").put("content", "That answer cannot be used: " + problem.get()
                    + ". Answer again with the expanded prompt only, following every rule.");
        }
        return Optional.empty();
    }
}
