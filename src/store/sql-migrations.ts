/**
 * The schema of both SQL backends, written once as an append-only list:
 * version N is applied once, in a transaction with its row in
 * `schema_version`. Never edit a released migration; add the next one.
 *
 * The dialects differ in a few column types only, named in `ColumnTypes`.
 * Each backend's rendering is the same SQL its own list held before the two
 * were merged (for SQLite byte for byte, as sqlite_master keeps it), so a
 * database made by an older bootfleet opens and migrates as before.
 */

export type SqlDialect = "sqlite" | "postgres";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The column types and table options that differ between the dialects. */
interface ColumnTypes {
  /** Milliseconds since the epoch: beyond 32 bits (SQLite's INTEGER is 64-bit). */
  readonly epochMs: string;
  /**
   * A primary key that is never reused, so a follower resuming with afterId
   * neither misses nor repeats rows after deletions (SQLite's AUTOINCREMENT,
   * PostgreSQL's identity column).
   */
  readonly serialId: string;
  /** Event details: JSON text in SQLite, jsonb in PostgreSQL. */
  readonly json: string;
  /** After a table keyed by text: SQLite keeps its rows in the key's b-tree instead of a second one. */
  readonly keyedTable: string;
}

const COLUMN_TYPES: Readonly<Record<SqlDialect, ColumnTypes>> = {
  sqlite: {
    epochMs: "INTEGER",
    serialId: "INTEGER PRIMARY KEY AUTOINCREMENT",
    json: "TEXT",
    keyedTable: " WITHOUT ROWID",
  },
  postgres: {
    epochMs: "BIGINT",
    serialId: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    json: "JSONB",
    keyedTable: "",
  },
};

interface MigrationSource {
  readonly version: number;
  readonly name: string;
  readonly sql: (t: ColumnTypes) => string;
}

const MIGRATIONS: readonly MigrationSource[] = [
  {
    version: 1,
    name: "machines, leases, events, logs",
    sql: (t) => `
      CREATE TABLE machines (
        mac        TEXT PRIMARY KEY,
        ip         TEXT,
        hostname   TEXT,
        arch       INTEGER,
        state      TEXT NOT NULL DEFAULT 'off',
        first_seen ${t.epochMs} NOT NULL,
        last_seen  ${t.epochMs} NOT NULL
      )${t.keyedTable};

      CREATE TABLE leases (
        ip        TEXT PRIMARY KEY,
        mac       TEXT NOT NULL,
        network   TEXT NOT NULL,
        state     TEXT NOT NULL,
        hostname  TEXT,
        client_id TEXT,
        start     ${t.epochMs} NOT NULL,
        expires   ${t.epochMs} NOT NULL
      );
      CREATE INDEX leases_mac ON leases (mac, network, start);
      CREATE INDEX leases_network ON leases (network, state, expires);

      CREATE TABLE events (
        id       ${t.serialId},
        at       ${t.epochMs} NOT NULL,
        type     TEXT NOT NULL,
        protocol TEXT NOT NULL,
        mac      TEXT,
        ip       TEXT,
        stage    TEXT,
        detail   ${t.json} NOT NULL DEFAULT '{}'
      );
      CREATE INDEX events_mac ON events (mac, id);
      CREATE INDEX events_type ON events (type, id);

      -- owner: the MAC, or 'ip:<address>' for lines no MAC was found for;
      -- retention caps lines per owner (see log-owner-key.ts).
      CREATE TABLE logs (
        id       ${t.serialId},
        at       ${t.epochMs} NOT NULL,
        owner    TEXT NOT NULL,
        mac      TEXT,
        ip       TEXT NOT NULL,
        facility INTEGER,
        severity INTEGER,
        hostname TEXT,
        app      TEXT,
        message  TEXT NOT NULL
      );
      CREATE INDEX logs_owner ON logs (owner, id);
      CREATE INDEX logs_ip ON logs (ip, id);
    `,
  },
  {
    version: 2,
    name: "machine overrides set through the API",
    sql: (t) => `
      -- One row per machine whose image was set through the API; the
      -- resolver applies it after every config layer.
      CREATE TABLE machine_overrides (
        mac    TEXT PRIMARY KEY,
        image  TEXT,
        set_at ${t.epochMs} NOT NULL,
        set_by TEXT NOT NULL
      )${t.keyedTable};
    `,
  },
  {
    version: 3,
    name: "addresses seen in DHCP exchanges served by another server",
    sql: (t) => `
      -- Proxy mode: which machine the server saw at which address (its own
      -- DHCP REQUEST, its PXE request to port 4011). One row per address,
      -- one address per machine; src/identity/ reads it at start.
      CREATE TABLE address_bindings (
        ip      TEXT PRIMARY KEY,
        mac     TEXT NOT NULL,
        source  TEXT NOT NULL,
        seen_at ${t.epochMs} NOT NULL
      )${t.keyedTable};
      CREATE INDEX address_bindings_mac ON address_bindings (mac);
    `,
  },
  {
    version: 4,
    name: "events by time, for retention",
    sql: () => `
      -- events.keep_days deletes the oldest events by time; without this
      -- every pass would read the whole table.
      CREATE INDEX events_at ON events (at);
    `,
  },
  {
    version: 5,
    name: "heartbeats of servers sharing the store",
    sql: (t) => `
      -- High availability (docs/ha.md): each server writes its heartbeat
      -- here, and its peers take over its clients when it grows old.
      CREATE TABLE ha_servers (
        name  TEXT PRIMARY KEY,
        mode  TEXT NOT NULL,
        beat  ${t.epochMs} NOT NULL
      )${t.keyedTable};
    `,
  },
  {
    version: 6,
    name: "image versions published by build servers, and which servers hold them",
    sql: (t) => `
      -- Split roles (docs/ha.md): a build server publishes each version it
      -- builds with its manifest (the sha256 of every file) and the HTTP
      -- base it serves the files from; serving servers pull it, check it
      -- and add their row to image_holders. SQLite (one server) keeps both
      -- empty.
      CREATE TABLE published_images (
        name      TEXT NOT NULL,
        version   TEXT NOT NULL,
        built_by  TEXT NOT NULL,
        url       TEXT NOT NULL,
        -- The manifest.json file as built, byte for byte (jsonb would
        -- reorder its keys): pullers write it as they got it.
        manifest  TEXT NOT NULL,
        at        ${t.epochMs} NOT NULL,
        PRIMARY KEY (name, version)
      );
      CREATE TABLE image_holders (
        name      TEXT NOT NULL,
        version   TEXT NOT NULL,
        server    TEXT NOT NULL,
        at        ${t.epochMs} NOT NULL,
        PRIMARY KEY (name, version, server)
      );
    `,
  },
];

/** The migrations in the dialect's SQL, oldest first. */
export function sqlMigrations(dialect: SqlDialect): readonly Migration[] {
  const t = COLUMN_TYPES[dialect];
  return MIGRATIONS.map((m) => ({ version: m.version, name: m.name, sql: m.sql(t) }));
}

/** The version of the last migration: a database at a higher one was made by a newer bootfleet. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** The bookkeeping table, made before any migration runs. */
export function schemaVersionTable(dialect: SqlDialect): string {
  return `CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at ${COLUMN_TYPES[dialect].epochMs} NOT NULL
  )`;
}

/** Refuses a database whose schema is newer than this code knows (an older bootfleet started on it). */
export function assertKnownSchema(current: number): void {
  if (current > LATEST_SCHEMA_VERSION) {
    throw new Error(
      `store: database schema version ${current} is newer than this bootfleet knows (${LATEST_SCHEMA_VERSION}); upgrade bootfleet`,
    );
  }
}
