/**
 * Following the store by id across servers (docs/ha.md): `bootfleet logs -f`,
 * the page's log view and the live event stream each remember the last id
 * they sent and ask for `afterId` next. With two servers inserting into one
 * PostgreSQL at once, a smaller id committed after a larger one would be
 * behind the follower already and never sent. Here two stores (as two
 * `bootfleet serve` hold them) write concurrently, each with several
 * inserts in flight, while a follower polls as `logs -f` does; it must see
 * every line and every event. PostgreSQL is initdb'd by the test on a unix
 * socket only (test/support/postgres-cluster.ts) and stopped by PID.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { Store } from "../../src/store/store.js";
import { PostgresCluster } from "../support/postgres-cluster.js";

const PER_WRITER = 1500;
const IN_FLIGHT = 8;
const RETENTION = { perMachine: 100_000, total: 1_000_000 };

let cluster: PostgresCluster | undefined;

before(async () => {
  cluster = await PostgresCluster.start("follow");
});

after(async () => {
  await cluster?.stop();
});

/** Runs `write(i)` for i in [0, count) with IN_FLIGHT calls outstanding; returns every id. */
async function writeConcurrently(count: number, write: (i: number) => Promise<number>): Promise<number[]> {
  const ids: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) ids.push(await write(next++));
    }),
  );
  return ids;
}

/**
 * Follows by id while `writing` runs, as `logs -f` and the event stream do,
 * and once more after it settled; returns the ids in the order received.
 */
async function follow(
  writing: Promise<unknown>,
  read: (afterId: number) => Promise<readonly { id: number }[]>,
) {
  let done = false;
  void writing.finally(() => {
    done = true;
  });
  const seen: number[] = [];
  let last = 0;
  for (let final = false; ; ) {
    for (const row of await read(last)) {
      seen.push(row.id);
      last = row.id;
    }
    if (final) return seen;
    final = done;
  }
}

async function twoServers(): Promise<[Store, Store, Store]> {
  const url = await cluster!.database();
  const stores: [Store, Store, Store] = [
    openPostgresStore(url),
    openPostgresStore(url),
    openPostgresStore(url),
  ];
  await stores[0].migrate();
  return stores;
}

describe("following the store by id while two servers insert (PostgreSQL)", () => {
  it("logs: the follower gets every line both servers wrote", async () => {
    const [a, b, follower] = await twoServers();
    try {
      const line = (server: string, i: number) => ({
        at: Date.now(),
        mac: "52:54:00:71:00:01",
        ip: "198.18.171.10",
        facility: 1,
        severity: 6,
        hostname: "client",
        app: "follow",
        message: `${server} ${i}`,
      });
      const writing = Promise.all([
        writeConcurrently(PER_WRITER, (i) => a.addLog(line("a", i), RETENTION)),
        writeConcurrently(PER_WRITER, (i) => b.addLog(line("b", i), RETENTION)),
      ]);
      const seen = await follow(writing, (afterId) =>
        follower.listLogs({ mac: "52:54:00:71:00:01", afterId, limit: 1000 }),
      );
      const written = (await writing).flat().sort((x, y) => x - y);
      const got = new Set(seen);
      const lost = written.filter((id) => !got.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${written.length} lines never reached the follower`);
      assert.equal(seen.length, written.length);
    } finally {
      await Promise.all([a.close(), b.close(), follower.close()]);
    }
  });

  it("events: the follower gets every event both servers wrote", async () => {
    const [a, b, follower] = await twoServers();
    try {
      const event = (server: string, i: number) => ({
        at: Date.now(),
        type: "dhcp.ack",
        protocol: "dhcp",
        mac: "52:54:00:71:00:02",
        ip: "198.18.171.11",
        detail: { server, i },
      });
      const writing = Promise.all([
        writeConcurrently(PER_WRITER, (i) => a.addEvent(event("a", i))),
        writeConcurrently(PER_WRITER, (i) => b.addEvent(event("b", i))),
      ]);
      const seen = await follow(writing, (afterId) => follower.listEvents({ afterId, limit: 1000 }));
      const written = (await writing).flat().sort((x, y) => x - y);
      const got = new Set(seen);
      const lost = written.filter((id) => !got.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${written.length} events never reached the follower`);
      assert.equal(seen.length, written.length);
    } finally {
      await Promise.all([a.close(), b.close(), follower.close()]);
    }
  });
});
