package dev.easel.engine;

/** An encoded PNG and its size. */
public record RenderedImage(byte[] png, int width, int height) {}
