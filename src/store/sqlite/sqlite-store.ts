/**
 * The SQLite backend (better-sqlite3), the default: one file in the data
 * folder, and the boot events in a second one beside it, written by a
 * thread of its own (event-file.ts). Every other call runs synchronously
 * underneath; the async surface is the Store contract, which PostgreSQL
 * needs.
 *
 * Durability: WAL with synchronous=NORMAL. A commit is appended to the WAL
 * file with write() before it returns, so it survives the bootfleet process
 * dying at any instant (kill -9, OOM, a crash): the OS still holds the pages
 * and writes them out. What NORMAL gives up against FULL is only an fsync per
 * commit, i.e. the last commits on a power cut or kernel panic, when every
 * client reboots and re-runs DHCP anyway (RFC 2131 4.3.2 INIT-REBOOT). That
 * trade keeps a lease write at tens of microseconds, so the DHCP service keeps
 * up with kea's memfile. sqlite-store.test.ts checks the kill -9 case.
 * Checkpoints (copying the WAL into the database file, with fsyncs) run in a
 * worker thread, not inside a commit (wal-checkpointer.ts).
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { compareIp } from "../compare-ip.js";
import { logOwnerKey } from "../log-owner-key.js";
import { pruneInterval } from "../prune-interval.js";
import { assertKnownSchema, schemaVersionTable, sqlMigrations } from "../sql-migrations.js";
import { SqlWhere } from "../sql-where.js";
import { EventFile, eventFileOf, InlineEvents, moveEventsOut } from "./event-file.js";
import { WalCheckpointer } from "./wal-checkpointer.js";
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

type Db = Database.Database;
type Statement = Database.Statement;

/** Opens (creating when absent) the database file and brings its schema up to date. */
export function openSqliteStore(file: string): Store {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    // Another bootfleet process (the CLI next to `serve`) may hold the write
    // lock for a moment; wait rather than fail with SQLITE_BUSY.
    db.pragma("busy_timeout = 5000");
    migrateSqlite(db);
    if (file === ":memory:") return new SqliteStore(db, new InlineEvents(db));
    const events = new EventFile(eventFileOf(file));
    try {
      moveEventsOut(db, events);
    } catch (err) {
      void events.close();
      throw err;
    }
    return new SqliteStore(db, events, new WalCheckpointer(file, db));
  } catch (err) {
    db.close();
    throw err;
  }
}

const MIGRATIONS = sqlMigrations("sqlite");

function migrateSqlite(db: Db): void {
  db.exec(schemaVersionTable("sqlite"));
  // IMMEDIATE takes the write lock first, so two processes starting at once
  // cannot both apply the same migration.
  db.transaction(() => {
    const row = db.prepare("SELECT max(version) AS v FROM schema_version").get() as { v: number | null };
    const current = row.v ?? 0;
    assertKnownSchema(current);
    const record = db.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)");
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    }
  }).immediate();
}

const MACHINE_COLUMNS = "mac, ip, hostname, arch, state, first_seen AS firstSeen, last_seen AS lastSeen";
const LEASE_COLUMNS = "ip, mac, network, state, hostname, client_id AS clientId, start, expires";
const LOG_COLUMNS = "id, at, mac, ip, facility, severity, hostname, app, message";

/** Owners whose insert counts we track before starting over (bounds memory under spoofed sources). */
const MAX_TRACKED_OWNERS = 10_000;

class SqliteStore implements Store {
  readonly #db: Db;
  readonly #checkpointer: WalCheckpointer | undefined;
  readonly #noteStmt: Statement;
  readonly #getMachine: Statement;
  readonly #listMachines: Statement;
  readonly #putLease: Statement;
  readonly #leaseByIp: Statement;
  readonly #leaseByMac: Statement;
  readonly #deleteLease: Statement;
  readonly #addLog: Statement;
  readonly #pruneOwner: Statement;
  readonly #pruneTotal: Statement;
  readonly #pruneAllOwners: Statement;
  readonly #setOverride: Statement;
  readonly #clearOverride: Statement;
  readonly #listOverrides: Statement;
  readonly #deleteBinding: Statement;
  readonly #listBindings: Statement;
  readonly #putBindingTx: (binding: AddressBindingRow) => void;
  /** Prepared once per distinct SQL text built by the query methods. */
  readonly #dynamic = new Map<string, Statement>();
  readonly #noteMany: (seen: readonly MachineSeen[]) => void;
  /** In their own file, written by a worker thread (event-file.ts); in the database itself in memory. */
  readonly #events: EventFile | InlineEvents;
  readonly #putLeasesTx: (leases: readonly LeaseRow[]) => void;
  readonly #insertsByOwner = new Map<string, number>();
  #insertsTotal = 0;
  #closed = false;

  constructor(db: Db, events: EventFile | InlineEvents, checkpointer?: WalCheckpointer) {
    this.#db = db;
    this.#events = events;
    this.#checkpointer = checkpointer;
    // Undefined and null keep what is known (MachineSeen's contract);
    // @state is read in the update clause too, where 'off' must not win.
    this.#noteStmt = db.prepare(`
      INSERT INTO machines (mac, ip, hostname, arch, state, first_seen, last_seen)
      VALUES (@mac, @ip, @hostname, @arch, coalesce(@state, 'off'), @firstAt, @at)
      ON CONFLICT (mac) DO UPDATE SET
        ip = coalesce(excluded.ip, ip),
        hostname = coalesce(excluded.hostname, hostname),
        arch = coalesce(excluded.arch, arch),
        state = coalesce(@state, state),
        first_seen = min(first_seen, excluded.first_seen),
        last_seen = max(last_seen, excluded.last_seen)`);
    this.#getMachine = db.prepare(`SELECT ${MACHINE_COLUMNS} FROM machines WHERE mac = ?`);
    this.#listMachines = db.prepare(`SELECT ${MACHINE_COLUMNS} FROM machines ORDER BY mac`);
    this.#putLease = db.prepare(`
      INSERT INTO leases (ip, mac, network, state, hostname, client_id, start, expires)
      VALUES (@ip, @mac, @network, @state, @hostname, @clientId, @start, @expires)
      ON CONFLICT (ip) DO UPDATE SET
        mac = excluded.mac, network = excluded.network, state = excluded.state,
        hostname = excluded.hostname, client_id = excluded.client_id,
        start = excluded.start, expires = excluded.expires`);
    this.#leaseByIp = db.prepare(`SELECT ${LEASE_COLUMNS} FROM leases WHERE ip = ?`);
    this.#leaseByMac = db.prepare(
      `SELECT ${LEASE_COLUMNS} FROM leases WHERE mac = ? AND network = ? ORDER BY start DESC LIMIT 1`,
    );
    this.#deleteLease = db.prepare("DELETE FROM leases WHERE ip = ?");
    this.#addLog = db.prepare(`
      INSERT INTO logs (at, owner, mac, ip, facility, severity, hostname, app, message)
      VALUES (@at, @owner, @mac, @ip, @facility, @severity, @hostname, @app, @message)`);
    // The newest `keep` lines of an owner stay; one index walk of `keep` entries.
    this.#pruneOwner = db.prepare(`
      DELETE FROM logs WHERE owner = @owner AND id <=
        (SELECT id FROM logs WHERE owner = @owner ORDER BY id DESC LIMIT 1 OFFSET @keep)`);
    this.#pruneTotal = db.prepare(`
      DELETE FROM logs WHERE id <= (SELECT id FROM logs ORDER BY id DESC LIMIT 1 OFFSET @keep)`);
    this.#pruneAllOwners = db.prepare(`
      DELETE FROM logs WHERE id IN (
        SELECT id FROM (
          SELECT id, row_number() OVER (PARTITION BY owner ORDER BY id DESC) AS n FROM logs
        ) WHERE n > @keep)`);
    this.#setOverride = db.prepare(`
      INSERT INTO machine_overrides (mac, image, set_at, set_by) VALUES (?, ?, ?, ?)
      ON CONFLICT (mac) DO UPDATE SET
        image = excluded.image, set_at = excluded.set_at, set_by = excluded.set_by`);
    this.#clearOverride = db.prepare("DELETE FROM machine_overrides WHERE mac = ?");
    this.#listOverrides = db.prepare(
      "SELECT mac, image, set_at AS setAt, set_by AS setBy FROM machine_overrides WHERE image IS NOT NULL ORDER BY mac",
    );
    const unbindMac = db.prepare("DELETE FROM address_bindings WHERE mac = ? AND ip <> ?");
    const putBinding = db.prepare(`
      INSERT INTO address_bindings (ip, mac, source, seen_at) VALUES (@ip, @mac, @source, @seenAt)
      ON CONFLICT (ip) DO UPDATE SET mac = excluded.mac, source = excluded.source, seen_at = excluded.seen_at`);
    this.#putBindingTx = db.transaction((b: AddressBindingRow) => {
      unbindMac.run(b.mac, b.ip);
      putBinding.run({ ip: b.ip, mac: b.mac, source: b.source, seenAt: b.seenAt });
    });
    this.#deleteBinding = db.prepare("DELETE FROM address_bindings WHERE ip = ?");
    this.#listBindings = db.prepare("SELECT ip, mac, source, seen_at AS seenAt FROM address_bindings");
    this.#noteMany = db.transaction((seen: readonly MachineSeen[]) => {
      for (const s of seen) this.#noteStmt.run(machineParams(s));
    });
    this.#putLeasesTx = db.transaction((leases: readonly LeaseRow[]) => {
      for (const l of leases) this.#putLease.run(leaseParams(l));
    });
  }

  async migrate(): Promise<void> {
    this.#open();
    migrateSqlite(this.#db);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#checkpointer?.close();
    if (this.#events instanceof EventFile) await this.#events.close();
    this.#db.close();
  }

  #open(): void {
    if (this.#closed) throw new Error("store: the SQLite store is closed");
  }

  async noteMachine(seen: MachineSeen): Promise<void> {
    this.#open();
    this.#noteStmt.run(machineParams(seen));
  }

  async noteMachines(seen: readonly MachineSeen[]): Promise<void> {
    this.#open();
    if (seen.length > 0) this.#noteMany(seen);
  }

  async listMachines(): Promise<readonly MachineRow[]> {
    this.#open();
    return this.#listMachines.all() as MachineRow[];
  }

  async getMachine(mac: string): Promise<MachineRow | null> {
    this.#open();
    return (this.#getMachine.get(mac) as MachineRow | undefined) ?? null;
  }

  async setMachineImage(mac: string, image: string | null, at: number, by: string): Promise<void> {
    this.#open();
    if (image === null) this.#clearOverride.run(mac);
    else this.#setOverride.run(mac, image, at, by);
  }

  async listMachineOverrides(): Promise<readonly MachineOverrideRow[]> {
    this.#open();
    return this.#listOverrides.all() as MachineOverrideRow[];
  }

  async putAddressBinding(binding: AddressBindingRow): Promise<void> {
    this.#open();
    this.#putBindingTx(binding);
  }

  async deleteAddressBinding(ip: string): Promise<void> {
    this.#open();
    this.#deleteBinding.run(ip);
  }

  async listAddressBindings(): Promise<readonly AddressBindingRow[]> {
    this.#open();
    // Numeric address order, as listLeases gives it (text order puts .10 before .9).
    return (this.#listBindings.all() as AddressBindingRow[]).sort((a, b) => compareIp(a.ip, b.ip));
  }

  async putLease(lease: LeaseRow): Promise<void> {
    this.#open();
    this.#putLease.run(leaseParams(lease));
  }

  async putLeases(leases: readonly LeaseRow[]): Promise<void> {
    this.#open();
    this.#putLeasesTx(leases);
  }

  async getLeaseByIp(ip: string): Promise<LeaseRow | null> {
    this.#open();
    return (this.#leaseByIp.get(ip) as LeaseRow | undefined) ?? null;
  }

  async getLeaseByMac(mac: string, network: string): Promise<LeaseRow | null> {
    this.#open();
    return (this.#leaseByMac.get(mac, network) as LeaseRow | undefined) ?? null;
  }

  async listLeases(network?: string): Promise<readonly LeaseRow[]> {
    return this.queryLeases({ network });
  }

  async queryLeases(query: LeaseQuery): Promise<readonly LeaseRow[]> {
    this.#open();
    const w = leaseWhere(query);
    const rows = this.#stmt(`SELECT ${LEASE_COLUMNS} FROM leases${w.sql}`).all(...w.params) as LeaseRow[];
    // Numeric address order is not SQL text order: sort here, then limit.
    rows.sort((a, b) => compareIp(a.ip, b.ip));
    return query.limit === undefined ? rows : rows.slice(0, Math.max(0, query.limit));
  }

  async countLeases(query: LeaseQuery): Promise<number> {
    this.#open();
    const w = leaseWhere(query);
    return (this.#stmt(`SELECT count(*) AS n FROM leases${w.sql}`).get(...w.params) as { n: number }).n;
  }

  async expireLeases(now: number, network?: string): Promise<number> {
    this.#open();
    const sql =
      "UPDATE leases SET state = 'expired' WHERE state IN ('offered', 'bound') AND expires <= ?" +
      (network === undefined ? "" : " AND network = ?");
    const params = network === undefined ? [now] : [now, network];
    return this.#stmt(sql).run(...params).changes;
  }

  async deleteLease(ip: string): Promise<void> {
    this.#open();
    this.#deleteLease.run(ip);
  }

  async addEvent(event: NewEvent): Promise<number> {
    this.#open();
    const [id] = await this.#events.add([event]);
    return id ?? 0;
  }

  async addEvents(events: readonly NewEvent[]): Promise<readonly number[]> {
    this.#open();
    return this.#events.add(events);
  }

  async listEvents(q: EventQuery): Promise<readonly EventRow[]> {
    this.#open();
    return this.#events.list(q);
  }

  async pruneEvents(before: number, limit?: number): Promise<number> {
    this.#open();
    return this.#events.prune(before, limit);
  }

  async addLog(line: NewLog, retention: LogRetention): Promise<number> {
    this.#open();
    const owner = logOwnerKey(line.mac, line.ip);
    const id = Number(this.#addLog.run({ ...line, owner }).lastInsertRowid);
    // Retention every pruneInterval inserts (per owner, and in all): a
    // constant cost per line instead of a walk of `cap` index entries each.
    const n = (this.#insertsByOwner.get(owner) ?? 0) + 1;
    if (n >= pruneInterval(retention.perMachine)) {
      this.#pruneOwner.run({ owner, keep: Math.max(0, retention.perMachine) });
      this.#insertsByOwner.delete(owner);
    } else {
      if (this.#insertsByOwner.size >= MAX_TRACKED_OWNERS) this.#insertsByOwner.clear();
      this.#insertsByOwner.set(owner, n);
    }
    if (++this.#insertsTotal >= pruneInterval(retention.total)) {
      this.#pruneTotal.run({ keep: Math.max(0, retention.total) });
      this.#insertsTotal = 0;
    }
    return id;
  }

  async pruneLogs(retention: LogRetention): Promise<void> {
    this.#open();
    this.#db.transaction(() => {
      this.#pruneAllOwners.run({ keep: Math.max(0, retention.perMachine) });
      this.#pruneTotal.run({ keep: Math.max(0, retention.total) });
    })();
    this.#insertsByOwner.clear();
    this.#insertsTotal = 0;
  }

  async listLogs(q: LogQuery): Promise<readonly LogRow[]> {
    this.#open();
    // A line with a MAC is owned by that MAC: the (owner, id) index serves it.
    const w = new SqlWhere().when(q.mac, "owner = ?").when(q.ip, "ip = ?").when(q.afterId, "id > ?");
    const params = w.params;
    const sql =
      `SELECT ${LOG_COLUMNS} FROM logs${w.sql}` +
      ` ORDER BY id ${q.order === "desc" ? "DESC" : "ASC"}` +
      (q.limit === undefined ? "" : " LIMIT ?");
    if (q.limit !== undefined) params.push(Math.max(0, q.limit));
    return this.#stmt(sql).all(...params) as LogRow[];
  }

  #stmt(sql: string): Statement {
    let s = this.#dynamic.get(sql);
    if (!s) this.#dynamic.set(sql, (s = this.#db.prepare(sql)));
    return s;
  }
}

function machineParams(s: MachineSeen): Record<string, unknown> {
  return {
    mac: s.mac,
    ip: s.ip ?? null,
    hostname: s.hostname ?? null,
    arch: s.arch ?? null,
    state: s.state ?? null,
    at: s.at,
    firstAt: Math.min(s.firstAt ?? s.at, s.at),
  };
}

function leaseWhere(q: LeaseQuery): SqlWhere {
  return new SqlWhere()
    .when(q.network, "network = ?")
    .when(q.mac, "mac = ?")
    .in("state", q.states)
    .when(q.expiresAfter, "expires > ?")
    .when(q.expiresBefore, "expires <= ?");
}

function leaseParams(lease: LeaseRow): Record<string, unknown> {
  return {
    ip: lease.ip,
    mac: lease.mac,
    network: lease.network,
    state: lease.state,
    hostname: lease.hostname,
    clientId: lease.clientId,
    start: lease.start,
    expires: lease.expires,
  };
}
