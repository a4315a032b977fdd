package dev.easel.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/** Column conversions shared by the stores: times are epoch milliseconds, NULL stays null. */
final class Rows {
    private Rows() {}

    static Instant instant(ResultSet r, int col) throws SQLException {
        long v = r.getLong(col);
        return r.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    static Integer integer(ResultSet r, int col) throws SQLException {
        int v = r.getInt(col);
        return r.wasNull() ? null : v;
    }

    static Long ms(Instant i) {
        return i == null ? null : i.toEpochMilli();
    }
}
