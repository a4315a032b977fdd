package dev.easel.store;

/**
 * What differs between the databases easel runs on; everything else in {@code store/} is one SQL for
 * both. Migrations live in one folder per dialect ({@code resources/db/sqlite}, {@code db/postgresql}).
 */
public sealed interface Dialect {
    /** The embedded default: one file, one writer at a time. */
    record Sqlite() implements Dialect {}

    /** The scale-out database: PostgreSQL 14 or newer, shared by every node. */
    record Postgresql() implements Dialect {}

    Dialect SQLITE = new Sqlite();
    Dialect POSTGRESQL = new Postgresql();

    /** The Flyway location of this dialect's migrations. */
    default String migrations() {
        return switch (this) {
            case Sqlite s -> "classpath:db/sqlite";
            case Postgresql p -> "classpath:db/postgresql";
        };
    }

    /**
     * What ends the subquery that picks the rows a claim takes: on PostgreSQL the rows are locked and
     * rows another node is claiming are skipped, so that concurrent claimers take different rows at
     * once; SQLite has one writer at a time and needs nothing.
     */
    default String skipLocked() {
        return switch (this) {
            case Sqlite s -> "";
            case Postgresql p -> " FOR UPDATE SKIP LOCKED";
        };
    }

    default String name() {
        return switch (this) {
            case Sqlite s -> "sqlite";
            case Postgresql p -> "postgresql";
        };
    }
}
