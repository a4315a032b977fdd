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
    void everyProblemIsReportedAtOnce() {
        assertThatThrownBy(() -> Config.parse(List.of("--port", "70000", "--nope", "--workers"), Map.of()))
                .hasMessageContaining("--port must be a whole number from 0 to 65535 (got 70000)")
                .hasMessageContaining("unknown option --nope")
                .hasMessageContaining("--workers needs a value");
    }
}
