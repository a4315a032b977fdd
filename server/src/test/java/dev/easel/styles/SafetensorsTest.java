package dev.easel.styles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The safetensors header check, on files written byte by byte by the test. */
class SafetensorsTest {
    private static Safetensors.LoraInfo inspect(byte[] file) throws Exception {
        return Safetensors.inspect(new ByteArrayInputStream(file), file.length);
    }

    @Test
    void readsAKohyaLora() throws Exception {
        byte[] file = new SafetensorsWriter().kohyaLayer("lora_unet_blocks_0_attn_to_q", 8, 64, 64)
                .kohyaLayer("lora_unet_blocks_0_attn_to_k", 8, 64, 32).bytes();
        assertThat(inspect(file)).isEqualTo(new Safetensors.LoraInfo("kohya", 8, 6, file.length));
    }

    @Test
    void readsAPeftLoraAndReportsTheLargestRank() throws Exception {
        byte[] file = new SafetensorsWriter().peftLayer("transformer.blocks.0.attn.to_q", 16, 64, 64)
                .peftLayer("transformer.blocks.0.attn.to_v", 4, 64, 64).bytes();
        assertThat(inspect(file)).isEqualTo(new Safetensors.LoraInfo("peft", 16, 4, file.length));
    }

    @Test
    void refusesASafetensorsFileThatIsNotALora() {
        byte[] file = new SafetensorsWriter().add("model.layers.0.mlp.weight", "F32", 4, 4).add("model.norm", "F32", 4).bytes();
        assertThatThrownBy(() -> inspect(file)).isInstanceOf(Safetensors.NotALora.class).hasMessage("not a LoRA: none of its 2 "
                + "tensors form a lora_down/lora_up or lora_A/lora_B pair (for example \"model.layers.0.mlp.weight\")");
    }

    @Test
    void refusesAnUnpairedFactor() {
        byte[] file = new SafetensorsWriter().add("a.lora_down.weight", "F16", 4, 8).bytes();
        assertThatThrownBy(() -> inspect(file)).hasMessage("tensor \"a.lora_down.weight\" has no matching \"a.lora_up.weight\"");
        byte[] up = new SafetensorsWriter().add("a.lora_B.weight", "F16", 8, 4).bytes();
        assertThatThrownBy(() -> inspect(up)).hasMessage("tensor \"a.lora_B.weight\" has no matching lora_A tensor");
        byte[] ranks = new SafetensorsWriter().add("a.lora_A.weight", "F16", 4, 8).add("a.lora_B.weight", "F16", 8, 2).bytes();
        assertThatThrownBy(() -> inspect(ranks)).hasMessageContaining("do not share a rank");
    }

    @Test
    void refusesTruncatedFiles() {
        byte[] file = new SafetensorsWriter().kohyaLayer("l", 4, 16, 16).bytes();
        assertThatThrownBy(() -> inspect(Arrays.copyOf(file, file.length - 10))).hasMessageContaining("but the data has");
        assertThatThrownBy(() -> inspect(Arrays.copyOf(file, 40))).hasMessageStartingWith("the header length says");
        assertThatThrownBy(() -> inspect(Arrays.copyOf(file, 5))).hasMessage("the file has 5 bytes: too short for a safetensors header");
    }

    @Test
    void refusesAHeaderThatLiesAboutOffsets() {
        SafetensorsWriter w = new SafetensorsWriter().kohyaLayer("l", 4, 16, 16);
        // lora_up claims the same bytes as lora_down
        assertThatThrownBy(() -> inspect(w.bytes(Map.of("l.lora_up.weight", new long[] {0, 128}))))
                .hasMessageContaining("overlaps the bytes of another tensor");
        assertThatThrownBy(() -> inspect(w.bytes(Map.of("l.alpha", new long[] {256, 1_000_000}))))
                .hasMessage("tensor \"l.alpha\" claims bytes 256..1000000 but the data has 260 bytes");
        assertThatThrownBy(() -> inspect(w.bytes(Map.of("l.alpha", new long[] {256, 258}))))
                .hasMessage("tensor \"l.alpha\" is F32 [] (4 bytes) but has 2 bytes of data");
    }

    @Test
    void refusesGarbage() {
        byte[] notJson = new byte[24];
        notJson[0] = 8;
        Arrays.fill(notJson, 8, 16, (byte) 'x');
        assertThatThrownBy(() -> inspect(notJson)).hasMessage("the header is not valid JSON");
        byte[] huge = new byte[16];
        Arrays.fill(huge, 0, 8, (byte) 0x7f);
        assertThatThrownBy(() -> inspect(huge)).hasMessageStartingWith("the header length says 9187201950435737471 bytes");
    }
}
