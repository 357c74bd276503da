/**
 * SQLite schema, as an append-only list: version N is applied once, in a
 * transaction with its row in `schema_version`. Never edit a released
 * migration; add the next one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const sqliteMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "machines, leases, events, logs",
    sql: `
      CREATE TABLE machines (
        mac        TEXT PRIMARY KEY,
        ip         TEXT,
        hostname   TEXT,
        arch       INTEGER,
        state      TEXT NOT NULL DEFAULT 'off',
        first_seen INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE leases (
        ip        TEXT PRIMARY KEY,
        mac       TEXT NOT NULL,
        network   TEXT NOT NULL,
        state     TEXT NOT NULL,
        hostname  TEXT,
        client_id TEXT,
        start     INTEGER NOT NULL,
        expires   INTEGER NOT NULL
      );
      CREATE INDEX leases_mac ON leases (mac, network, start);
      CREATE INDEX leases_network ON leases (network, state, expires);

      -- AUTOINCREMENT: ids are never reused, so a follower resuming with
      -- afterId neither misses nor repeats rows.
      CREATE TABLE events (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        at       INTEGER NOT NULL,
        type     TEXT NOT NULL,
        protocol TEXT NOT NULL,
        mac      TEXT,
        ip       TEXT,
        stage    TEXT,
        detail   TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX events_mac ON events (mac, id);
      CREATE INDEX events_type ON events (type, id);

      -- owner: the MAC, or 'ip:<address>' for lines no MAC was found for;
      -- retention caps lines per owner (see log-owner-key.ts).
      CREATE TABLE logs (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        at       INTEGER NOT NULL,
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
    sql: `
      -- One row per machine whose image was set through the API; the
      -- resolver applies it after every config layer.
      CREATE TABLE machine_overrides (
        mac    TEXT PRIMARY KEY,
        image  TEXT,
        set_at INTEGER NOT NULL,
        set_by TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];
