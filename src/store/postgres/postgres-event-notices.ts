/**
 * "Events were stored" notices between servers sharing one PostgreSQL, so
 * every server's live view (GET /api/v1/events/stream) shows the events of
 * the whole fleet as they happen (docs/ha.md).
 *
 * Why LISTEN/NOTIFY rather than polling alone: the stream already polls
 * the store every couple of seconds, which is the fallback; a notice makes
 * another server's event reach the page as fast as a local one, for one
 * idle connection per server and no extra reads of the events table. The
 * notice only says "look now" (with the machines concerned, for streams
 * filtered by MAC): the store stays the one source of events, ids and
 * resumption, so a lost notice costs at most one poll interval.
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { EventNotices } from "../../ha/event-notices.js";
import { openPostgresClient, openPostgresPool } from "./postgres-pool.js";

const CHANNEL = "bootfleet_events";
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes and more. */
const MAX_PAYLOAD = 7000;

export class PostgresEventNotices implements EventNotices {
  readonly #url: string;
  readonly #pool: pg.Pool;
  readonly #origin = randomUUID();
  #listener: pg.Client | null = null;
  #closed = false;

  constructor(url: string) {
    this.#url = url;
    this.#pool = openPostgresPool(url, 1);
  }

  async announce(macs: readonly string[]): Promise<void> {
    // "-" stands for events about no machine.
    let chunk: string[] = [];
    let size = 0;
    const send = async () => {
      if (chunk.length === 0) return;
      await this.#pool.query("SELECT pg_notify($1, $2)", [CHANNEL, `${this.#origin} ${chunk.join(" ")}`]);
      chunk = [];
      size = 0;
    };
    for (const mac of macs.length > 0 ? macs : ["-"]) {
      if (size + mac.length + 1 > MAX_PAYLOAD) await send();
      chunk.push(mac);
      size += mac.length + 1;
    }
    await send();
  }

  async follow(onNotice: (macs: readonly (string | null)[]) => void): Promise<void> {
    const client = openPostgresClient(this.#url);
    client.on("notification", (n) => {
      const [origin, ...macs] = (n.payload ?? "").split(" ");
      if (origin === this.#origin) return;
      onNotice(macs.map((m) => (m === "-" ? null : m)));
    });
    // A lost connection is opened again; the streams' poll covers the gap.
    client.on("error", () => {
      if (this.#listener !== client) return;
      this.#listener = null;
      client.end().catch(() => {});
      if (!this.#closed) setTimeout(() => void this.follow(onNotice).catch(() => {}), 1000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.#listener = client;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const listener = this.#listener;
    this.#listener = null;
    await listener?.end().catch(() => {});
    await this.#pool.end();
  }
}
