package dev.easel.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.easel.blobs.PublicUrls;
import dev.easel.json.Json;
import java.io.UncheckedIOException;

/**
 * The job object as clients see it, the same bytes everywhere: {@code GET /jobs/{id}}, lists, SSE
 * and the webhook body (API.md section 2).
 */
public final class JobJson {
    private final PublicUrls urls;

    public JobJson(PublicUrls urls) {
        this.urls = urls;
    }

    public ObjectNode of(JobView j) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("job_id", j.id());
        o.put("type", j.type());
        o.put("status", j.status().wire);
        o.put("created_at", Json.time(j.createdAt()));
        o.put("completed_at", Json.time(j.completedAt()));
        switch (j.status()) {
            case COMPLETED -> {
                ObjectNode r = o.putObject("result");
                r.putArray("urls").add(urls.png(j.resultKey()));
                r.put("seed", j.result().seed());
                r.put("prompt", j.result().prompt());
                if (j.result().expansion() != null) r.put("expansion", j.result().expansion().wire);
                r.put("width", j.result().width());
                r.put("height", j.result().height());
            }
            case FAILED -> {
                ObjectNode error = o.putObject("error");
                error.put("code", j.errorCode().wire);
                error.put("message", j.errorMessage());
                o.putObject("result").set("error", error.deepCopy());
            }
            case INTERMEDIATE_COMPLETE -> {
                if (j.previewKey() != null) o.putObject("result").putArray("urls").add(urls.png(j.previewKey()));
                else o.putNull("result");
            }
            default -> o.putNull("result");
        }
        if (!j.status().isTerminal() && j.progressStep() != null) {
            ObjectNode p = o.putObject("progress");
            p.put("step", j.progressStep());
            p.put("steps", j.progressSteps());
        }
        return o;
    }

    /**
     * (easel extension) The body of the request a job was made from, as the generate endpoint accepts
     * it, with the seed the job used: posting it again makes the same image on the same engine.
     */
    public static ObjectNode request(GenerateRequest r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("prompt", r.prompt());
        o.put("seed", r.seed());
        o.put("aspect_ratio", r.aspectRatio().wire);
        o.put("resolution", r.resolution());
        o.put("creativity", r.creativity().wire);
        o.put("intensity", r.intensity());
        o.put("complexity", r.complexity());
        var styles = o.putArray("styles");
        r.styles().forEach(s -> styles.addObject().put("id", s.id()).put("strength", s.strength()));
        var references = o.putArray("image_style_references");
        r.imageStyleReferences().forEach(s -> references.addObject().put("url", s.url()).put("strength", s.strength()));
        var moodboards = o.putArray("moodboards");
        r.moodboards().forEach(m -> moodboards.addObject().put("id", m.id()).put("strength", m.strength()));
        return o;
    }

    public String text(JobView j) {
        try {
            return Json.MAPPER.writeValueAsString(of(j));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
