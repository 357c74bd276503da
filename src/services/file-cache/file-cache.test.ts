import assert from "node:assert/strict";
import {
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { DEFAULT_FILE_CACHE_BYTES, FileCache } from "./file-cache.js";

const dir = mkdtempSync(join(tmpdir(), "bf-file-cache-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(body: string): string {
  const path = join(dir, `f${++n}`);
  writeFileSync(path, body);
  return path;
}

describe("file cache", () => {
  it("reads a file once into shared memory; later reads of the same version are hits", async () => {
    const cache = new FileCache();
    assert.equal(cache.maxBytes, DEFAULT_FILE_CACHE_BYTES);
    const path = file("pxelinux.0 bytes");
    const first = await cache.read(path, statSync(path));
    assert.equal(first.toString(), "pxelinux.0 bytes");
    // Transfer worker threads take the bytes without a copy.
    assert.ok(first.buffer instanceof SharedArrayBuffer);
    assert.equal(await cache.read(path, statSync(path)), first);
    assert.deepEqual(cache.stats, { entries: 1, bytes: 16, hits: 1, misses: 1 });
  });

  it("concurrent first reads share one read", async () => {
    const cache = new FileCache();
    const path = file("initrd");
    const st = statSync(path);
    const bodies = await Promise.all(Array.from({ length: 20 }, () => cache.read(path, st)));
    assert.ok(bodies.every((b) => b === bodies[0]));
    assert.equal(cache.stats.misses, 1);
    assert.equal(cache.stats.hits, 19);
  });

  it("reads the file again when it was rewritten in place or replaced", async () => {
    const cache = new FileCache();
    const path = file("kernel v1");
    assert.equal((await cache.read(path, statSync(path))).toString(), "kernel v1");
    writeFileSync(path, "kernel v2, longer");
    assert.equal((await cache.read(path, statSync(path))).toString(), "kernel v2, longer");
    // Same size and mtime put back: ctime still tells the versions apart.
    const before = statSync(path);
    writeFileSync(path, "kernel v3, longer");
    utimesSync(path, before.atime, before.mtime);
    assert.equal((await cache.read(path, statSync(path))).toString(), "kernel v3, longer");
    const next = file("kernel v4");
    renameSync(next, path);
    assert.equal((await cache.read(path, statSync(path))).toString(), "kernel v4");
    assert.equal(cache.stats.hits, 0);
  });

  it("drops the least recently used files to stay within its budget", async () => {
    const cache = new FileCache({ maxBytes: 10 });
    const [a, b, c] = [file("aaaa"), file("bbbb"), file("cccc")];
    await cache.read(a, statSync(a));
    await cache.read(b, statSync(b));
    await cache.read(a, statSync(a)); // a is now newer than b
    await cache.read(c, statSync(c));
    assert.deepEqual(cache.stats, { entries: 2, bytes: 8, hits: 1, misses: 3 });
    await cache.read(a, statSync(a));
    assert.equal(cache.stats.hits, 2, "a was kept");
    await cache.read(b, statSync(b));
    assert.equal(cache.stats.misses, 4, "b was dropped");
  });

  it("reads a file over its budget for the caller without keeping it", async () => {
    const cache = new FileCache({ maxBytes: 4 });
    const path = file("too big for the budget");
    assert.equal((await cache.read(path, statSync(path))).toString(), "too big for the budget");
    assert.deepEqual(cache.stats, { entries: 0, bytes: 0, hits: 0, misses: 1 });
  });

  it("returns what is left of a file that shrank since the stat, and does not keep it", async () => {
    const cache = new FileCache();
    const path = file("0123456789");
    const st = statSync(path);
    truncateSync(path, 4);
    assert.equal((await cache.read(path, st)).toString(), "0123");
    assert.equal(cache.stats.entries, 0);
    assert.equal(cache.stats.bytes, 0);
  });

  it("refuses a file that is not the one the stat saw, and keeps nothing", async () => {
    const cache = new FileCache();
    const path = file("checked");
    const st = statSync(path);
    renameSync(file("swapped in"), path);
    await assert.rejects(cache.read(path, st), { message: "file changed while opening" });
    assert.deepEqual(cache.stats, { entries: 0, bytes: 0, hits: 0, misses: 1 });
  });

  it("refuses a symlink unless told to follow it (HTTP paths may be symlinks)", async () => {
    const cache = new FileCache();
    const target = file("ipxe.efi");
    const link = join(dir, "link.efi");
    symlinkSync(target, link);
    const st = statSync(link);
    await assert.rejects(cache.read(link, st), { code: "ELOOP" });
    assert.equal((await cache.read(link, st, { followSymlinks: true })).toString(), "ipxe.efi");
    // One entry per file, whichever name it was read by.
    assert.equal(await cache.read(target, statSync(target)), await cache.read(link, st));
    assert.equal(cache.stats.entries, 1);
  });
});
