package dev.easel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.easel.net.AddressRange;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {
    @Test
    void flagsWinOverEnvironmentOverDefaults() {
        Config defaults = Config.parse(List.of(), Map.of());
        assertThat(defaults.port()).isEqualTo(8080);
        assertThat(defaults.allowPrivateTargets()).isEmpty();
        Config env = Config.parse(List.of(), Map.of("EASEL_PORT", "9000", "EASEL_WORKERS", "3"));
        assertThat(env.port()).isEqualTo(9000);
        Config flags = Config.parse(List.of("--port", "9100", "--workers=5"), Map.of("EASEL_PORT", "9000"));
        assertThat(flags.port()).isEqualTo(9100);
        assertThat(flags.workers()).isEqualTo(5);
    }

    @Test
    void privateTargetsAreNoneAllOrAListOfRanges() {
        assertThat(Config.parse(List.of("--allow-private-targets"), Map.of()).allowPrivateTargets()).isEqualTo(AddressRange.ALL);
        assertThat(Config.parse(List.of("--allow-private-targets=false"), Map.of()).allowPrivateTargets()).isEmpty();
        assertThat(Config.parse(List.of(), Map.of("EASEL_ALLOW_PRIVATE_TARGETS", "TRUE")).allowPrivateTargets()).isEqualTo(AddressRange.ALL);
        assertThat(Config.parse(List.of("--allow-private-targets=10.0.0.0/8,fd00::/8"), Map.of()).allowPrivateTargets())
                .containsExactly(AddressRange.parse("10.0.0.0/8"), AddressRange.parse("fd00::/8"));
        assertThatThrownBy(() -> Config.parse(List.of("--allow-private-targets=intranet"), Map.of()))
                .hasMessageContaining("--allow-private-targets must be true, false or a list of CIDR blocks");
    }

    @Test
    void blobsAreADirectoryOrABucketWithItsWayToHandOutUrls() {
        Config local = Config.parse(List.of(), Map.of());
        assertThat(local.blobs().s3()).isNull();
        assertThat(local.blobs().urls()).isEqualTo("easel");
        Config bucket = Config.parse(List.of("--blobs", "s3://easel-images/prod/cluster", "--s3-endpoint", "http://minio:9000",
                "--s3-path-style", "--blob-urls", "presigned", "--blob-url-expiry-s", "600"), Map.of("EASEL_S3_REGION", "eu-west-1"));
        assertThat(bucket.blobs().s3()).isEqualTo(new dev.easel.blobs.S3BlobStore.Location("easel-images", "prod/cluster/",
                java.net.URI.create("http://minio:9000"), "eu-west-1", true));
        assertThat(bucket.blobs().urls()).isEqualTo("presigned");
        assertThat(bucket.blobs().urlExpiry()).isEqualTo(java.time.Duration.ofMinutes(10));
        Config env = Config.parse(List.of(), Map.of("EASEL_BLOBS", "s3://b-1", "EASEL_BLOB_URLS", "https://cdn.example.com/i"));
        assertThat(env.blobs().s3().prefix()).isEmpty();
        assertThat(env.blobs().urls()).isEqualTo("https://cdn.example.com/i");

        assertThatThrownBy(() -> Config.parse(List.of("--s3-endpoint", "http://minio:9000", "--blob-urls", "presigned"), Map.of()))
                .hasMessageContaining("--s3-endpoint, --s3-region and --s3-path-style apply only to --blobs s3://bucket/prefix")
                .hasMessageContaining("--blob-urls presigned needs --blobs s3://bucket/prefix");
        assertThatThrownBy(() -> Config.parse(List.of("--blobs", "s3://Bad_Bucket", "--blob-urls", "cdn", "--blob-url-expiry-s", "700000",
                "--s3-endpoint", "minio:9000"), Map.of()))
                .hasMessageContaining("the bucket name must be 3 to 63 lowercase letters")
                .hasMessageContaining("--blob-urls must be easel, presigned or an http(s) base URL (got cdn)")
                .hasMessageContaining("--blob-url-expiry-s must be a whole number from 1 to 604800")
                .hasMessageContaining("--s3-endpoint must be an http(s) URL with a host (got minio:9000)");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        assertThatThrownBy(() -> Config.parse(List.of("--port", "70000", "--nope", "--workers"), Map.of()))
                .hasMessageContaining("--port must be a whole number from 0 to 65535 (got 70000)")
                .hasMessageContaining("unknown option --nope")
                .hasMessageContaining("--workers needs a value");
    }

    @Test
    void theGpuEngineTakesServersFromFlagsOrTheEnvironment() {
        Config c = Config.parse(List.of("--engine", "sglang", "--sglang-url", "http://gpu1:30000", "--sglang-url", "http://gpu2:30000#raw",
                "--slider-lora", "intensity=/loras/i.safetensors", "--gpu-affinity=false"), Map.of());
        assertThat(c.engine()).isEqualTo("sglang");
        assertThat(c.gpuServers()).extracting(s -> s.url().toString() + " " + s.recipe().name())
                .containsExactly("http://gpu1:30000 turbo", "http://gpu2:30000 raw");
        assertThat(c.sliderLoras()).containsEntry("intensity", "/loras/i.safetensors");
        assertThat(c.gpuAffinity()).isFalse();
        assertThat(c.loraDir().toString()).endsWith("data/loras");
        assertThat(c.loraDirRemote()).isEqualTo(c.loraDir().toAbsolutePath().normalize().toString());

        Config env = Config.parse(List.of(), Map.of("EASEL_ENGINE", "sglang", "EASEL_SGLANG_URLS", "http://a:1, http://b:2#turbo",
                "EASEL_LORA_DIR", "/srv/l", "EASEL_LORA_DIR_REMOTE", "/mnt/l"));
        assertThat(env.gpuServers()).hasSize(2);
        assertThat(env.loraDirRemote()).isEqualTo("/mnt/l");
        assertThat(env.gpuAffinity()).isTrue();

        assertThatThrownBy(() -> Config.parse(List.of("--engine", "sglang"), Map.of())).hasMessageContaining("needs at least one --sglang-url");

        Config comfy = Config.parse(List.of("--engine", "comfyui", "--comfyui-url", "http://gpu1:8188#raw", "--comfyui-unet", "k2.safetensors"),
                Map.of("EASEL_COMFYUI_VAE", "v.safetensors"));
        assertThat(comfy.gpuServers()).extracting(s -> s.url().toString() + " " + s.recipe().name()).containsExactly("http://gpu1:8188 raw");
        assertThat(comfy.comfyGraph()).isEqualTo(new dev.easel.engine.gpu.ComfyGraph.Builtin("k2.safetensors",
                dev.easel.engine.gpu.ComfyGraph.DEFAULT.clip(), "v.safetensors"));
        assertThatThrownBy(() -> Config.parse(List.of("--engine", "comfyui"), Map.of())).hasMessageContaining("needs at least one --comfyui-url");
        assertThatThrownBy(() -> Config.parse(List.of("--engine", "sglang", "--sglang-url", "http://a:1", "--comfyui-url", "http://b:2"), Map.of()))
                .hasMessageContaining("--comfyui-url is for --engine comfyui");
        assertThatThrownBy(() -> Config.parse(List.of("--engine", "comfy"), Map.of())).hasMessageContaining("--engine must be sketch, sglang or comfyui");
        assertThatThrownBy(() -> Config.parse(List.of("--engine", "sglang", "--sglang-url", "gpu1:30000#fast"), Map.of()))
                .hasMessageContaining("--sglang-url must be an http(s) URL");
        assertThatThrownBy(() -> Config.parse(List.of("--slider-lora", "movement=/x"), Map.of())).hasMessageContaining("intensity=PATH");
        assertThatThrownBy(() -> Config.parse(List.of("--content-filter-url", "ftp://x"), Map.of())).hasMessageContaining("--content-filter-url");
    }

    @Test
    void theDatabaseIsSqliteByDefaultOrAPostgresqlUrl() {
        assertThat(Config.parse(List.of(), Map.of()).db().isPostgresql()).isFalse();
        Config c = Config.parse(List.of("--db", "postgresql://easel:p%40ss%3Aword@db.example:6543/easel?sslmode=require"), Map.of());
        assertThat(c.db().jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6543/easel?sslmode=require");
        assertThat(c.db().user()).isEqualTo("easel");
        assertThat(c.db().password()).isEqualTo("p@ss:word");
        assertThat(c.db().toString()).as("the password never reaches a log line").doesNotContain("p@ss").doesNotContain("word");
        assertThat(c.dbNotify()).isTrue();
        assertThat(Config.parse(List.of("--db-notify=false"), Map.of("EASEL_DB", "postgres://u@h/d")).dbNotify()).isFalse();
        assertThatThrownBy(() -> Config.parse(List.of("--db", "mysql://h/d"), Map.of())).hasMessageContaining("--db must be empty (SQLite) or postgresql://");
        assertThatThrownBy(() -> Config.parse(List.of("--db", "postgresql://h"), Map.of())).hasMessageContaining("no host or database");
    }
}
