package dev.easel.expand;

/** The prompt a job renders, and which expander wrote it ({@code result.expansion}). */
public record Expansion(String prompt, Kind kind) {
    public enum Kind {
        /** The operator's language model wrote it, and its answer passed the checks. */
        LLM("llm"),
        /** The built-in expander wrote it: none is configured, or the model failed or gave an answer that failed the checks. */
        BUILTIN("builtin"),
        /** The prompt as written: creativity {@code raw}. */
        NONE("none");

        public final String wire;

        Kind(String wire) {
            this.wire = wire;
        }
    }
}
