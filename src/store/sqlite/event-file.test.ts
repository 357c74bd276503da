/**
 * The SQLite store's event file: events from the main file of an older
 * version move over with their ids, the serving thread keeps committing
 * leases while the event file is locked, details are stored as JSON gives
 * them, and a writer thread that cannot run loses no event.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { EventBus } from "../../events/event-bus.js";
import { MemoryLogger } from "../../logging/logger.js";
import { EventRecorder } from "../event-recorder.js";
import { eventFileOf } from "./event-file.js";
import { openSqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "bf-event-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const newFile = () => join(dir, `s${++n}.sqlite`);

const lease = (i: number) => ({
  ip: `198.18.7.${i}`,
  mac: "52:54:00:00:07:01",
  network: "198.18.7.0/24",
  state: "bound" as const,
  hostname: null,
  clientId: null,
  start: i,
  expires: i + 3_600_000,
});

describe("sqlite event file", () => {
  it("lives next to the store file, and events are read back from it", async () => {
    const file = newFile();
    const store = openSqliteStore(file);
    const ids = await store.addEvents([
      { at: 1, type: "dhcp.discover", protocol: "dhcp", mac: "52:54:00:00:07:01" },
      { at: 2, type: "dhcp.offer", protocol: "dhcp", mac: "52:54:00:00:07:01", ip: "198.18.7.9" },
    ]);
    assert.equal(ids.length, 2);
    assert.equal(ids[1], (ids[0] ?? 0) + 1);
    await store.close();
    assert.equal(eventFileOf(file), file.replace(/\.sqlite$/, "-events.sqlite"));
    const raw = new Database(eventFileOf(file), { readonly: true });
    assert.equal((raw.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n, 2);
    raw.close();
    const again = openSqliteStore(file);
    assert.deepEqual(
      (await again.listEvents({ mac: "52:54:00:00:07:01" })).map((e) => [e.id, e.type, e.ip]),
      [
        [ids[0], "dhcp.discover", null],
        [ids[1], "dhcp.offer", "198.18.7.9"],
      ],
    );
    await again.close();
  });

  it("moves the events an older version kept in the main file, with their ids", async () => {
    const file = newFile();
    await openSqliteStore(file).close();
    // What an older bootfleet left: events in the main file.
    const old = new Database(file);
    const insert = old.prepare(
      "INSERT INTO events (id, at, type, protocol, mac, detail) VALUES (?, ?, 'nbd.connect', 'nbd', ?, ?)",
    );
    insert.run(41, 1000, "52:54:00:00:07:02", '{"export":"lab"}');
    insert.run(42, 2000, "52:54:00:00:07:03", "{}");
    old.close();

    const store = openSqliteStore(file);
    const moved = await store.listEvents({ type: "nbd.connect" });
    assert.deepEqual(
      moved.map((e) => [e.id, e.mac, e.detail]),
      [
        [41, "52:54:00:00:07:02", { export: "lab" }],
        [42, "52:54:00:00:07:03", {}],
      ],
    );
    // New events come after them, so `events --follow` resumes in order.
    const [next] = await store.addEvents([{ at: 3000, type: "dhcp.discover", protocol: "dhcp" }]);
    assert.equal(next, 43);
    await store.close();
    const main = new Database(file, { readonly: true });
    assert.equal((main.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n, 0);
    main.close();
  });

  it("commits leases while another process holds the event file's write lock", async () => {
    const file = newFile();
    const store = openSqliteStore(file);
    await store.addEvents([{ at: 1, type: "dhcp.discover", protocol: "dhcp" }]);
    const other = new Database(eventFileOf(file));
    other.exec("BEGIN IMMEDIATE");
    let stored = false;
    const pending = store
      .addEvents([{ at: 2, type: "dhcp.ack", protocol: "dhcp", mac: "52:54:00:00:07:01" }])
      .then((ids) => {
        stored = true;
        return ids;
      });
    // The serving thread goes on: leases commit and timers fire while the
    // event writer waits for the lock.
    for (let i = 1; i <= 20; i++) await store.putLease(lease(i));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await store.getLeaseByIp("198.18.7.20"))?.start, 20);
    assert.equal(stored, false, "the event was stored through another process's write lock");
    other.exec("COMMIT");
    other.close();
    assert.equal((await pending).length, 1);
    assert.deepEqual(
      (await store.listEvents({ type: "dhcp.ack" })).map((e) => e.mac),
      ["52:54:00:00:07:01"],
    );
    await store.close();
  });

  it("stores a detail as JSON gives it, and refuses one JSON cannot hold", async () => {
    const store = openSqliteStore(newFile());
    // A function cannot cross to the writer thread; JSON leaves it out.
    const [id] = await store.addEvents([
      {
        at: 1,
        type: "api.note",
        protocol: "api",
        detail: { who: "admin", f: () => 1 } as Record<string, unknown>,
      },
    ]);
    assert.deepEqual(
      (await store.listEvents({ type: "api.note" })).map((e) => [e.id, e.detail]),
      [[id, { who: "admin" }]],
    );
    // A BigInt fails the whole batch, so that the recorder can store the
    // others one by one (event-recorder.ts).
    await assert.rejects(
      store.addEvents([
        { at: 2, type: "api.note", protocol: "api" },
        { at: 3, type: "api.note", protocol: "api", detail: { n: 1n } },
      ]),
      /BigInt/,
    );
    assert.equal((await store.listEvents({ type: "api.note" })).length, 1);
    await store.close();
  });

  it("when the writer thread cannot run, the events are written by the serving thread", async () => {
    const file = newFile();
    const alone = openSqliteStore(file);
    // The thread opens the file by name on the first write; moved away,
    // it fails to start, and says why.
    renameSync(eventFileOf(file), `${eventFileOf(file)}.alone`);
    await assert.rejects(
      alone.addEvents([{ at: 1, type: "dhcp.discover", protocol: "dhcp" }]),
      /the event writer thread stopped: SQLITE_CANTOPEN/,
    );
    await alone.close();

    // Through the event recorder no event is lost: the batch the thread
    // refused is stored again one event at a time, by the serving
    // thread's own connection to the file.
    const store = openSqliteStore(file);
    renameSync(eventFileOf(file), `${eventFileOf(file)}.moved`);
    const bus = new EventBus({ now: () => 1_763_000_000_000 });
    const recorder = new EventRecorder({ store, bus, logger: new MemoryLogger(), batchWindowMs: 0 });
    bus.publish({ type: "dhcp.discover", mac: "52:54:00:00:07:04" });
    bus.publish({ type: "dhcp.offer", mac: "52:54:00:00:07:04", ip: "198.18.7.4" });
    await recorder.flush();
    bus.publish({ type: "dhcp.request", mac: "52:54:00:00:07:04" });
    await recorder.flush();
    assert.deepEqual(
      (await store.listEvents({ mac: "52:54:00:00:07:04" })).map((e) => e.type),
      ["dhcp.discover", "dhcp.offer", "dhcp.request"],
    );
    await recorder.close();
    await store.close();
  });

  it("an in-memory store keeps its events in memory", async () => {
    const store = openSqliteStore(":memory:");
    await store.addEvents([{ at: 1, type: "dhcp.discover", protocol: "dhcp" }]);
    assert.equal((await store.listEvents({})).length, 1);
    await store.close();
    assert.equal(existsSync(eventFileOf(":memory:")), false);
  });
});
