import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { MemoryStore } from "../../store/memory/memory-store.js";
import { openSqliteStore } from "../../store/sqlite/sqlite-store.js";
import type { LeaseRow, Store } from "../../store/store.js";
import { LeaseWriter } from "./lease-writer.js";

const lease = (i: number, state: LeaseRow["state"] = "bound"): LeaseRow => ({
  ip: `198.18.10.${100 + (i % 50)}`,
  mac: `02:00:00:00:00:${(i % 256).toString(16).padStart(2, "0")}`,
  network: "198.18.10.0/24",
  state,
  hostname: null,
  clientId: null,
  start: 1000 + i,
  expires: 2000 + i,
});

for (const [name, open] of [
  ["memory", () => ({ store: new MemoryStore() as Store, done: () => {} })],
  [
    "sqlite",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "bf-lw-"));
      return {
        store: openSqliteStore(join(dir, "s.db")),
        done: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
] as const) {
  describe(`LeaseWriter on the ${name} store`, () => {
    test("writes of one turn commit together, in order; each promise settles after its commit", async () => {
      const { store, done } = open();
      try {
        await store.migrate();
        let batches = 0;
        const putLeases = store.putLeases.bind(store);
        store.putLeases = (rows) => {
          batches++;
          return putLeases(rows);
        };
        const w = new LeaseWriter(store);
        await Promise.all(Array.from({ length: 100 }, (_, i) => w.write(lease(i))));
        assert.equal(batches, 1);
        // 100 writes over 50 addresses: the later write of each address wins.
        const rows = await store.listLeases();
        assert.equal(rows.length, 50);
        assert.equal((await store.getLeaseByIp("198.18.10.100"))?.start, 1050);
        await w.write(lease(1, "released"));
        assert.equal(batches, 2);
        assert.equal((await store.getLeaseByIp("198.18.10.101"))?.state, "released");
      } finally {
        await store.close();
        done();
      }
    });

    test("writes of the next turns within the window join the batch; a full batch does not wait", async () => {
      const { store, done } = open();
      try {
        await store.migrate();
        const sizes: number[] = [];
        const putLeases = store.putLeases.bind(store);
        store.putLeases = (rows) => {
          sizes.push(rows.length);
          return putLeases(rows);
        };
        // A REQUEST a turn, as a steady stream of them arrives.
        const w = new LeaseWriter(store, { windowMs: 50 });
        const first = w.write(lease(0));
        await new Promise((r) => setImmediate(r));
        const second = w.write(lease(1));
        await Promise.all([first, second]);
        assert.deepEqual(sizes, [2]);

        const full = new LeaseWriter(store, { windowMs: 60_000, maxBatch: 8 });
        await Promise.all(Array.from({ length: 8 }, (_, i) => full.write(lease(i))));
        assert.deepEqual(sizes, [2, 8], "eight writes fill the batch: written without waiting a minute");

        // A turn that fills the batch to turnBatch closes it at its end.
        const busy = new LeaseWriter(store, { windowMs: 60_000, turnBatch: 4 });
        await Promise.all(Array.from({ length: 5 }, (_, i) => busy.write(lease(i))));
        assert.deepEqual(sizes, [2, 8, 5], "five writes in one turn: written at its end, not after a minute");

        const perTurn = new LeaseWriter(store, { windowMs: 0 });
        await perTurn.write(lease(2));
        await perTurn.write(lease(3));
        assert.deepEqual(sizes, [2, 8, 5, 1, 1]);
        assert.equal((await store.listLeases()).length, 8);
      } finally {
        await store.close();
        done();
      }
    });
  });
}
