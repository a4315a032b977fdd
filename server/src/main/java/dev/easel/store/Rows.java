package dev.easel.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/** Column conversions shared by the stores: times are epoch milliseconds, NULL stays null. */
final class Rows {
    private Rows() {}

    // getObject, not getLong and wasNull: one call instead of two, each a native call on SQLite (read for every row)
    static Instant instant(ResultSet r, int col) throws SQLException {
        Object v = r.getObject(col);
        return v == null ? null : Instant.ofEpochMilli(((Number) v).longValue());
    }

    static Integer integer(ResultSet r, int col) throws SQLException {
        Object v = r.getObject(col);
        return v == null ? null : ((Number) v).intValue();
    }

    static Long ms(Instant i) {
        return i == null ? null : i.toEpochMilli();
    }
}
