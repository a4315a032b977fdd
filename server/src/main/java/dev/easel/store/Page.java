package dev.easel.store;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One page of a list, newest first, and the cursor of the next page (null on the last). A cursor is
 * the (time, id) of the last item: rows with the same millisecond are never skipped nor repeated.
 */
public record Page<T>(List<T> items, String nextCursor) {
    private static final Pattern CURSOR = Pattern.compile("(\\d{1,19})_([0-9a-f-]{36}|[a-z]{1,32})"); // a row's UUID, or a built-in style's name

    /**
     * A page from up to {@code limit + 1} rows (the extra one only says that there is more).
     *
     * @param cursorOf the position of an item, for the next page's cursor
     */
    public static <T> Page<T> of(List<T> rows, int limit, java.util.function.Function<T, After> cursorOf) {
        if (rows.size() <= limit) return new Page<>(rows, null);
        List<T> items = rows.subList(0, limit);
        return new Page<>(items, cursorOf.apply(items.get(limit - 1)).encode());
    }

    /** Where a page starts: strictly after (older than) this time and id. */
    public record After(long millis, String id) {
        /** The first page: before every row. */
        public static final After START = new After(Long.MAX_VALUE, "");

        public String encode() {
            return millis + "_" + id;
        }

        /** Null when {@code cursor} is not one this server gave out. */
        public static After decode(String cursor) {
            Matcher m = CURSOR.matcher(cursor);
            if (!m.matches()) return null;
            try {
                return new After(Long.parseLong(m.group(1)), m.group(2));
            } catch (NumberFormatException e) {
                return null; // 19 digits past Long.MAX_VALUE: not one of ours
            }
        }
    }
}
