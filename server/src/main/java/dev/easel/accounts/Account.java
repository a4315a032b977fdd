package dev.easel.accounts;

/** A customer of this easel: its money (integer micros) and its limits. */
public record Account(String id, String name, long balanceMicros, int maxConcurrentJobs, int maxBacklog,
                      long lastJobCreatedAt) {}
