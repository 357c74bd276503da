/**
 * The lease table as the arbiter between servers sharing one PostgreSQL
 * (docs/ha.md).
 *
 * Why INSERT ... ON CONFLICT (ip) DO UPDATE ... WHERE, and not row locks or
 * SKIP LOCKED: the address is the lease table's primary key, so the unique
 * constraint on the address already exists, and one statement both checks
 * and writes. When two servers claim one address at once, PostgreSQL makes
 * the second wait on the first's row lock and then evaluates the WHERE
 * against the committed row (READ COMMITTED's re-check for ON CONFLICT DO
 * UPDATE): the loser's row is simply not returned. No transaction spans a
 * round trip, nothing retries on serialization failures, and a server
 * killed mid-claim leaves nothing locked. SKIP LOCKED would need a row per
 * free address to skip over, but pools live in the config and rows exist
 * only for leased addresses; picking an address stays in memory (an offer
 * promises nothing, RFC 2131 §4.3.1) and the claim at REQUEST decides.
 *
 * Why LISTEN/NOTIFY: each written row is announced on `bootfleet_leases` in
 * the claiming transaction (delivered only if it commits), so the other
 * servers learn a binding within a round trip and stop offering it, without
 * polling the table. A missed notification costs nothing but a NAK: the
 * claim still refuses the address.
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { ClaimOutcome, LeaseClaims } from "../../services/dhcp/lease-claims.js";
import type { LeaseRow } from "../store.js";
import { openPostgresClient, openPostgresPool } from "./postgres-pool.js";

const CHANNEL = "bootfleet_leases";
const LEASE_COLUMNS = 'ip, mac, network, state, hostname, client_id AS "clientId", start, expires';

const CLAIM = `
  WITH written AS (
    INSERT INTO leases AS l (ip, mac, network, state, hostname, client_id, start, expires)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::bigint[], $8::bigint[])
    ON CONFLICT (ip) DO UPDATE SET
      mac = excluded.mac, network = excluded.network, state = excluded.state,
      hostname = excluded.hostname, client_id = excluded.client_id,
      start = excluded.start, expires = excluded.expires
    -- Refused: a running binding or decline quarantine of another MAC.
    WHERE l.mac = excluded.mac OR l.state NOT IN ('bound', 'declined') OR l.expires <= excluded.start
    RETURNING l.ip
  )
  SELECT ip, pg_notify('${CHANNEL}', $9 || ' ' || ip) FROM written`;

/** How many addresses one lookup of announced rows reads at most. */
const FETCH_BATCH = 500;

export class PostgresLeaseClaims implements LeaseClaims {
  readonly #url: string;
  readonly #pool: pg.Pool;
  /** Tells this server's own notifications from the others'. */
  readonly #origin = randomUUID();
  #listener: pg.Client | null = null;
  #announced = new Set<string>();
  #fetching = false;
  #closed = false;
  #onRows: ((rows: readonly LeaseRow[]) => void) | null = null;

  constructor(url: string) {
    this.#url = url;
    this.#pool = openPostgresPool(url, 4);
  }

  async claim(rows: readonly LeaseRow[]): Promise<readonly ClaimOutcome[]> {
    const outcomes: ClaimOutcome[] = new Array(rows.length);
    // One INSERT cannot touch a row twice: rows for an address already in
    // this round wait for the next one, so they apply in order.
    let pending = rows.map((row, index) => ({ row, index }));
    while (pending.length > 0) {
      const seen = new Set<string>();
      const round = pending.filter((p) => !seen.has(p.row.ip) && seen.add(p.row.ip));
      pending = pending.filter((p) => !round.includes(p));
      const r = await this.#pool.query<{ ip: string }>(CLAIM, [
        round.map((p) => p.row.ip),
        round.map((p) => p.row.mac),
        round.map((p) => p.row.network),
        round.map((p) => p.row.state),
        round.map((p) => p.row.hostname),
        round.map((p) => p.row.clientId),
        round.map((p) => String(p.row.start)),
        round.map((p) => String(p.row.expires)),
        this.#origin,
      ]);
      const written = new Set(r.rows.map((x) => x.ip));
      const refused = round.filter((p) => !written.has(p.row.ip));
      const holders = await this.#rows(refused.map((p) => p.row.ip));
      for (const p of round) {
        outcomes[p.index] = written.has(p.row.ip)
          ? { written: true }
          : { written: false, holder: holders.get(p.row.ip) ?? null };
      }
    }
    return outcomes;
  }

  async forget(row: LeaseRow): Promise<void> {
    await this.#pool.query("DELETE FROM leases WHERE ip = $1 AND mac = $2", [row.ip, row.mac]);
  }

  async follow(onRows: (rows: readonly LeaseRow[]) => void): Promise<void> {
    this.#onRows = onRows;
    await this.#listen();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const listener = this.#listener;
    this.#listener = null;
    await listener?.end().catch(() => {});
    await this.#pool.end();
  }

  async #listen(): Promise<void> {
    const client = openPostgresClient(this.#url);
    client.on("notification", (n) => {
      const [origin, ip] = (n.payload ?? "").split(" ");
      if (origin === this.#origin || !ip) return;
      this.#announced.add(ip);
      if (!this.#fetching) void this.#fetchAnnounced();
    });
    // A lost connection (database restart) is opened again; claims still
    // arbitrate meanwhile, the cache is only less fresh.
    client.on("error", () => {
      if (this.#listener !== client) return;
      this.#listener = null;
      client.end().catch(() => {});
      if (!this.#closed) setTimeout(() => void this.#listen().catch(() => {}), 1000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.#listener = client;
  }

  async #fetchAnnounced(): Promise<void> {
    this.#fetching = true;
    try {
      while (this.#announced.size > 0 && !this.#closed) {
        const ips = [...this.#announced].slice(0, FETCH_BATCH);
        for (const ip of ips) this.#announced.delete(ip);
        const rows = await this.#rows(ips);
        if (rows.size > 0) this.#onRows?.([...rows.values()]);
      }
    } catch {
      // The pool reports the failure on the next claim; the cache stays as it was.
    } finally {
      this.#fetching = false;
    }
  }

  async #rows(ips: readonly string[]): Promise<Map<string, LeaseRow>> {
    if (ips.length === 0) return new Map();
    const r = await this.#pool.query<LeaseRow>(
      `SELECT ${LEASE_COLUMNS} FROM leases WHERE ip = ANY($1::text[])`,
      [ips],
    );
    return new Map(r.rows.map((row) => [row.ip, row]));
  }
}
