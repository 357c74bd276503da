import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ImageTree } from "./image-tree.js";
import { makeTestTree as makeTree } from "./nfs-test-tree.js";

describe("ImageTree", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "bf-nfs-tree-"));
    makeTree(join(dir, "a"));
    makeTree(join(dir, "b"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("numbers entries the same way for the same tree, wherever it lies", async () => {
    const a = await ImageTree.open(join(dir, "a"));
    const b = await ImageTree.open(join(dir, "b"));
    const ids = (t: ImageTree) => Array.from({ length: t.size }, (_, i) => t.entry(i + 1)!.path);
    assert.deepEqual(ids(a), ids(b));
    // Root first, then breadth first in byte order ("Zeta" before "escape").
    assert.deepEqual(ids(a), [
      "",
      "bin",
      "etc",
      "bin/busybox",
      "etc/Zeta",
      "etc/escape",
      "etc/hostname",
      "etc/up",
    ]);
    await a.close();
    await b.close();
  });

  it("gives hard links one number", async () => {
    const t = await ImageTree.open(join(dir, "a"));
    const bin = t.lookup(t.entry(1)!, "bin")!;
    assert.equal(t.lookup(bin, "sh")!.id, t.lookup(bin, "busybox")!.id);
    await t.close();
  });

  it("keeps '..' of the root at the root, and returns symlinks unfollowed", async () => {
    const t = await ImageTree.open(join(dir, "a"));
    const root = t.entry(1)!;
    assert.equal(t.lookup(root, ".."), root);
    const etc = t.lookup(root, "etc")!;
    assert.equal(t.lookup(etc, ".."), root);
    const outward = t.lookup(etc, "escape")!;
    assert.ok(outward.stats.isSymbolicLink());
    assert.equal(await t.readlink(outward), "/etc/shadow");
    assert.equal(t.lookup(etc, "up/x"), undefined);
    await assert.rejects(t.read(outward, 0, 10));
    await t.close();
  });

  it("reads ranges of a file, short at its end", async () => {
    const t = await ImageTree.open(join(dir, "a"), { maxOpenFiles: 1 });
    const etc = t.lookup(t.entry(1)!, "etc")!;
    const host = t.lookup(etc, "hostname")!;
    assert.equal((await t.read(host, 0, 100)).toString(), "thin\n");
    assert.equal((await t.read(host, 2, 2)).toString(), "in");
    assert.equal((await t.read(host, 5, 10)).length, 0);
    const bb = t.lookup(t.lookup(t.entry(1)!, "bin")!, "busybox")!;
    const [x, y] = await Promise.all([t.read(bb, 65_536, 65_536), t.read(host, 0, 4)]);
    assert.equal(x.length, 70_000 - 65_536);
    assert.equal(y.toString(), "thin");
    await t.close();
  });
});
