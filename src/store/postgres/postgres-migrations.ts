/**
 * PostgreSQL schema, as an append-only list with the same semantics as
 * sqlite-migrations.ts: version N applied once, in a transaction, with its
 * row in `schema_version`. Never edit a released migration; add the next.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const postgresMigrations: readonly Migration[] = [
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
        first_seen BIGINT NOT NULL,
        last_seen  BIGINT NOT NULL
      );

      CREATE TABLE leases (
        ip        TEXT PRIMARY KEY,
        mac       TEXT NOT NULL,
        network   TEXT NOT NULL,
        state     TEXT NOT NULL,
        hostname  TEXT,
        client_id TEXT,
        start     BIGINT NOT NULL,
        expires   BIGINT NOT NULL
      );
      CREATE INDEX leases_mac ON leases (mac, network, start);
      CREATE INDEX leases_network ON leases (network, state, expires);

      -- Identity values are never reused, so a follower resuming with
      -- afterId does not repeat rows after deletions.
      CREATE TABLE events (
        id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at       BIGINT NOT NULL,
        type     TEXT NOT NULL,
        protocol TEXT NOT NULL,
        mac      TEXT,
        ip       TEXT,
        stage    TEXT,
        detail   JSONB NOT NULL DEFAULT '{}'
      );
      CREATE INDEX events_mac ON events (mac, id);
      CREATE INDEX events_type ON events (type, id);

      -- owner: the MAC, or 'ip:<address>' (see log-owner-key.ts).
      CREATE TABLE logs (
        id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at       BIGINT NOT NULL,
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
      CREATE TABLE machine_overrides (
        mac    TEXT PRIMARY KEY,
        image  TEXT,
        set_at BIGINT NOT NULL,
        set_by TEXT NOT NULL
      );
    `,
  },
];
