package dev.easel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.easel.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The served OpenAPI document ({@code GET /openapi.json}) as a contract: whether a body is a valid
 * generate request, and whether a response is one the document declares (its status, and its body
 * against the declared schema). {@link ApiClient} checks every response it receives here, so the
 * whole HTTP suite holds the document to what the server does.
 */
public final class OpenApiContract {
    private static final Map<String, OpenApiContract> BY_BASE = new ConcurrentHashMap<>();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder()
            .losslessNarrowing(true) // JSON Schema 2020-12: 12.0 is an integer
            .build();
    public static final String GENERATE_BODY = "/paths/~1generate~1image~1krea~1krea-2~1medium/post/requestBody/content/application~1json/schema";

    private final JsonNode doc;
    private final Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();

    private OpenApiContract(JsonNode doc) {
        this.doc = doc;
    }

    /** The document the server at {@code base} serves, fetched once. */
    public static OpenApiContract of(String base) {
        return BY_BASE.computeIfAbsent(base, b -> {
            try {
                HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(b + "/openapi.json")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                // a worker process serves no API and no document: there is nothing to hold it to
                return new OpenApiContract(r.statusCode() == 200 ? Json.MAPPER.readTree(r.body()) : null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    public JsonNode document() {
        return doc;
    }

    /** The problems the schema at {@code pointer} (a JSON pointer into the document) finds in {@code value}; empty when valid. */
    public Set<ValidationMessage> validate(String pointer, JsonNode value) {
        return schemas.computeIfAbsent(pointer, p -> {
            ObjectNode root = doc.deepCopy();
            root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
            root.put("$ref", "#" + p); // the whole document is the schema resource, so every $ref in it resolves
            return FACTORY.getSchema(root, CONFIG);
        }).validate(value);
    }

    /**
     * Checks a response against the document: a path and method it declares must declare the
     * status, and a JSON body must match the schema. A path the document does not have (a 404 of an
     * unknown path) or a method it does not declare for the path (405, OPTIONS) has nothing to check
     * against, and must be such an answer.
     */
    public void check(String method, String path, int status, Optional<String> contentType, byte[] body) {
        if (doc == null) return;
        Optional<String> template = template(path);
        String op = method.equals("HEAD") ? "get" : method.toLowerCase(java.util.Locale.ROOT);
        if (template.isEmpty() || !doc.get("paths").get(template.get()).has(op)) {
            if (status != 404 && status != 405 && status != 204 && status != 400) {
                throw new AssertionError(method + " " + path + " answered " + status + " but the document has no such operation");
            }
            return;
        }
        String at = "/paths/" + template.get().replace("~", "~0").replace("/", "~1") + "/" + op + "/responses/" + status;
        JsonNode response = doc.at(at);
        if (response.isMissingNode()) {
            throw new AssertionError(method + " " + path + " answered " + status + ", which the document does not declare for "
                    + op.toUpperCase(java.util.Locale.ROOT) + " " + template.get());
        }
        if (response.has("$ref")) {
            at = response.get("$ref").asText().substring(1);
            response = doc.at(at);
        }
        if (method.equals("HEAD") || body.length == 0) return;
        String type = contentType.map(t -> t.split(";")[0].strip()).orElse("");
        JsonNode content = response.get("content");
        if (content == null) return;
        if (!content.has(type)) {
            throw new AssertionError(method + " " + path + " answered " + status + " with " + type + "; the document declares "
                    + fieldNames(content));
        }
        if (!type.equals("application/json")) return;
        JsonNode value;
        try {
            value = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " answered " + status + " with a body that is not JSON");
        }
        Set<ValidationMessage> problems = validate(at + "/content/application~1json/schema", value);
        if (!problems.isEmpty()) {
            throw new AssertionError(method + " " + path + " answered " + status + " with a body the document does not allow: "
                    + problems + "\n" + new String(body, java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private Optional<String> template(String path) {
        for (Iterator<String> it = doc.get("paths").fieldNames(); it.hasNext(); ) {
            String t = it.next();
            if (Pattern.compile(Pattern.quote(t).replaceAll("\\{[a-z]+}", "\\\\E[^/]+\\\\Q")).matcher(path).matches()) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    private static String fieldNames(JsonNode n) {
        StringBuilder s = new StringBuilder();
        n.fieldNames().forEachRemaining(f -> s.append(s.isEmpty() ? "" : ", ").append(f));
        return s.toString();
    }
}
