import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, beforeEach, describe, it } from "node:test";
import { EventBus } from "../events/event-bus.js";
import { MemoryLogger } from "../logging/logger.js";
import { CowLayers } from "../services/nbd/cow-layers.js";
import { IN_USE_DIR, ImageCatalog, NBD_COW_DIR } from "./image-catalog.js";
import { ImageError } from "./image-error.js";

const V1 = "20261124-100000";
const V2 = "20261124-110000";
const V3 = "20261124-120000";
const V4 = "20261124-130000";

let data: string;
const dirs: string[] = [];

function addVersion(name: string, version: string): void {
  const dir = join(data, "images", name, version);
  mkdirSync(dir, { recursive: true });
  for (const f of ["root.squashfs", "vmlinuz", "initrd.img"])
    writeFileSync(join(dir, f), `${name} ${version} ${f}`);
  writeFileSync(
    join(dir, "manifest.json"),
    JSON.stringify({ format: 1, name, version, sha256: "x", size: 1, kernel_version: "6.1.0" }),
  );
}

function isCode(code: string, text?: RegExp) {
  return (e: unknown) => e instanceof ImageError && e.code === code && (!text || text.test(e.message));
}

beforeEach(() => {
  data = mkdtempSync(join(tmpdir(), "bf-img-catalog-"));
  dirs.push(data);
});
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("image catalog", () => {
  it("lists complete versions oldest first, ignoring builds in progress and other entries", async () => {
    addVersion("debian", V2);
    addVersion("debian", V1);
    mkdirSync(join(data, "images/debian/.build-20261124-120000-99"));
    mkdirSync(join(data, "images/debian/source"));
    mkdirSync(join(data, "images/.hidden"), { recursive: true });
    const c = new ImageCatalog(data);
    assert.deepEqual(await c.versions("debian"), [V1, V2]);
    assert.deepEqual(await c.list(), [
      { name: "debian", versions: [V1, V2], current: undefined, hasSource: true },
    ]);
    assert.deepEqual(await c.versions("nothere"), []);
    assert.deepEqual(await new ImageCatalog(join(data, "missing")).list(), []);
  });

  it("resolves the current version, or the newest when there is no current link", async () => {
    addVersion("debian", V1);
    addVersion("debian", V2);
    const c = new ImageCatalog(data);
    assert.equal((await c.resolve("debian")).version, V2);
    await c.setCurrent("debian", V1);
    assert.equal(readlinkSync(join(data, "images/debian/current")), V1);
    const p = await c.resolve("debian");
    assert.equal(p.version, V1);
    assert.equal(p.rootfs, join(data, "images/debian", V1, "root.squashfs"));
    assert.equal(p.initrd, join(data, "images/debian", V1, "initrd.img"));
    assert.equal((await c.manifest("debian", V2)).version, V2);
    // The switch leaves no temporary link behind.
    assert.deepEqual(readdirSync(join(data, "images/debian")).sort(), [V1, V2, "current"]);
  });

  it("says what exists when asked for what does not", async () => {
    addVersion("debian", V1);
    const c = new ImageCatalog(data);
    await assert.rejects(
      c.resolve("ubuntu"),
      isCode("IMAGE_NOT_FOUND", /bootfleet image build ubuntu --from/),
    );
    await assert.rejects(c.resolve("debian", V2), isCode("VERSION_NOT_FOUND", new RegExp(`it has ${V1}`)));
    await assert.rejects(c.setCurrent("debian", V2), isCode("VERSION_NOT_FOUND"));
    assert.throws(() => c.versionPaths("debian", "../x"), isCode("VERSION_NOT_FOUND"));
    assert.throws(() => c.imageDir("../x"), isCode("IMAGE_NAME_INVALID"));
  });

  it("counts acquisitions per holder and marks them on disk", () => {
    addVersion("debian", V1);
    const c = new ImageCatalog(data);
    const r1 = c.acquire("debian", V1, "52:54:00:00:00:01");
    const r2 = c.acquire("debian", V1, "52:54:00:00:00:01");
    assert.equal(c.isInUse("debian", V1), true);
    assert.deepEqual(c.holders("debian", V1), ["52:54:00:00:00:01"]);
    const marks = join(data, "images/debian", IN_USE_DIR, V1);
    assert.deepEqual(readdirSync(marks), [`${process.pid}`]);
    assert.equal(readFileSync(join(marks, `${process.pid}`), "utf8"), "52:54:00:00:00:01\n");
    // Another process sees the mark of a live one.
    assert.equal(
      new ImageCatalog(data).isInUse("debian", V1),
      false,
      "own pid's marks are counted in memory",
    );
    r1();
    r1(); // a release function works once
    assert.equal(c.isInUse("debian", V1), true);
    r2();
    assert.equal(c.isInUse("debian", V1), false);
    assert.equal(existsSync(marks), false);
  });

  it("writes one mark per process, its list of holders rewritten in batches", async (t) => {
    addVersion("debian", V1);
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const c = new ImageCatalog(data);
    const mark = join(data, "images/debian", IN_USE_DIR, V1, `${process.pid}`);
    const a = c.acquire("debian", V1, "52:54:00:00:00:01");
    const b = c.acquire("debian", V1, "52:54:00:00:00:02");
    // The mark exists from the first holder on; the second is listed with the next batch.
    assert.equal(readFileSync(mark, "utf8"), "52:54:00:00:00:01\n");
    t.mock.timers.tick(1000);
    assert.equal(readFileSync(mark, "utf8"), "52:54:00:00:00:01\n52:54:00:00:00:02\n");
    a();
    t.mock.timers.tick(1000);
    assert.equal(readFileSync(mark, "utf8"), "52:54:00:00:00:02\n");
    // The last holder out removes the mark at once.
    b();
    assert.equal(existsSync(mark), false);
  });

  it("sees marks of other live processes and drops those of dead ones", async () => {
    addVersion("debian", V1);
    const marks = join(data, "images/debian", IN_USE_DIR, V1);
    mkdirSync(marks, { recursive: true });
    const child = spawn("sleep", ["30"]);
    try {
      writeFileSync(join(marks, `${child.pid}`), "52:54:00:00:00:01\n198.18.30.10:40000\n");
      // The one-file-per-holder marks of earlier releases are read too.
      writeFileSync(join(marks, `${child.pid}-198.18.30.11:40000`), "");
      const c = new ImageCatalog(data);
      assert.deepEqual(c.holders("debian", V1).sort(), [
        `pid ${child.pid}: 198.18.30.10:40000`,
        `pid ${child.pid}: 198.18.30.11:40000`,
        `pid ${child.pid}: 52:54:00:00:00:01`,
      ]);
      await assert.rejects(c.removeVersion("debian", V1), isCode("VERSION_IN_USE", /in use by pid \d+/));
    } finally {
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    }
    const c = new ImageCatalog(data);
    assert.equal(c.isInUse("debian", V1), false);
    assert.deepEqual(readdirSync(marks), []);
  });

  it("removes a version, refusing the current one and one in use", async () => {
    for (const v of [V1, V2, V3]) addVersion("debian", v);
    const c = new ImageCatalog(data);
    await c.setCurrent("debian", V3);
    await assert.rejects(
      c.removeVersion("debian", V3),
      isCode("VERSION_CURRENT", /bootfleet image use debian 20261124-110000/),
    );
    const release = c.acquire("debian", V1, "lab3-14");
    await assert.rejects(c.removeVersion("debian", V1), isCode("VERSION_IN_USE", /by lab3-14/));
    await assert.rejects(c.removeImage("debian"), isCode("VERSION_IN_USE"));
    release();
    await c.removeVersion("debian", V1);
    assert.deepEqual(await c.versions("debian"), [V2, V3]);
    assert.deepEqual(
      readdirSync(join(data, "images/debian")).filter((n) => n.startsWith(".removing")),
      [],
    );
    await c.removeImage("debian");
    assert.equal(existsSync(join(data, "images/debian")), false);
    await assert.rejects(c.removeImage("debian"), isCode("IMAGE_NOT_FOUND"));
  });

  it("removing a version, pruning or removing the image removes the copy-on-write layers kept for it", async () => {
    for (const v of [V1, V2, V3, V4]) addVersion("debian", v);
    const c = new ImageCatalog(data);
    await c.setCurrent("debian", V4);
    // Where the NBD service keeps a machine's layer of each version.
    const layers = new CowLayers({
      dir: join(data, NBD_COW_DIR),
      holdMs: 0,
      bus: new EventBus(),
      log: new MemoryLogger(),
    });
    const kept = (v: string) => layers.keptPath(`debian@${v}`, "52:54:00:12:34:56");
    for (const v of [V1, V2, V3, V4]) {
      mkdirSync(join(kept(v), ".."), { recursive: true });
      writeFileSync(kept(v), "writes of lab3-14");
    }
    await c.removeVersion("debian", V1);
    assert.deepEqual(
      [V1, V2, V3, V4].map((v) => existsSync(kept(v))),
      [false, true, true, true],
    );
    assert.deepEqual(await c.prune("debian", 2), [V2]);
    assert.deepEqual(
      [V1, V2, V3, V4].map((v) => existsSync(kept(v))),
      [false, false, true, true],
    );
    await c.removeImage("debian");
    assert.deepEqual(readdirSync(join(data, NBD_COW_DIR)), []);
  });

  it("an external in-use check is honoured too", async () => {
    addVersion("debian", V1);
    addVersion("debian", V2);
    const c = new ImageCatalog(data, { inUse: (n, v) => n === "debian" && v === V1 });
    await assert.rejects(c.removeVersion("debian", V1), isCode("VERSION_IN_USE"));
  });

  it("prunes to N versions, oldest first, never the current, the newest or one in use", async () => {
    for (const v of [V1, V2, V3, V4]) addVersion("debian", v);
    const c = new ImageCatalog(data);
    await c.setCurrent("debian", V1);
    const release = c.acquire("debian", V2, "lab3-14");
    assert.deepEqual(await c.prune("debian", 2), [V3]);
    assert.deepEqual(await c.versions("debian"), [V1, V2, V4]);
    release();
    assert.deepEqual(await c.prune("debian", 2), [V2]);
    assert.deepEqual(await c.versions("debian"), [V1, V4]);
    assert.deepEqual(await c.prune("debian", 1), []);
    assert.deepEqual(await c.prune("debian", 5), []);
    assert.deepEqual(await c.versions("debian"), [V1, V4]);
  });
});
