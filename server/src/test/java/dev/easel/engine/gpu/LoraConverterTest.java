package dev.easel.engine.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.easel.json.Json;
import dev.easel.styles.SafetensorsWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The three namings of a Krea 2 LoRA, rewritten to the diffusers keys SGLang loads, or refused with the reason. */
class LoraConverterTest {
    record Out(JsonNode header, byte[] data, double factor) {
        List<String> names() {
            List<String> n = new ArrayList<>();
            header.fieldNames().forEachRemaining(n::add);
            return n;
        }

        /** The bytes of one tensor in the converted file. */
        byte[] tensor(String name) {
            JsonNode o = header.get(name).get("data_offsets");
            return Arrays.copyOfRange(data, o.get(0).asInt(), o.get(1).asInt());
        }
    }

    static Out convert(byte[] file) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LoraConverter.Converted c = LoraConverter.convert(new ByteArrayInputStream(file), out);
        byte[] b = out.toByteArray();
        int n = (int) ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode header = Json.MAPPER.readTree(new String(b, 8, n, StandardCharsets.UTF_8));
        return new Out(header, Arrays.copyOfRange(b, 8 + n, b.length), c.strengthFactor());
    }

    /** The bytes of one tensor in a source file. */
    static byte[] tensor(byte[] file, String name) throws Exception {
        int n = (int) ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode o = Json.MAPPER.readTree(new String(file, 8, n, StandardCharsets.UTF_8)).get(name).get("data_offsets");
        return Arrays.copyOfRange(file, 8 + n + o.get(0).asInt(), 8 + n + o.get(1).asInt());
    }

    @Test
    void diffusersNamesAreKeptAsTheyAre() throws Exception {
        byte[] file = new SafetensorsWriter().peftLayer("transformer.transformer_blocks.3.attn.to_k", 4, 16, 16).bytes();
        Out out = convert(file);
        assertThat(out.names()).containsExactly("transformer.transformer_blocks.3.attn.to_k.lora_A.weight",
                "transformer.transformer_blocks.3.attn.to_k.lora_B.weight");
        assertThat(out.factor()).isEqualTo(1.0);
        assertThat(out.tensor("transformer.transformer_blocks.3.attn.to_k.lora_B.weight"))
                .isEqualTo(tensor(file, "transformer.transformer_blocks.3.attn.to_k.lora_B.weight"));
    }

    @Test
    void nativeNamesAreRenamedAndTheirAlphaFoldedIntoTheStrength() throws Exception {
        SafetensorsWriter w = new SafetensorsWriter();
        for (String m : List.of("wq", "wk", "wv", "wo")) {
            w.add("diffusion_model.blocks.5.attn." + m + ".lora_down.weight", "F16", 8, 16)
                    .add("diffusion_model.blocks.5.attn." + m + ".lora_up.weight", "F16", 16, 8)
                    .scalar("diffusion_model.blocks.5.attn." + m + ".alpha", 4f);
        }
        byte[] file = w.bytes();
        Out out = convert(file);
        assertThat(out.names()).containsExactlyInAnyOrder(
                "transformer.transformer_blocks.5.attn.to_q.lora_A.weight", "transformer.transformer_blocks.5.attn.to_q.lora_B.weight",
                "transformer.transformer_blocks.5.attn.to_k.lora_A.weight", "transformer.transformer_blocks.5.attn.to_k.lora_B.weight",
                "transformer.transformer_blocks.5.attn.to_v.lora_A.weight", "transformer.transformer_blocks.5.attn.to_v.lora_B.weight",
                "transformer.transformer_blocks.5.attn.to_out.0.lora_A.weight", "transformer.transformer_blocks.5.attn.to_out.0.lora_B.weight");
        assertThat(out.factor()).as("alpha 4 over rank 8").isEqualTo(0.5);
        assertThat(out.tensor("transformer.transformer_blocks.5.attn.to_out.0.lora_A.weight"))
                .isEqualTo(tensor(file, "diffusion_model.blocks.5.attn.wo.lora_down.weight"));
        assertThat(out.data()).as("the alphas are gone, the rest tiles the data").hasSize(4 * 2 * (8 * 16 * 2));
    }

    @Test
    void peftOverNativeNamesIsRenamed() throws Exception {
        byte[] file = new SafetensorsWriter().peftLayer("base_model.model.blocks.0.attn.wq", 4, 16, 16).bytes();
        Out out = convert(file);
        assertThat(out.names()).containsExactly("transformer.transformer_blocks.0.attn.to_q.lora_A.weight",
                "transformer.transformer_blocks.0.attn.to_q.lora_B.weight");
        assertThat(out.tensor("transformer.transformer_blocks.0.attn.to_q.lora_A.weight"))
                .isEqualTo(tensor(file, "base_model.model.blocks.0.attn.wq.lora_A.weight"));
    }

    @Test
    void whatCannotBeMappedForCertainIsRefusedWithItsName() throws Exception {
        byte[] mlp = new SafetensorsWriter().kohyaLayer("diffusion_model.blocks.0.mlp.w1", 4, 16, 16).bytes();
        assertThat(LoraConverter.problem(new ByteArrayInputStream(mlp))).startsWith("tensor diffusion_model.blocks.0.mlp.w1");
        byte[] kohya = new SafetensorsWriter().kohyaLayer("lora_unet_transformer_blocks_0_attn_to_q", 4, 16, 16).bytes();
        assertThat(LoraConverter.problem(new ByteArrayInputStream(kohya))).contains("lora_unet_transformer_blocks_0_attn_to_q");
        byte[] mixedAlphas = new SafetensorsWriter()
                .add("diffusion_model.blocks.0.attn.wq.lora_down.weight", "F16", 8, 16).add("diffusion_model.blocks.0.attn.wq.lora_up.weight", "F16", 16, 8)
                .scalar("diffusion_model.blocks.0.attn.wq.alpha", 8f)
                .add("diffusion_model.blocks.0.attn.wk.lora_down.weight", "F16", 8, 16).add("diffusion_model.blocks.0.attn.wk.lora_up.weight", "F16", 16, 8)
                .scalar("diffusion_model.blocks.0.attn.wk.alpha", 2f).bytes();
        assertThatThrownBy(() -> convert(mixedAlphas)).isInstanceOf(LoraConverter.Unconvertible.class).hasMessageContaining("alpha/rank differ");
        assertThat(LoraConverter.problem(new ByteArrayInputStream(new SafetensorsWriter()
                .peftLayer("transformer.transformer_blocks.1.attn.to_q", 4, 16, 16).bytes()))).isNull();
    }
}
