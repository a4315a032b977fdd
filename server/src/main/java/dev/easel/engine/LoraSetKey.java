package dev.easel.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The key of a LoRA set: the LoRA styles by id with their strengths, sorted, then the slider values.
 * A job stores it at submit; a GPU server with global LoRAs remembers the key of the set it merged,
 * so that the queue can hand it the jobs that need no switch.
 */
public final class LoraSetKey {
    private LoraSetKey() {}

    /** @param loras (style id, strength) of the styles that are LoRAs */
    public static String of(List<Map.Entry<String, Double>> loras, int intensity, int complexity) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Double> l : loras) parts.add(l.getKey() + "*" + l.getValue());
        Collections.sort(parts);
        if (intensity != 0) parts.add("intensity*" + intensity);
        if (complexity != 0) parts.add("complexity*" + complexity);
        return String.join(",", parts);
    }
}
