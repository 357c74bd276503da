import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { SquashfsTreeCache } from "./squashfs-tree-cache.js";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "bf-nfs-trees-"));
  mkdirSync(join(dir, "src/etc"), { recursive: true });
  writeFileSync(join(dir, "src/etc/hostname"), "thin\n");
  execFileSync("mksquashfs", [
    join(dir, "src"),
    join(dir, "root.squashfs"),
    "-noappend",
    "-quiet",
    "-no-progress",
  ]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

it("unpacks a version once, for callers asking at the same time", async () => {
  const cache = new SquashfsTreeCache(join(dir, "trees"));
  const [a, b] = await Promise.all([
    cache.tree("thin", "20261124-153000", join(dir, "root.squashfs")),
    cache.tree("thin", "20261124-153000", join(dir, "root.squashfs")),
  ]);
  assert.equal(a, b);
  assert.equal(readFileSync(join(a, "etc/hostname"), "utf8"), "thin\n");
  assert.equal(await cache.tree("thin", "20261124-153000", "/nonexistent"), a, "kept: not unpacked again");
});

it("fails without leaving a half tree, and prunes versions that are gone", async () => {
  const cache = new SquashfsTreeCache(join(dir, "trees"));
  await assert.rejects(cache.tree("thin", "20261125-000000", join(dir, "missing.squashfs")));
  assert.equal(existsSync(join(dir, "trees/thin@20261125-000000")), false);
  mkdirSync(join(dir, "trees/.unpack-1-old@20260101-000000"));
  mkdirSync(join(dir, "trees/old@20260101-000000"));
  const removed = await cache.prune(new Set(["thin@20261124-153000"]));
  assert.deepEqual(removed.sort(), [".unpack-1-old@20260101-000000", "old@20260101-000000"]);
  assert.ok(existsSync(join(dir, "trees/thin@20261124-153000/etc/hostname")));
});
