package dev.easel.expand;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * An OpenAI-compatible chat completions endpoint (SGLang, vLLM, llama.cpp's server, Ollama, a hosted
 * provider): {@code POST <base URL>/chat/completions}. The operator configures it and it is trusted:
 * the guard for user-chosen URLs does not apply.
 */
public final class ChatModel {
    /**
     * Where the model is: an OpenAI-style base URL such as {@code http://llm:8000/v1}, the model's name,
     * an API key (null for none; sent as a bearer token, never logged), and how long one answer may take.
     */
    public record Settings(URI baseUrl, String model, String apiKey, Duration timeout) {
        @Override
        public String toString() {
            return "ChatModel.Settings[" + baseUrl + ", model " + model + (apiKey == null ? "" : ", with a key") + ", " + timeout + "]";
        }
    }

    /** The model gave no usable answer: a timeout, a refused connection, a non-2xx status, or a body without a message. */
    public static final class Failed extends Exception {
        Failed(String message) {
            super(message);
        }
    }

    private final Settings settings;
    private final HttpClient http;
    private final URI completions;

    public ChatModel(Settings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).build();
        String base = settings.baseUrl().toString();
        this.completions = URI.create(base.replaceAll("/+$", "") + "/chat/completions");
    }

    public Settings settings() {
        return settings;
    }

    /**
     * The text of the first choice's message for these messages ({@code [{role, content}]}).
     *
     * @param seed sent as OpenAI's {@code seed}: servers that honour it answer the same each time
     */
    public String complete(ArrayNode messages, double temperature, long seed, int maxTokens) throws Failed, InterruptedException {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", settings.model());
        body.set("messages", messages);
        body.put("temperature", temperature);
        body.put("seed", seed);
        body.put("max_tokens", maxTokens);
        body.put("stream", false);
        HttpRequest.Builder request = HttpRequest.newBuilder(completions).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (settings.apiKey() != null) request.header("Authorization", "Bearer " + settings.apiKey());
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new Failed("no answer within " + settings.timeout().toMillis() + " ms");
        } catch (IOException e) {
            throw new Failed("cannot reach " + completions + ": " + e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new Failed("status " + response.statusCode() + " from " + completions);
        }
        try {
            JsonNode content = Json.MAPPER.readTree(response.body()).at("/choices/0/message/content");
            if (!content.isTextual()) throw new Failed("the answer has no choices[0].message.content");
            return content.asText();
        } catch (IOException e) {
            throw new Failed("the answer is not JSON");
        }
    }
}
