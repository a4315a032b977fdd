package dev.easel.billing;

/**
 * The K2 billing tiers of Krea 2 Medium. Styles, sliders and creativity do not change the price;
 * a moodboard wins over image style references.
 */
public enum PriceTier {
    TEXT_TO_IMAGE(30_000),
    STYLE_REFERENCES(35_000),
    MOODBOARDS(40_000);

    public final long micros;

    PriceTier(long micros) {
        this.micros = micros;
    }

    public static PriceTier of(int imageStyleReferences, int moodboards) {
        if (moodboards > 0) return MOODBOARDS;
        if (imageStyleReferences > 0) return STYLE_REFERENCES;
        return TEXT_TO_IMAGE;
    }
}
