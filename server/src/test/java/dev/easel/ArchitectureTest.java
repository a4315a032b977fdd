package dev.easel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers point one way: {@code http} → domain ({@code jobs}, {@code accounts}, the library,
 * {@code webhooks}, {@code engine}) → {@code store} and {@code blobs}, with the small shared kernels
 * ({@code json}, {@code errors}, {@code net}, {@code billing}) below them all. Read from the source
 * files' imports, so a dependency that runs the wrong way fails the build.
 */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java/dev/easel");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?dev\\.easel\\.([a-z]+)\\.", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile("\\bdev\\.easel\\.([a-z]+)\\.[A-Z]");

    /** package → the packages it must not use. The root package ({@code Easel}, {@code Main}) wires everything. */
    private static final Map<String, List<String>> FORBIDDEN = Map.ofEntries(
            Map.entry("http", List.of()),
            // a thin client of the public API: nothing of the server, only the one Jackson setup
            Map.entry("cli", List.of("http", "jobs", "accounts", "assets", "styles", "moodboards", "webhooks", "engine", "expand", "ops",
                    "store", "blobs", "errors", "net", "crypto", "billing")),
            Map.entry("jobs", List.of("http")),
            Map.entry("accounts", List.of("http", "jobs")),
            Map.entry("assets", List.of("http", "jobs")),
            Map.entry("styles", List.of("http", "jobs")),
            Map.entry("moodboards", List.of("http", "jobs")),
            Map.entry("webhooks", List.of("http")),
            Map.entry("engine", List.of("http", "store", "webhooks")),
            Map.entry("expand", List.of("http", "store")),
            Map.entry("ops", List.of("http")),
            Map.entry("store", List.of("http", "ops")),
            Map.entry("blobs", List.of("http", "jobs", "store", "webhooks", "accounts", "ops")),
            Map.entry("json", List.of("http", "jobs", "store", "blobs", "webhooks", "accounts", "assets", "styles", "moodboards", "engine", "ops")),
            Map.entry("errors", List.of("http", "jobs", "store", "blobs", "webhooks", "accounts", "assets", "styles", "moodboards", "engine", "ops", "json")),
            Map.entry("net", List.of("http", "jobs", "store", "blobs", "webhooks", "accounts", "assets", "styles", "moodboards", "engine", "ops")),
            Map.entry("crypto", List.of("http", "jobs", "store", "blobs", "webhooks", "accounts", "assets", "styles", "moodboards", "engine", "ops", "json", "net", "billing")),
            Map.entry("billing", List.of("http", "jobs", "store", "blobs", "webhooks", "accounts", "assets", "styles", "moodboards", "engine", "ops")));

    @Test
    void layersPointOneWay() throws IOException {
        List<String> wrong = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> all = Files.walk(MAIN)) {
            files = all.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(files).as("the sources are where this test looks").hasSizeGreaterThan(50);
        for (Path file : files) {
            Path rel = MAIN.relativize(file);
            if (rel.getNameCount() < 2) continue; // the root package: the wiring
            String pkg = rel.getName(0).toString();
            List<String> forbidden = FORBIDDEN.get(pkg);
            assertThat(forbidden).as("every package has a rule; add one for " + pkg).isNotNull();
            String source = Files.readString(file);
            for (Pattern p : List.of(IMPORT, QUALIFIED)) {
                Matcher m = p.matcher(source);
                while (m.find()) {
                    if (forbidden.contains(m.group(1))) wrong.add(rel + " uses dev.easel." + m.group(1));
                }
            }
        }
        assertThat(wrong).as("dependencies that run the wrong way").isEmpty();
    }

    @Test
    void theRuleItselfCatchesAWrongImport() {
        Matcher m = IMPORT.matcher("package dev.easel.jobs;\nimport dev.easel.http.Views;\n");
        assertThat(m.find()).isTrue();
        assertThat(FORBIDDEN.get("jobs")).contains(m.group(1));
    }
}
