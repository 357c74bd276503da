import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { waitUntil } from "../../test/support/wait-until.js";
import { type BootEvent, EventBus } from "../events/event-bus.js";
import { MemoryLogger } from "../logging/logger.js";
import { EventRecorder } from "./event-recorder.js";
import { MemoryStore } from "./memory/memory-store.js";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import type { MachineSeen, NewEvent, Store } from "./store.js";

const MAC = "52:54:00:12:34:56";
const dir = mkdtempSync(join(tmpdir(), "bf-recorder-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function clock(start = 1_763_000_000_000) {
  let t = start;
  return { now: () => t++ };
}

/** A whole boot as the services publish it. */
function publishBoot(bus: EventBus): void {
  bus.publish({ type: "dhcp.discover", mac: MAC, detail: { arch: 7 } });
  bus.publish({ type: "dhcp.offer", mac: MAC, ip: "198.18.0.14" });
  bus.publish({ type: "dhcp.request", mac: MAC });
  bus.publish({ type: "dhcp.ack", mac: MAC, ip: "198.18.0.14", detail: { hostname: "lab3-14" } });
  bus.publish({ type: "tftp.rrq", mac: MAC, ip: "198.18.0.14", detail: { file: "ipxe.efi" } });
  bus.publish({
    type: "http.get",
    mac: MAC,
    ip: "198.18.0.14",
    detail: { path: "/images/debian/3/vmlinuz" },
  });
  bus.publish({ type: "client.stage", mac: MAC, stage: "initrd" });
  bus.publish({ type: "client.stage", mac: MAC, stage: "root-mounted" });
  bus.publish({ type: "client.stage", mac: MAC, stage: "layers-applied" });
  bus.publish({ type: "client.stage", mac: MAC, stage: "init" });
}

for (const [name, make] of [
  ["memory", () => new MemoryStore()],
  ["sqlite", () => openSqliteStore(join(dir, `r-${Math.random()}.sqlite`))],
] as const) {
  describe(`event recorder (${name})`, () => {
    it("stores a whole boot in order and ends with the machine up", async () => {
      const store: Store = make();
      const bus = new EventBus(clock());
      const rec = new EventRecorder({ store, bus, logger: new MemoryLogger() });
      publishBoot(bus);
      await rec.flush();
      const events = await store.listEvents({ mac: MAC });
      assert.deepEqual(
        events.map((e) => e.stage ?? e.type),
        [
          "dhcp.discover",
          "dhcp.offer",
          "dhcp.request",
          "dhcp.ack",
          "tftp.rrq",
          "http.get",
          "initrd",
          "root-mounted",
          "layers-applied",
          "init",
        ],
      );
      assert.deepEqual(events[5]?.detail, { path: "/images/debian/3/vmlinuz" });
      const m = await store.getMachine(MAC);
      assert.equal(m?.state, "up");
      assert.equal(m?.ip, "198.18.0.14");
      assert.equal(m?.hostname, "lab3-14");
      assert.equal(m?.arch, 7);
      assert.equal(m?.firstSeen, 1_763_000_000_000);
      assert.equal(m?.lastSeen, 1_763_000_000_009);
      await rec.close();
      await store.close();
    });

    it("tracks the state stage by stage; a renewal leaves a running machine up", async () => {
      const store: Store = make();
      const bus = new EventBus(clock());
      const rec = new EventRecorder({ store, bus, logger: new MemoryLogger() });
      const step = async (input: Parameters<EventBus["publish"]>[0]) => {
        bus.publish({ mac: MAC, ...input });
        await rec.flush();
        return (await store.getMachine(MAC))?.state;
      };
      assert.equal(await step({ type: "dhcp.request" }), "dhcp", "a new machine's first request");
      assert.equal(await step({ type: "tftp.rrq", detail: { file: "undionly.kpxe" } }), "dhcp");
      assert.equal(
        await step({ type: "tftp.done", detail: { file: "boot/vmlinuz-6.1.0-13-amd64" } }),
        "loading",
      );
      assert.equal(await step({ type: "client.stage", stage: "initrd" }), "loading");
      assert.equal(await step({ type: "dhcp.discover" }), "dhcp", "the initramfs's own DHCP");
      assert.equal(await step({ type: "client.stage", stage: "layers-applied" }), "root-mounted");
      assert.equal(await step({ type: "client.stage", stage: "init" }), "up");
      assert.equal(await step({ type: "dhcp.request" }), "up", "renewal");
      assert.equal(await step({ type: "dhcp.ack" }), "up", "renewal");
      assert.equal(await step({ type: "nbd.connect" }), "up");
      assert.equal(await step({ type: "dhcp.release" }), "off");
      assert.equal(await step({ type: "dhcp.discover" }), "dhcp");
      assert.equal(await step({ type: "client.stage", stage: "failed" }), "failed");
      assert.equal(await step({ type: "dhcp.request" }), "dhcp", "a failed machine retrying");
      await rec.close();
      await store.close();
    });

    it("a boot-file fetch or a refusal in a machine's name does not move its address", async () => {
      const store: Store = make();
      const bus = new EventBus(clock());
      const rec = new EventRecorder({ store, bus, logger: new MemoryLogger() });
      bus.publish({ type: "dhcp.ack", mac: MAC, ip: "198.18.0.14" });
      // Another address fetching this machine's files by name.
      bus.publish({ type: "http.get", mac: MAC, ip: "198.18.0.66", detail: { path: `/boot/${MAC}.ipxe` } });
      bus.publish({ type: "tftp.rrq", mac: MAC, ip: "198.18.0.66", detail: { file: "pxelinux.cfg/01-x" } });
      bus.publish({ type: "security.identity_mismatch", mac: MAC, ip: "198.18.0.66" });
      await rec.flush();
      assert.equal((await store.getMachine(MAC))?.ip, "198.18.0.14");
      // A machine only ever fetched for is seen, with no address.
      const other = "52:54:00:12:34:99";
      bus.publish({
        type: "http.get",
        mac: other,
        ip: "198.18.0.66",
        detail: { path: `/boot/${other}.ipxe` },
      });
      await rec.flush();
      assert.equal((await store.getMachine(other))?.ip, null);
      // The events keep where each request came from.
      const ips = (await store.listEvents({ mac: MAC })).map((e) => e.ip);
      assert.deepEqual(ips, ["198.18.0.14", "198.18.0.66", "198.18.0.66", "198.18.0.66"]);
      await rec.close();
      await store.close();
    });
  });
}

/** A store whose addEvents waits until released, to see what the publisher does meanwhile. */
class GatedStore extends MemoryStore {
  gate: Promise<void> = Promise.resolve();
  calls = 0;
  fail = false;
  override async addEvents(events: readonly NewEvent[]): Promise<readonly number[]> {
    this.calls++;
    await this.gate;
    if (this.fail) throw new Error("disk full");
    return super.addEvents(events);
  }
  override async addEvent(event: NewEvent): Promise<number> {
    if (this.fail) throw new Error("disk full");
    return super.addEvent(event);
  }
}

describe("event recorder", () => {
  it("never makes the publisher wait, and batches in order", async () => {
    const store = new GatedStore();
    let release!: () => void;
    store.gate = new Promise((r) => (release = r));
    const bus = new EventBus(clock());
    const rec = new EventRecorder({ store, bus, logger: new MemoryLogger(), maxBatch: 7 });
    const persisted: BootEvent[] = [];
    rec.onPersisted((e) => persisted.push(e));
    for (let i = 0; i < 100; i++) bus.publish({ type: "tftp.rrq", detail: { i } });
    assert.equal(store.calls, 0, "nothing written inside publish()");
    await new Promise((r) => setImmediate(r));
    assert.equal(store.calls, 1, "one batch in flight");
    for (let i = 100; i < 120; i++) bus.publish({ type: "tftp.rrq", detail: { i } });
    release();
    await rec.flush();
    const rows = await store.listEvents({});
    assert.deepEqual(
      rows.map((r) => r.detail.i),
      Array.from({ length: 120 }, (_, i) => i),
    );
    assert.deepEqual(
      persisted.map((e) => e.id),
      rows.map((r) => r.id),
    );
    assert.equal(store.calls, Math.ceil(120 / 7));
    await rec.close();
  });

  it("events that come while a batch is written wait for a window, not a transaction of their own", async () => {
    const store = new GatedStore();
    let release!: () => void;
    store.gate = new Promise((r) => (release = r));
    const bus = new EventBus(clock());
    const rec = new EventRecorder({
      store,
      bus,
      logger: new MemoryLogger(),
      maxBatch: 10,
      batchWindowMs: 3_600_000,
    });
    const persisted: BootEvent[] = [];
    rec.onPersisted((e) => persisted.push(e));
    for (let i = 0; i < 10; i++) bus.publish({ type: "tftp.rrq", detail: { i } });
    await new Promise((r) => setImmediate(r));
    assert.equal(store.calls, 1, "a full batch goes at once");
    for (let i = 10; i < 13; i++) bus.publish({ type: "tftp.rrq", detail: { i } });
    release();
    await waitUntil(() => persisted.length === 10, "the first batch stored");
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    assert.equal(store.calls, 1, "the three that came meanwhile wait for their window");
    await rec.flush();
    assert.equal(store.calls, 2);
    assert.deepEqual(
      (await store.listEvents({})).map((r) => r.detail.i),
      Array.from({ length: 13 }, (_, i) => i),
    );
    await rec.close();
  });

  it("gathers the events of one window into one transaction; flush() does not wait for the window", async () => {
    const store = new GatedStore();
    const bus = new EventBus(clock());
    // A window no test run reaches: only flush() can end it.
    const rec = new EventRecorder({ store, bus, logger: new MemoryLogger(), batchWindowMs: 3_600_000 });
    for (let i = 0; i < 4; i++) bus.publish({ type: "dhcp.discover", mac: MAC, detail: { i } });
    await new Promise((r) => setImmediate(r));
    assert.equal(store.calls, 0, "the window is still open");
    await rec.flush();
    assert.equal(store.calls, 1, "one transaction for the four");
    assert.equal((await store.listEvents({})).length, 4);

    const bus2 = new EventBus(clock());
    const short = new EventRecorder({ store, bus: bus2, logger: new MemoryLogger(), batchWindowMs: 1 });
    bus2.publish({ type: "dhcp.offer", mac: MAC });
    bus2.publish({ type: "dhcp.ack", mac: MAC });
    await waitUntil(() => store.calls === 2, "the window's batch written without a flush");
    assert.equal((await store.listEvents({})).length, 6);
    await short.close();
    await rec.close();
  });

  it("writes one machine row per machine and batch, first_seen its first event's moment", async () => {
    const rows: MachineSeen[][] = [];
    const store = new (class extends MemoryStore {
      override async noteMachines(seen: readonly MachineSeen[]): Promise<void> {
        rows.push([...seen]);
        return super.noteMachines(seen);
      }
    })();
    const bus = new EventBus(clock());
    const rec = new EventRecorder({ store, bus, logger: new MemoryLogger() });
    const other = "52:54:00:00:00:02";
    publishBoot(bus);
    bus.publish({ type: "dhcp.discover", mac: other, detail: { arch: 0 } });
    await rec.flush();
    assert.deepEqual(
      rows[0]?.map((r) => r.mac),
      [MAC, other],
      "a machine never seen before: one row too",
    );
    const first = await store.getMachine(MAC);
    assert.equal(first?.firstSeen, 1_763_000_000_000);
    assert.ok((first?.lastSeen ?? 0) > (first?.firstSeen ?? 0), "last_seen: the batch's last event");
    publishBoot(bus);
    await rec.flush();
    assert.equal(rows[1]?.length, 1, "a machine already seen: one row");
    const m = await store.getMachine(MAC);
    assert.equal(m?.state, "up");
    assert.equal(m?.hostname, "lab3-14");
    assert.equal(m?.firstSeen, 1_763_000_000_000);
    assert.equal(m?.lastSeen, 1_763_000_000_020);
    await rec.close();
  });

  it("reads a new machine's state from the store only when its first event does not set it", async () => {
    const reads: string[] = [];
    const store = new (class extends MemoryStore {
      override async getMachine(mac: string) {
        reads.push(mac);
        return super.getMachine(mac);
      }
    })();
    await store.noteMachines([{ mac: "52:54:00:00:00:03", state: "up", at: 1 }]);
    const bus = new EventBus(clock());
    const rec = new EventRecorder({ store, bus, logger: new MemoryLogger() });
    bus.publish({ type: "dhcp.discover", mac: "52:54:00:00:00:01" });
    bus.publish({ type: "dhcp.request", mac: "52:54:00:00:00:01" });
    bus.publish({ type: "dhcp.request", mac: "52:54:00:00:00:03" });
    await rec.flush();
    assert.deepEqual(reads, ["52:54:00:00:00:03"], "a DISCOVER starts a boot whatever came before");
    assert.equal((await store.getMachine("52:54:00:00:00:01"))?.state, "dhcp");
    assert.equal(
      (await store.getMachine("52:54:00:00:00:03"))?.state,
      "up",
      "a renewal of a running machine",
    );
    await rec.close();
  });

  it("skips syslog lines; stops listening on close", async () => {
    const store = new MemoryStore();
    const bus = new EventBus(clock());
    const rec = new EventRecorder({ store, bus, logger: new MemoryLogger() });
    bus.publish({ type: "syslog.line", mac: MAC, detail: { message: "x" } });
    bus.publish({ type: "nbd.connect", mac: MAC });
    await rec.close();
    bus.publish({ type: "nbd.disconnect", mac: MAC });
    await rec.flush();
    assert.deepEqual(
      (await store.listEvents({})).map((e) => e.type),
      ["nbd.connect"],
    );
  });

  it("drops the oldest when the queue is full, and logs it", async () => {
    const store = new GatedStore();
    let release!: () => void;
    store.gate = new Promise((r) => (release = r));
    const logger = new MemoryLogger();
    const bus = new EventBus(clock());
    // No batch window: the first event goes to the store at once and holds it.
    const rec = new EventRecorder({ store, bus, logger, maxQueue: 5, maxBatch: 100, batchWindowMs: 0 });
    bus.publish({ type: "x.first" });
    await new Promise((r) => setImmediate(r)); // first batch in flight, holding x.first
    for (let i = 0; i < 8; i++) bus.publish({ type: `x.e${i}` });
    assert.equal(rec.dropped, 3);
    release();
    await rec.flush();
    assert.deepEqual(
      (await store.listEvents({})).map((e) => e.type),
      ["x.first", "x.e3", "x.e4", "x.e5", "x.e6", "x.e7"],
    );
    assert.equal(logger.records.filter((r) => r.level === "warn").length, 1);
    await rec.close();
  });

  it("an event whose detail cannot be stored does not lose its batch", async () => {
    for (const store of [new MemoryStore(), openSqliteStore(join(dir, "bigint.sqlite"))]) {
      const bus = new EventBus(clock());
      const rec = new EventRecorder({ store, bus, logger: new MemoryLogger() });
      bus.publish({ type: "x.before", mac: MAC });
      bus.publish({ type: "x.bad", mac: MAC, detail: { n: 1n } });
      bus.publish({ type: "x.after", mac: MAC });
      await rec.close();
      const rows = await store.listEvents({});
      assert.deepEqual(
        rows.map((e) => e.type),
        ["x.before", "x.bad", "x.after"],
      );
      assert.deepEqual(rows[1]?.detail, { unstorable_detail: "Do not know how to serialize a BigInt" });
      assert.ok((await store.getMachine(MAC)) !== null);
      await store.close();
    }
  });

  it("logs a failed batch and goes on with the next", async () => {
    const store = new GatedStore();
    store.fail = true;
    const logger = new MemoryLogger();
    const bus = new EventBus(clock());
    const rec = new EventRecorder({ store, bus, logger });
    bus.publish({ type: "x.lost" });
    await rec.flush();
    store.fail = false;
    bus.publish({ type: "x.kept" });
    await rec.flush();
    assert.deepEqual(
      (await store.listEvents({})).map((e) => e.type),
      ["x.kept"],
    );
    assert.equal(logger.records[0]?.msg, "could not store boot events");
    await rec.close();
  });
});
