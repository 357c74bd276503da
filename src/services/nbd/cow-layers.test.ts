import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { waitUntil } from "../../../test/support/wait-until.js";
import { type BootEvent, EventBus } from "../../events/event-bus.js";
import { MemoryLogger } from "../../logging/logger.js";
import { COW_BLOCK_BYTES } from "./cow-overlay.js";
import { CowLayers } from "./cow-layers.js";
import { openFileExport } from "./file-export-handle.js";
import type { NbdCowSetting, NbdExportHandle } from "./nbd-export-source.js";

const SIZE = 8 * COW_BLOCK_BYTES;
const EXPORT = "debian@20261124-153000";
const MAC = "52:54:00:16:00:01";
let dir: string;
let cowDir: string;
let baseBytes: Buffer;
let events: BootEvent[];
let bus: EventBus;
let released: number;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "bf-cow-layers-"));
  baseBytes = randomBytes(SIZE);
  await writeFile(join(dir, "base"), baseBytes);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let run = 0;
beforeEach(() => {
  cowDir = join(dir, `cow-${run++}`);
  events = [];
  bus = new EventBus();
  bus.subscribe((e) => events.push(e));
  released = 0;
});

function layers(holdMs = 60_000): CowLayers {
  return new CowLayers({ dir: cowDir, holdMs, bus, log: new MemoryLogger() });
}

/** A connection's handle to the export, counting releases (the catalog's in-use mark). */
function handle(cow: NbdCowSetting): Promise<NbdExportHandle> {
  return openFileExport(join(dir, "base"), {
    name: EXPORT,
    cow,
    mac: MAC,
    onRelease: () => {
      released++;
    },
  });
}

async function readAll(lease: {
  overlay: { read(b: Buffer, o: number, l: number, p: number): Promise<void> };
}) {
  const b = Buffer.alloc(SIZE);
  await lease.overlay.read(b, 0, SIZE, 0);
  return b;
}

const WRITTEN = Buffer.alloc(5000, "m");
function model(): Buffer {
  const m = Buffer.from(baseBytes);
  WRITTEN.copy(m, 3000);
  return m;
}

const ofType = (type: string) => events.filter((e) => e.type === type);

describe("CowLayers: a running machine's layer", () => {
  it("is held after its connection ends and given back, with its writes, when the machine reconnects", async () => {
    const cow = layers();
    const first = await cow.acquire(await handle({ holdKey: MAC }));
    assert.equal(first.shared, true);
    await first.overlay.write(WRITTEN, 0, WRITTEN.length, 3000);
    await first.release();
    // Held: the base stays open (the version stays in use) and the files stay.
    assert.equal(released, 0);
    assert.deepEqual(cow.held(), [{ exportName: EXPORT, owner: MAC }]);
    assert.ok(existsSync(cow.heldPath(EXPORT, MAC)));

    const again = await cow.acquire(await handle({ holdKey: MAC }));
    assert.deepEqual(await readAll(again), model());
    assert.equal(released, 1, "the reconnect's own handle is released; the layer keeps its first one");
    assert.equal(ofType("nbd.cow_reclaimed").length, 1);
    assert.equal(ofType("nbd.cow_reclaimed")[0]?.mac, MAC);
    assert.deepEqual(cow.held(), []);
    await again.release();
    await cow.close();
    assert.equal(released, 2);
    // Closing the service leaves it for the next start.
    assert.ok(existsSync(cow.heldPath(EXPORT, MAC)));
  });

  it("is removed, with an event, when the hold time runs out", async () => {
    const cow = layers(20);
    const lease = await cow.acquire(await handle({ holdKey: MAC }));
    await lease.overlay.write(WRITTEN, 0, WRITTEN.length, 3000);
    await lease.release();
    await waitUntil(() => ofType("nbd.cow_removed").length === 1, "nbd.cow_removed");
    const removed = ofType("nbd.cow_removed")[0]!;
    assert.equal(removed.mac, MAC);
    assert.deepEqual(removed.detail, { export: EXPORT, reason: "not reclaimed within 0.02 s" });
    assert.equal(existsSync(cow.heldPath(EXPORT, MAC)), false);
    assert.equal(existsSync(`${cow.heldPath(EXPORT, MAC)}.map`), false);
    assert.equal(released, 1);
    // The next connection starts from the image.
    const fresh = await cow.acquire(await handle({ holdKey: MAC }));
    assert.deepEqual(await readAll(fresh), baseBytes);
    await fresh.release();
    await cow.close();
  });

  it("is removed when the machine boots again; one still connected keeps its writes but no new connection gets it", async () => {
    const cow = layers();
    const held = await cow.acquire(await handle({ holdKey: MAC }));
    await held.overlay.write(WRITTEN, 0, WRITTEN.length, 3000);
    await held.release();
    cow.machineBooted(MAC);
    // The event comes once the file is gone; the file alone can vanish a
    // turn of the event loop before the removal has finished and said so.
    await waitUntil(() => ofType("nbd.cow_removed").length > 0, "the held layer's removal reported");
    assert.equal(existsSync(cow.heldPath(EXPORT, MAC)), false);
    assert.deepEqual(ofType("nbd.cow_removed")[0]?.detail, {
      export: EXPORT,
      reason: "the machine booted again",
    });
    assert.equal(released, 1);

    // A power cut: the old boot's socket is still open when the new boot connects.
    const old = await cow.acquire(await handle({ holdKey: MAC }));
    await old.overlay.write(WRITTEN, 0, WRITTEN.length, 3000);
    cow.machineBooted(MAC);
    const next = await cow.acquire(await handle({ holdKey: MAC }));
    assert.deepEqual(await readAll(next), baseBytes);
    assert.deepEqual(await readAll(old), model());
    await old.release();
    await next.release();
    assert.deepEqual(cow.held(), [{ exportName: EXPORT, owner: MAC }]);
    await cow.close();
  });

  it("left on disk by a server that was killed is recovered at start and reclaimed by the machine", async () => {
    const before = layers();
    const lease = await before.acquire(await handle({ holdKey: MAC }));
    await lease.overlay.write(WRITTEN, 0, WRITTEN.length, 3000);
    // No release, no flush, no close: the process died here.

    const after = layers();
    assert.equal(await after.recover(), 1);
    assert.deepEqual(after.held(), [{ exportName: EXPORT, owner: MAC }]);
    const back = await after.acquire(await handle({ holdKey: MAC }));
    assert.deepEqual(await readAll(back), model());
    assert.equal(ofType("nbd.cow_reclaimed").length, 1);
    await back.release();
    await after.close();
    await lease.release();
    await before.close();
  });

  it("a recovered layer its machine does not reclaim is removed when the hold time runs out", async () => {
    const before = layers();
    const lease = await before.acquire(await handle({ holdKey: MAC }));
    await lease.release();
    await before.close();
    const after = layers(20);
    assert.equal(await after.recover(), 1);
    await waitUntil(() => ofType("nbd.cow_removed").length === 1, "nbd.cow_removed");
    assert.equal(ofType("nbd.cow_removed")[0]?.mac, MAC, "the MAC is read back from the file name");
    assert.equal(existsSync(after.heldPath(EXPORT, MAC)), false);
    await after.close();
  });

  it("kept layers (cow_keep) are not held, timed out or removed at a new boot; a connection's own layer leaves nothing", async () => {
    const cow = layers(20);
    const kept = await cow.acquire(await handle({ keepKey: MAC }));
    await kept.overlay.write(WRITTEN, 0, WRITTEN.length, 3000);
    await kept.release();
    assert.equal(released, 1, "a kept layer closes with its last connection");
    cow.machineBooted(MAC);
    const again = await cow.acquire(await handle({ keepKey: MAC }));
    assert.deepEqual(await readAll(again), model());
    await again.release();

    const own = await cow.acquire(await handle({}));
    assert.equal(own.shared, false);
    await own.overlay.write(WRITTEN, 0, WRITTEN.length, 3000);
    await own.release();
    await cow.close();
    assert.deepEqual(cow.held(), []);
    assert.equal(ofType("nbd.cow_removed").length, 0);
    assert.equal(ofType("nbd.cow_reclaimed").length, 0);
  });
});
