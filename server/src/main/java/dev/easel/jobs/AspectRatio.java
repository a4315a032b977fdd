package dev.easel.jobs;

import java.util.Arrays;
import java.util.Optional;

/** The aspect ratios of Krea 2 Medium and their pixel sizes at resolution 1K (multiples of 16, about 1 MP). */
public enum AspectRatio {
    SQUARE("1:1", 1024, 1024),
    R4_3("4:3", 1184, 896),
    R3_2("3:2", 1248, 832),
    R16_9("16:9", 1376, 768),
    R2_35_1("2.35:1", 1568, 672),
    R4_5("4:5", 928, 1152),
    R2_3("2:3", 832, 1248),
    R9_16("9:16", 768, 1376);

    public final String wire;
    public final int width;
    public final int height;

    AspectRatio(String wire, int width, int height) {
        this.wire = wire;
        this.width = width;
        this.height = height;
    }

    public static Optional<AspectRatio> fromWire(String s) {
        return Arrays.stream(values()).filter(v -> v.wire.equals(s)).findFirst();
    }
}
