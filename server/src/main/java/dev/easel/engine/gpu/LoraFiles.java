package dev.easel.engine.gpu;

import dev.easel.engine.RenderSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The directory both easel and the GPU hosts see ({@code --lora-dir} here, {@code --lora-dir-remote}
 * there): each uploaded style's LoRA is written into it once, converted to the names the server
 * loads, and handed to the server by its remote path. The slider LoRAs are the operator's files.
 */
public final class LoraFiles {
    private final Path localDir;
    private final String remoteDir;
    private final Map<String, String> sliders;

    /** @param sliders {@code intensity} and {@code complexity} LoRA paths as the GPU hosts see them (either may be absent) */
    public LoraFiles(Path localDir, String remoteDir, Map<String, String> sliders) {
        this.localDir = localDir;
        this.remoteDir = remoteDir.endsWith("/") ? remoteDir : remoteDir + "/";
        this.sliders = Map.copyOf(sliders);
    }

    /** The sliders that have a LoRA file. */
    java.util.Set<String> sliderNames() {
        return sliders.keySet();
    }

    /** The style's LoRA as the server loads it: written (converted) on first use, then reused (a style's file never changes). */
    GpuDriver.ActiveLora materialize(String styleId, RenderSpec.Lora lora, double strength) {
        String name = styleId.replaceAll("[^A-Za-z0-9-]", "_") + ".safetensors";
        Path file = localDir.resolve(name), factorFile = localDir.resolve(name + ".strength-factor");
        try {
            if (!Files.exists(file) || !Files.exists(factorFile)) {
                Files.createDirectories(localDir);
                Path tmp = Files.createTempFile(localDir, name, ".tmp");
                LoraConverter.Converted converted;
                try (InputStream in = lora.weights().get(); OutputStream out = Files.newOutputStream(tmp)) {
                    converted = LoraConverter.convert(in, out);
                } catch (LoraConverter.Unconvertible e) {
                    Files.deleteIfExists(tmp);
                    throw new IllegalArgumentException("style " + styleId + ": " + e.getMessage());
                }
                Files.writeString(factorFile, Double.toString(converted.strengthFactor()));
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            double factor = Double.parseDouble(Files.readString(factorFile).strip());
            return new GpuDriver.ActiveLora(styleId, remoteDir + name, strength * factor);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the LoRA of style " + styleId + " to " + localDir, e);
        }
    }

    /** The slider LoRAs at value/100, for the sliders the operator gave files for and the request set. */
    List<GpuDriver.ActiveLora> sliders(int intensity, int complexity) {
        List<GpuDriver.ActiveLora> out = new ArrayList<>();
        if (intensity != 0 && sliders.containsKey("intensity")) out.add(new GpuDriver.ActiveLora("intensity", sliders.get("intensity"), intensity / 100.0));
        if (complexity != 0 && sliders.containsKey("complexity")) out.add(new GpuDriver.ActiveLora("complexity", sliders.get("complexity"), complexity / 100.0));
        return out;
    }

    /** Null when the style's file can be loaded by the server (after conversion), else why not. */
    public static String problem(InputStream weights) throws IOException {
        return LoraConverter.problem(weights);
    }
}
