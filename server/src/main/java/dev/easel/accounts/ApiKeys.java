package dev.easel.accounts;

import dev.easel.crypto.Tokens;
import java.nio.charset.StandardCharsets;

/**
 * API keys. A key carries 256 random bits, so a plain SHA-256 of it is enough to store (no slow
 * hash needed: there is nothing to brute-force); only the hash is kept.
 */
public final class ApiKeys {
    private ApiKeys() {}

    /** A new key, e.g. {@code easel_k3Jd...}: the prefix says what it is when it leaks into a paste. */
    public static String newKey() {
        return "easel_" + Tokens.random();
    }

    public static String hash(String key) {
        return Tokens.sha256Hex(key.getBytes(StandardCharsets.UTF_8));
    }
}
