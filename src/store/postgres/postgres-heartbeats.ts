/**
 * Server heartbeats in the shared store (the ha_servers table). Times are
 * the database's own clock, written and compared there, so two servers
 * whose clocks disagree still agree on how old a heartbeat is.
 */
import type pg from "pg";
import type { Heartbeats } from "../../ha/heartbeats.js";
import { openPostgresPool } from "./postgres-pool.js";

const DB_NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

export class PostgresHeartbeats implements Heartbeats {
  readonly #pool: pg.Pool;

  constructor(url: string) {
    this.#pool = openPostgresPool(url, 1);
  }

  async beat(name: string, mode: string): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ha_servers (name, mode, beat) VALUES ($1, $2, ${DB_NOW_MS})
       ON CONFLICT (name) DO UPDATE SET mode = excluded.mode, beat = excluded.beat`,
      [name, mode],
    );
  }

  async ages(): Promise<ReadonlyMap<string, number>> {
    const r = await this.#pool.query<{ name: string; age: number }>(
      `SELECT name, ${DB_NOW_MS} - beat AS age FROM ha_servers`,
    );
    return new Map(r.rows.map((row) => [row.name, Number(row.age)]));
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
