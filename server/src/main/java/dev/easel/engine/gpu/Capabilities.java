package dev.easel.engine.gpu;

/**
 * What a kind of inference server can do. The pool and the lifecycle decide by these alone, so that
 * nothing outside a driver knows which server it talks to.
 *
 * @param lorasPerRequest   LoRAs travel with each request (else they are global: set before, kept after)
 * @param maxLoras          how many LoRAs one image may use
 * @param negativeStrengths whether a LoRA may have a negative strength
 * @param progress          whether the server reports steps (else easel estimates them from its time per step)
 * @param previews          whether the server sends preview images while it samples
 * @param cancel            whether a running request can be stopped (else it runs to its end and its result is dropped)
 * @param idempotentSubmit  whether a request may be sent again under the same id without running twice
 */
public record Capabilities(boolean lorasPerRequest, int maxLoras, boolean negativeStrengths, boolean progress,
                           boolean previews, boolean cancel, boolean idempotentSubmit) {}
