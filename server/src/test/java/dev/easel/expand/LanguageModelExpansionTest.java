package dev.easel.expand;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.MutableClock;
import dev.easel.RemoteSite;
import dev.easel.TestServer;
import dev.easel.jobs.Creativity;
import dev.easel.json.Json;
import java.time.Instant;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Prompt expansion by a language model, against a local stand-in of an OpenAI-compatible chat
 * completions API (the request and answer shapes of OpenAI's /v1/chat/completions, which SGLang, vLLM,
 * llama.cpp's server and Ollama serve too), through real jobs on a real server.
 */
class LanguageModelExpansionTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T12:00:00Z"));
    private RemoteSite llm;
    private TestServer server;
    private String key;
    /** The answers the stand-in gives, in order; the last one repeats. */
    private final Deque<Function<RemoteSite.Received, RemoteSite.Reply>> answers = new java.util.concurrent.ConcurrentLinkedDeque<>();

    private final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log = new ch.qos.logback.core.read.ListAppender<>();

    private static ch.qos.logback.classic.Logger root() {
        return (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    @BeforeEach
    void start() {
        log.start();
        root().addAppender(log);
        llm = new RemoteSite();
        llm.reply = r -> (answers.size() > 1 ? answers.poll() : answers.peek()).apply(r);
        server = TestServer.start(1, 0, clock, "--expander-url", llm.url("/v1/"), "--expander-model", "qwen3-8b",
                "--expander-key", "sk-expander-secret", "--expander-timeout-ms", "500", "--expander-max-chars", "400");
        key = server.account("1", 4, 4);
    }

    @AfterEach
    void stop() {
        server.close();
        llm.close();
        root().detachAppender(log);
    }

    /** A 200 in the shape of OpenAI's chat completion object, whose first choice says {@code text}. */
    static RemoteSite.Reply says(String text) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("id", "chatcmpl-1").put("object", "chat.completion")
                .put("created", 1764590400).put("model", "qwen3-8b");
        ObjectNode choice = body.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
        choice.putObject("message").put("role", "assistant").put("content", text);
        body.putObject("usage").put("prompt_tokens", 200).put("completion_tokens", 40).put("total_tokens", 240);
        return RemoteSite.Reply.content("application/json", body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private JsonNode run(String prompt, String creativity, long seed) {
        String body = "{\"prompt\":" + Json.quote(prompt) + ",\"aspect_ratio\":\"1:1\",\"resolution\":\"1K\",\"creativity\":\""
                + creativity + "\",\"seed\":" + seed + "}";
        TestServer.Response r = server.generate(key, body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return server.awaitStatus(key, r.json().get("job_id").asText(), "completed").get("result");
    }

    private static JsonNode tree(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Every line easel logged during the test. */
    private String logged() {
        return log.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).reduce("", (a, b) -> a + "\n" + b);
    }

    private List<JsonNode> requests() {
        return llm.at("/v1/chat/completions").stream().map(r -> tree(r.bodyText())).toList();
    }

    @Test
    void theModelsAnswerIsTheJobsPromptAndTheRequestIsAnOpenAiChatCompletion() {
        String expanded = "a red fox in fresh snow at the edge of a pine forest, soft low winter light, shallow depth of field";
        answers.add(r -> says(expanded));
        JsonNode result = run("a red fox in fresh snow", "medium", 42);
        assertThat(result.get("prompt").asText()).isEqualTo(expanded);
        assertThat(result.get("expansion").asText()).isEqualTo("llm");

        RemoteSite.Received call = llm.at("/v1/chat/completions").get(0);
        assertThat(call.header("Authorization")).isEqualTo("Bearer sk-expander-secret");
        assertThat(call.header("Content-Type")).isEqualTo("application/json");
        JsonNode request = tree(call.bodyText());
        assertThat(request.get("model").asText()).isEqualTo("qwen3-8b");
        assertThat(request.get("seed").asLong()).isEqualTo(42);
        assertThat(request.get("temperature").asDouble()).isEqualTo(0.7);
        assertThat(request.get("max_tokens").asInt()).isPositive();
        JsonNode messages = request.get("messages");
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).get("role").asText()).isEqualTo("system");
        assertThat(messages.get(0).get("content").asText()).startsWith(PromptExpansion.SYSTEM_PROMPT)
                .contains("Keep every subject, action, colour, count and spatial relation", "Add no new subjects",
                        "stays exactly as quoted", "polish it", "one paragraph of plain text, no markup", "no preamble")
                .endsWith(PromptExpansion.instruction(Creativity.MEDIUM));
        assertThat(messages.get(1).get("role").asText()).isEqualTo("user");
        assertThat(messages.get(1).get("content").asText()).isEqualTo("a red fox in fresh snow");
        assertThat(logged()).doesNotContain("sk-expander-secret", "red fox");
    }

    @Test
    void eachLevelHasItsInstructionAndTemperatureAndRawNeverCallsTheModel() {
        answers.add(r -> says("a small boat on a calm lake, early light"));
        assertThat(run("a small boat on a calm lake", "low", 1).get("expansion").asText()).isEqualTo("llm");
        run("a small boat on a calm lake", "high", 1);
        List<JsonNode> sent = requests();
        assertThat(sent.get(0).get("temperature").asDouble()).isEqualTo(0.3);
        assertThat(sent.get(0).at("/messages/0/content").asText()).endsWith(PromptExpansion.instruction(Creativity.LOW));
        assertThat(sent.get(1).get("temperature").asDouble()).isEqualTo(1.0);
        assertThat(sent.get(1).at("/messages/0/content").asText()).endsWith(PromptExpansion.instruction(Creativity.HIGH));

        JsonNode raw = run("a small boat on a calm lake", "raw", 1);
        assertThat(raw.get("prompt").asText()).isEqualTo("a small boat on a calm lake");
        assertThat(raw.get("expansion").asText()).isEqualTo("none");
        assertThat(requests()).hasSize(2);
    }

    @Test
    void aBadAnswerIsAskedForAgainOnceSayingWhy() {
        answers.add(r -> says("Here is the expanded prompt: a lighthouse on a cliff in a storm, crashing waves"));
        answers.add(r -> says("a lighthouse on a cliff in a storm, crashing waves, dramatic clouds"));
        JsonNode result = run("a lighthouse on a cliff in a storm", "medium", 5);
        assertThat(result.get("prompt").asText()).isEqualTo("a lighthouse on a cliff in a storm, crashing waves, dramatic clouds");
        assertThat(result.get("expansion").asText()).isEqualTo("llm");
        List<JsonNode> sent = requests();
        assertThat(sent).hasSize(2);
        JsonNode retry = sent.get(1).get("messages");
        assertThat(retry).hasSize(4);
        assertThat(retry.get(2).get("role").asText()).isEqualTo("assistant");
        assertThat(retry.get(3).get("content").asText()).startsWith("That answer cannot be used: the answer starts with a preamble");
        assertThat(logged()).contains("prompt expansion refused (attempt 1)").doesNotContain("lighthouse");
    }

    @Test
    void twoBadAnswersGiveTheBuiltInExpansion() {
        answers.add(r -> says("a cat")); // lost "lighthouse", "cliff", "storm"
        JsonNode result = run("a lighthouse on a cliff in a storm", "high", 5);
        assertThat(result.get("expansion").asText()).isEqualTo("builtin");
        assertThat(result.get("prompt").asText()).isEqualTo(BuiltinExpander.expand("a lighthouse on a cliff in a storm", Creativity.HIGH, 5));
        assertThat(requests()).hasSize(2);
    }

    @Test
    void anErrorOrATimeoutGivesTheBuiltInExpansionAtOnce() throws Exception {
        answers.add(r -> RemoteSite.Reply.status(500));
        JsonNode failed = run("a quiet street", "low", 9);
        assertThat(failed.get("expansion").asText()).isEqualTo("builtin");
        assertThat(failed.get("prompt").asText()).isEqualTo(BuiltinExpander.expand("a quiet street", Creativity.LOW, 9));
        assertThat(requests()).as("an error is not retried").hasSize(1);

        CountDownLatch released = new CountDownLatch(1);
        answers.clear();
        answers.add(r -> {
            try {
                released.await(); // answers only after the test has seen the job complete: past any timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return says("too late");
        });
        JsonNode late = run("a quiet street", "low", 10);
        released.countDown();
        assertThat(late.get("expansion").asText()).isEqualTo("builtin");
        assertThat(late.get("prompt").asText()).isEqualTo(BuiltinExpander.expand("a quiet street", Creativity.LOW, 10));
    }

    @Test
    void anExpansionIsAskedForOncePerPromptLevelAndSeed() {
        answers.add(r -> says("a paper boat on a puddle, reflections of the sky"));
        JsonNode first = run("a paper boat on a puddle", "medium", 3);
        JsonNode again = run("a paper boat on a puddle", "medium", 3);
        assertThat(again.get("prompt").asText()).isEqualTo(first.get("prompt").asText());
        assertThat(again.get("expansion").asText()).isEqualTo("llm");
        assertThat(requests()).as("the re-run asked nothing").hasSize(1);
        run("a paper boat on a puddle", "medium", 4);
        run("a paper boat on a puddle", "high", 3);
        assertThat(requests()).as("another seed or level asks again").hasSize(3);
    }
}
