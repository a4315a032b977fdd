package dev.easel.blobs;

import java.io.InputStream;
import java.util.function.Supplier;

/** An uploaded file: its size and a way to read it from the start (as often as needed). */
public record Upload(long size, Supplier<InputStream> open) {}
