/**
 * The PostgreSQL backend (node-postgres Pool), for several bootfleet servers
 * sharing one fleet (say one answering DHCP and another serving images, both
 * recording into the same machines, leases and events). Same schema
 * (sql-migrations.ts) and semantics as the SQLite backend; the shared suite
 * runs against both.
 *
 * Durability is PostgreSQL's own (a commit is fsynced to its WAL unless the
 * administrator turned synchronous_commit off).
 */
import pg from "pg";
import { compareIp } from "../compare-ip.js";
import { logOwnerKey } from "../log-owner-key.js";
import { pruneInterval } from "../prune-interval.js";
import { assertKnownSchema, schemaVersionTable, sqlMigrations } from "../sql-migrations.js";
import { SqlWhere } from "../sql-where.js";
import type {
  AddressBindingRow,
  EventQuery,
  EventRow,
  LeaseQuery,
  LeaseRow,
  LogQuery,
  LogRetention,
  LogRow,
  MachineOverrideRow,
  MachineRow,
  MachineSeen,
  NewEvent,
  NewLog,
  Store,
} from "../store.js";

/** Opens a pool on `url` (postgresql://user@host/db, or ?host=/socket/dir). Call migrate() before use. */
export function openPostgresStore(url: string): Store {
  return new PostgresStore(url);
}

const INT8_OID = 20;
// BIGINT columns hold epoch milliseconds and ids, far below 2^53: numbers,
// not the strings node-postgres returns by default. Scoped to this pool.
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

const MIGRATIONS = sqlMigrations("postgres");

/** Serialises schema changes across servers starting at once ("bootfleet" in ASCII). */
const MIGRATION_LOCK = 0x626f6f74666c;
/** Serialises event inserts across servers (see addEvents). */
const EVENTS_LOCK = MIGRATION_LOCK + 1;
/** Serialises log inserts across servers (see SQL.addLog). */
const LOGS_LOCK = MIGRATION_LOCK + 2;

const MACHINE_COLUMNS = 'mac, ip, hostname, arch, state, first_seen AS "firstSeen", last_seen AS "lastSeen"';
const LEASE_COLUMNS = 'ip, mac, network, state, hostname, client_id AS "clientId", start, expires';
const EVENT_COLUMNS = "id, at, type, protocol, mac, ip, stage, detail";
const LOG_COLUMNS = "id, at, mac, ip, facility, severity, hostname, app, message";

const MAX_TRACKED_OWNERS = 10_000;

/** Named (prepared once per connection) statements for the hot paths. */
const SQL = {
  note: {
    name: "bf_note_machine",
    text: `
      INSERT INTO machines (mac, ip, hostname, arch, state, first_seen, last_seen)
      VALUES ($1, $2, $3, $4, coalesce($5, 'off'), $7, $6)
      ON CONFLICT (mac) DO UPDATE SET
        ip = coalesce(excluded.ip, machines.ip),
        hostname = coalesce(excluded.hostname, machines.hostname),
        arch = coalesce(excluded.arch, machines.arch),
        state = coalesce($5, machines.state),
        first_seen = least(machines.first_seen, excluded.first_seen),
        last_seen = greatest(machines.last_seen, excluded.last_seen)`,
  },
  putLease: {
    name: "bf_put_lease",
    text: `
      INSERT INTO leases (ip, mac, network, state, hostname, client_id, start, expires)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
      ON CONFLICT (ip) DO UPDATE SET
        mac = excluded.mac, network = excluded.network, state = excluded.state,
        hostname = excluded.hostname, client_id = excluded.client_id,
        start = excluded.start, expires = excluded.expires`,
  },
  // A batch as arrays, one statement (the rows have distinct addresses: see putLeases).
  putLeases: {
    name: "bf_put_leases",
    text: `
      INSERT INTO leases (ip, mac, network, state, hostname, client_id, start, expires)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                           $7::bigint[], $8::bigint[])
      ON CONFLICT (ip) DO UPDATE SET
        mac = excluded.mac, network = excluded.network, state = excluded.state,
        hostname = excluded.hostname, client_id = excluded.client_id,
        start = excluded.start, expires = excluded.expires`,
  },
  leaseByIp: { name: "bf_lease_by_ip", text: `SELECT ${LEASE_COLUMNS} FROM leases WHERE ip = $1` },
  leaseByMac: {
    name: "bf_lease_by_mac",
    text: `SELECT ${LEASE_COLUMNS} FROM leases WHERE mac = $1 AND network = $2 ORDER BY start DESC LIMIT 1`,
  },
  addEvent: {
    name: "bf_add_event",
    text: `INSERT INTO events (at, type, protocol, mac, ip, stage, detail)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id`,
  },
  // Log lines are followed by id (`bootfleet logs -f`, the page's log
  // view), so ids must be taken in commit order across every server: an
  // id taken before another but committed after it would land behind a
  // follower that already read past it. The transaction-scoped advisory
  // lock, taken before the row's id, is held until this statement's own
  // commit, so one insert is still one round trip.
  addLog: {
    name: "bf_add_log",
    text: `WITH serial AS (SELECT pg_advisory_xact_lock(${LOGS_LOCK}))
           INSERT INTO logs (at, owner, mac, ip, facility, severity, hostname, app, message)
           SELECT $1::bigint, $2::text, $3::text, $4::text, $5::integer, $6::integer, $7::text, $8::text, $9::text
           FROM serial RETURNING id`,
  },
  pruneOwner: {
    name: "bf_prune_owner",
    text: `DELETE FROM logs WHERE owner = $1 AND id <=
             (SELECT id FROM logs WHERE owner = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`,
  },
  pruneTotal: {
    name: "bf_prune_total",
    text: "DELETE FROM logs WHERE id <= (SELECT id FROM logs ORDER BY id DESC OFFSET $1 LIMIT 1)",
  },
} as const;

type Queryable = Pick<pg.Pool, "query"> | pg.PoolClient;

class PostgresStore implements Store {
  readonly #pool: pg.Pool;
  readonly #insertsByOwner = new Map<string, number>();
  #insertsTotal = 0;
  #closed = false;

  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, types, max: 4 });
    // An idle connection dropped by the server emits here; without a
    // listener it would take the process down. The next query reports it.
    this.#pool.on("error", () => {});
  }

  async migrate(): Promise<void> {
    await this.#tx(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await c.query(schemaVersionTable("postgres"));
      const r = await c.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_version");
      const current = r.rows[0]?.v ?? 0;
      assertKnownSchema(current);
      for (const m of MIGRATIONS) {
        if (m.version <= current) continue;
        await c.query(m.sql);
        await c.query("INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)", [
          m.version,
          m.name,
          Date.now(),
        ]);
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  async #tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.#pool.connect();
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (err) {
      await c.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async noteMachine(seen: MachineSeen): Promise<void> {
    await this.#note(this.#pool, seen);
  }

  async noteMachines(seen: readonly MachineSeen[]): Promise<void> {
    if (seen.length === 0) return;
    await this.#tx(async (c) => {
      for (const s of seen) await this.#note(c, s);
    });
  }

  async #note(q: Queryable, s: MachineSeen): Promise<void> {
    await q.query({
      ...SQL.note,
      values: [
        s.mac,
        s.ip ?? null,
        s.hostname ?? null,
        s.arch ?? null,
        s.state ?? null,
        s.at,
        Math.min(s.firstAt ?? s.at, s.at),
      ],
    });
  }

  async listMachines(): Promise<readonly MachineRow[]> {
    // COLLATE "C": byte order, as SQLite and the memory store sort.
    return (
      await this.#pool.query<MachineRow>(`SELECT ${MACHINE_COLUMNS} FROM machines ORDER BY mac COLLATE "C"`)
    ).rows;
  }

  async getMachine(mac: string): Promise<MachineRow | null> {
    const r = await this.#pool.query<MachineRow>(`SELECT ${MACHINE_COLUMNS} FROM machines WHERE mac = $1`, [
      mac,
    ]);
    return r.rows[0] ?? null;
  }

  async setMachineImage(mac: string, image: string | null, at: number, by: string): Promise<void> {
    if (image === null) {
      await this.#pool.query("DELETE FROM machine_overrides WHERE mac = $1", [mac]);
      return;
    }
    await this.#pool.query(
      `INSERT INTO machine_overrides (mac, image, set_at, set_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (mac) DO UPDATE SET
         image = excluded.image, set_at = excluded.set_at, set_by = excluded.set_by`,
      [mac, image, at, by],
    );
  }

  async listMachineOverrides(): Promise<readonly MachineOverrideRow[]> {
    return (
      await this.#pool.query<MachineOverrideRow>(
        `SELECT mac, image, set_at AS "setAt", set_by AS "setBy" FROM machine_overrides
         WHERE image IS NOT NULL ORDER BY mac COLLATE "C"`,
      )
    ).rows;
  }

  async putAddressBinding(b: AddressBindingRow): Promise<void> {
    await this.#tx(async (c) => {
      await c.query("DELETE FROM address_bindings WHERE mac = $1 AND ip <> $2", [b.mac, b.ip]);
      await c.query(
        `INSERT INTO address_bindings (ip, mac, source, seen_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (ip) DO UPDATE SET mac = excluded.mac, source = excluded.source, seen_at = excluded.seen_at`,
        [b.ip, b.mac, b.source, b.seenAt],
      );
    });
  }

  async deleteAddressBinding(ip: string): Promise<void> {
    await this.#pool.query("DELETE FROM address_bindings WHERE ip = $1", [ip]);
  }

  async listAddressBindings(): Promise<readonly AddressBindingRow[]> {
    const { rows } = await this.#pool.query<AddressBindingRow>(
      'SELECT ip, mac, source, seen_at AS "seenAt" FROM address_bindings',
    );
    // Numeric address order, as listLeases gives it.
    return rows.sort((a, b) => compareIp(a.ip, b.ip));
  }

  async putLease(l: LeaseRow): Promise<void> {
    await this.#pool.query({
      ...SQL.putLease,
      values: [l.ip, l.mac, l.network, l.state, l.hostname, l.clientId, l.start, l.expires],
    });
  }

  /**
   * Many leases in one statement (the DHCP service's write batches). One
   * INSERT cannot touch a row twice, so a later row for the same address
   * replaces an earlier one here first, as sequential writes would.
   */
  async putLeases(leases: readonly LeaseRow[]): Promise<void> {
    if (leases.length === 0) return;
    const last = [...new Map(leases.map((l) => [l.ip, l])).values()];
    await this.#pool.query({
      ...SQL.putLeases,
      values: [
        last.map((l) => l.ip),
        last.map((l) => l.mac),
        last.map((l) => l.network),
        last.map((l) => l.state),
        last.map((l) => l.hostname),
        last.map((l) => l.clientId),
        last.map((l) => String(l.start)),
        last.map((l) => String(l.expires)),
      ],
    });
  }

  async getLeaseByIp(ip: string): Promise<LeaseRow | null> {
    return (await this.#pool.query<LeaseRow>({ ...SQL.leaseByIp, values: [ip] })).rows[0] ?? null;
  }

  async getLeaseByMac(mac: string, network: string): Promise<LeaseRow | null> {
    return (await this.#pool.query<LeaseRow>({ ...SQL.leaseByMac, values: [mac, network] })).rows[0] ?? null;
  }

  async listLeases(network?: string): Promise<readonly LeaseRow[]> {
    return this.queryLeases({ network });
  }

  async queryLeases(query: LeaseQuery): Promise<readonly LeaseRow[]> {
    const w = leaseWhere(query);
    const rows = (
      await this.#pool.query<LeaseRow>(numbered(`SELECT ${LEASE_COLUMNS} FROM leases${w.sql}`), w.params)
    ).rows;
    // Numeric address order (ip::inet would refuse anything not an address).
    rows.sort((a, b) => compareIp(a.ip, b.ip));
    return query.limit === undefined ? rows : rows.slice(0, Math.max(0, query.limit));
  }

  async countLeases(query: LeaseQuery): Promise<number> {
    const w = leaseWhere(query);
    const r = await this.#pool.query<{ n: number }>(
      numbered(`SELECT count(*) AS n FROM leases${w.sql}`),
      w.params,
    );
    return r.rows[0]?.n ?? 0;
  }

  async expireLeases(now: number, network?: string): Promise<number> {
    const w = new SqlWhere().when(now, "expires <= ?").when(network, "network = ?");
    const r = await this.#pool.query(
      numbered(`UPDATE leases SET state = 'expired'${w.sql} AND state IN ('offered', 'bound')`),
      w.params,
    );
    return r.rowCount ?? 0;
  }

  async deleteLease(ip: string): Promise<void> {
    await this.#pool.query("DELETE FROM leases WHERE ip = $1", [ip]);
  }

  async addEvent(event: NewEvent): Promise<number> {
    const [id] = await this.addEvents([event]);
    return id!;
  }

  async addEvents(events: readonly NewEvent[]): Promise<readonly number[]> {
    if (events.length === 0) return [];
    return this.#tx(async (c) => {
      // Servers sharing the store insert events one transaction at a time,
      // so ids are taken in commit order: an event stream that has sent id
      // N never later finds a smaller id committed by another server (it
      // follows afterId, and would skip it for good).
      await c.query("SELECT pg_advisory_xact_lock($1)", [EVENTS_LOCK]);
      const ids: number[] = [];
      for (const e of events) ids.push(await this.#addEvent(c, e));
      return ids;
    });
  }

  async #addEvent(q: Queryable, e: NewEvent): Promise<number> {
    const r = await q.query<{ id: number }>({
      ...SQL.addEvent,
      values: [
        e.at,
        e.type,
        e.protocol,
        e.mac ?? null,
        e.ip ?? null,
        e.stage ?? null,
        jsonWithoutNul(e.detail ?? {}),
      ],
    });
    return r.rows[0]!.id;
  }

  async listEvents(q: EventQuery): Promise<readonly EventRow[]> {
    const w = new SqlWhere()
      .when(q.mac, "mac = ?")
      .when(q.type, "type = ?")
      .when(q.protocol, "protocol = ?")
      .when(q.afterId, "id > ?");
    const params = [...w.params];
    let sql = `SELECT ${EVENT_COLUMNS} FROM events${w.sql} ORDER BY id ${q.order === "desc" ? "DESC" : "ASC"}`;
    if (q.limit !== undefined) {
      sql += " LIMIT ?";
      params.push(Math.max(0, q.limit));
    }
    return (await this.#pool.query<EventRow>(numbered(sql), params)).rows;
  }

  async addLog(line: NewLog, retention: LogRetention): Promise<number> {
    const owner = logOwnerKey(line.mac, line.ip);
    const r = await this.#pool.query<{ id: number }>({
      ...SQL.addLog,
      values: [
        line.at,
        owner,
        line.mac,
        line.ip,
        line.facility,
        line.severity,
        withoutNul(line.hostname),
        withoutNul(line.app),
        withoutNul(line.message),
      ],
    });
    // Same cadence as the SQLite backend: see prune-interval.ts.
    const n = (this.#insertsByOwner.get(owner) ?? 0) + 1;
    if (n >= pruneInterval(retention.perMachine)) {
      this.#insertsByOwner.delete(owner);
      await this.#pool.query({ ...SQL.pruneOwner, values: [owner, Math.max(0, retention.perMachine)] });
    } else {
      if (this.#insertsByOwner.size >= MAX_TRACKED_OWNERS) this.#insertsByOwner.clear();
      this.#insertsByOwner.set(owner, n);
    }
    if (++this.#insertsTotal >= pruneInterval(retention.total)) {
      this.#insertsTotal = 0;
      await this.#pool.query({ ...SQL.pruneTotal, values: [Math.max(0, retention.total)] });
    }
    return r.rows[0]!.id;
  }

  async pruneEvents(before: number, limit?: number): Promise<number> {
    // LIMIT NULL is PostgreSQL's "no limit".
    const r = await this.#pool.query(
      "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < $1 ORDER BY at LIMIT $2)",
      [before, limit === undefined ? null : Math.max(0, limit)],
    );
    return r.rowCount ?? 0;
  }

  async pruneLogs(retention: LogRetention): Promise<void> {
    await this.#tx(async (c) => {
      await c.query(
        `DELETE FROM logs WHERE id IN (
           SELECT id FROM (
             SELECT id, row_number() OVER (PARTITION BY owner ORDER BY id DESC) AS n FROM logs
           ) ranked WHERE n > $1)`,
        [Math.max(0, retention.perMachine)],
      );
      await c.query({ ...SQL.pruneTotal, values: [Math.max(0, retention.total)] });
    });
    this.#insertsByOwner.clear();
    this.#insertsTotal = 0;
  }

  async listLogs(q: LogQuery): Promise<readonly LogRow[]> {
    const w = new SqlWhere().when(q.mac, "owner = ?").when(q.ip, "ip = ?").when(q.afterId, "id > ?");
    const params = [...w.params];
    let sql = `SELECT ${LOG_COLUMNS} FROM logs${w.sql} ORDER BY id ${q.order === "desc" ? "DESC" : "ASC"}`;
    if (q.limit !== undefined) {
      sql += " LIMIT ?";
      params.push(Math.max(0, q.limit));
    }
    return (await this.#pool.query<LogRow>(numbered(sql), params)).rows;
  }
}

function leaseWhere(q: LeaseQuery): SqlWhere {
  return new SqlWhere()
    .when(q.network, "network = ?")
    .when(q.mac, "mac = ?")
    .in("state", q.states)
    .when(q.expiresAfter, "expires > ?")
    .when(q.expiresBefore, "expires <= ?");
}

/** `?` placeholders (SqlWhere's) to PostgreSQL's $1, $2, ... */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

/**
 * PostgreSQL text cannot hold U+0000 (SQLite can): a client that sends a NUL
 * in a syslog line must not make the insert fail. It becomes U+FFFD.
 */
function withoutNul<T extends string | null>(s: T): T {
  return (s === null || !s.includes("\u0000") ? s : s.replaceAll("\u0000", "\uFFFD")) as T;
}

/** JSON text for a jsonb column, with escaped NULs (\u0000, which jsonb refuses) made U+FFFD. */
function jsonWithoutNul(value: unknown): string {
  return JSON.stringify(value).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, "$1\\ufffd");
}
