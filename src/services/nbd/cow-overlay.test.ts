import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { NBD_STATE_HOLE, NBD_STATE_ZERO } from "../../protocols/nbd/nbd-constants.js";
import { COW_BLOCK_BYTES, CowOverlay } from "./cow-overlay.js";
import { openFileExport } from "./file-export-handle.js";
import type { NbdExportHandle } from "./nbd-export-source.js";

// Not a multiple of the block size: the last block is partial.
const SIZE = 10 * COW_BLOCK_BYTES + 1234;
let dir: string;
let baseBytes: Buffer;
let base: NbdExportHandle;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "bf-nbd-cow-"));
  baseBytes = randomBytes(SIZE);
  await writeFile(join(dir, "base"), baseBytes);
  base = await openFileExport(join(dir, "base"), { name: "base" });
});

after(async () => {
  await base.release();
  await rm(dir, { recursive: true, force: true });
});

async function readAll(o: CowOverlay): Promise<Buffer> {
  const b = Buffer.alloc(SIZE);
  await o.read(b, 0, SIZE, 0);
  return b;
}

describe("CowOverlay", () => {
  it("reads the base until written, then the written bytes, with unaligned writes merged", async () => {
    const o = await CowOverlay.open(base, { path: join(dir, "a.cow"), persistent: false });
    assert.deepEqual(await readAll(o), baseBytes);
    const model = Buffer.from(baseBytes);
    const writes: [number, number][] = [
      [1, 10],
      [4090, 20],
      [8192, 4096],
      [3 * 4096 + 7, 3 * 4096],
      [SIZE - 5, 5],
      [SIZE - 1234 - 3, 100],
    ];
    for (const [pos, len] of writes) {
      const data = randomBytes(len);
      data.copy(model, pos);
      await o.write(data, 0, len, pos);
    }
    assert.deepEqual(await readAll(o), model);
    // Two unaligned writes in one block at once must not lose either.
    const x = Buffer.alloc(100, "x");
    const y = Buffer.alloc(100, "y");
    await Promise.all([o.write(x, 0, 100, 9 * 4096 + 10), o.write(y, 0, 100, 9 * 4096 + 2000)]);
    x.copy(model, 9 * 4096 + 10);
    y.copy(model, 9 * 4096 + 2000);
    assert.deepEqual(await readAll(o), model);
    await o.close();
    assert.deepEqual(await readFile(join(dir, "base")), baseBytes);
    // The discarded layer's file is gone already.
    assert.ok(!(await readdir(dir)).includes("a.cow"));
  });

  it("writes zeroes (whole blocks as a map change) and reports them as holes", async () => {
    const o = await CowOverlay.open(base, { path: join(dir, "z.cow"), persistent: false });
    await o.writeZeroes(100, 3 * 4096, false);
    const model = Buffer.from(baseBytes);
    model.fill(0, 100, 100 + 3 * 4096);
    assert.deepEqual(await readAll(o), model);
    // Blocks 1 and 2 are wholly zero; 0 and 3 were partly written.
    assert.deepEqual(o.extents(0, 5 * 4096, 16), [
      { length: 4096, flags: 0 },
      { length: 8192, flags: NBD_STATE_HOLE | NBD_STATE_ZERO },
      { length: 8192, flags: 0 },
    ]);
    await o.writeZeroes(SIZE - 1234, 1234, true);
    model.fill(0, SIZE - 1234);
    await o.trim(4 * 4096 + 1, 4096); // no whole block inside: nothing changes
    assert.deepEqual(await readAll(o), model);
    await o.trim(5 * 4096, 4096);
    const after = await readAll(o);
    assert.deepEqual(after.subarray(5 * 4096, 6 * 4096), Buffer.alloc(4096));
    await o.close();
  });

  it("a persistent layer's answered writes are on disk without FLUSH or close (a server killed with SIGKILL)", async () => {
    const path = join(dir, "killed.cow");
    const o = await CowOverlay.open(base, { path, persistent: true });
    const model = Buffer.from(baseBytes);
    const data = randomBytes(3 * 4096 + 100);
    await o.write(data, 0, data.length, 4096 + 50);
    data.copy(model, 4096 + 50);
    await o.writeZeroes(6 * 4096, 2 * 4096, false);
    model.fill(0, 6 * 4096, 8 * 4096);
    // Zeroed, then written again: the map must say "data" for block 7.
    await o.write(Buffer.alloc(10, "w"), 0, 10, 7 * 4096 + 1);
    model.fill("w", 7 * 4096 + 1, 7 * 4096 + 11);
    // Another process opening the files now sees what this one answered,
    // as the next server does after a kill: nothing flushed, nothing closed.
    const next = await CowOverlay.open(base, { path, persistent: true });
    assert.deepEqual(await readAll(next), model);
    assert.deepEqual(next.extents(6 * 4096, 2 * 4096, 4), [
      { length: 4096, flags: NBD_STATE_HOLE | NBD_STATE_ZERO },
      { length: 4096, flags: 0 },
    ]);
    await next.close();
    await o.close();
  });

  it("keeps a layer: its writes come back after close and reopen", async () => {
    const path = join(dir, "kept.cow");
    const o = await CowOverlay.open(base, { path, persistent: true });
    const data = Buffer.alloc(5000, "k");
    await o.write(data, 0, 5000, 20000);
    await o.writeZeroes(0, 8192, false);
    await o.close();
    const again = await CowOverlay.open(base, { path, persistent: true });
    const model = Buffer.from(baseBytes);
    data.copy(model, 20000);
    model.fill(0, 0, 8192);
    assert.deepEqual(await readAll(again), model);
    await again.close();
    // A map that does not match the export (a different size) starts a fresh layer.
    await writeFile(`${path}.map`, Buffer.from("garbage"));
    const fresh = await CowOverlay.open(base, { path, persistent: true });
    assert.deepEqual(await readAll(fresh), baseBytes);
    await fresh.close();
  });
});
