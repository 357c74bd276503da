import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MemoryLogger } from "../logging/logger.js";
import { makeTestTree } from "../services/nfs/nfs-test-tree.js";
import { CatalogNfsExports, parseExportPath } from "./catalog-nfs-exports.js";
import { ImageCatalog } from "./image-catalog.js";
import { SquashfsTreeCache } from "./squashfs-tree-cache.js";

const V1 = "20261124-153000";
const V2 = "20261125-090000";

describe("CatalogNfsExports", () => {
  let data: string;
  before(() => {
    data = mkdtempSync(join(tmpdir(), "bf-nfs-catalog-"));
    for (const [v, host] of [
      [V1, "one"],
      [V2, "two"],
    ] as const) {
      const src = join(data, `src-${v}`);
      makeTestTree(src);
      writeFileSync(join(src, "etc/hostname"), `${host}\n`);
      const dir = join(data, "images/thin", v);
      mkdirSync(dir, { recursive: true });
      execFileSync("mksquashfs", [src, join(dir, "root.squashfs"), "-noappend", "-quiet", "-no-progress"]);
      for (const f of ["vmlinuz", "initrd.img", "manifest.json"]) writeFileSync(join(dir, f), f);
    }
    symlinkSync(V1, join(data, "images/thin/current"));
  });
  after(() => rmSync(data, { recursive: true, force: true }));

  const exportsOf = () =>
    new CatalogNfsExports(new ImageCatalog(data, { markOnDisk: false }), {
      trees: new SquashfsTreeCache(join(data, "nfs-trees")),
      logger: new MemoryLogger(),
    });

  it("parses export paths and names nothing else", () => {
    assert.deepEqual(parseExportPath("/images/thin"), { kind: "root", name: "thin", version: undefined });
    assert.deepEqual(parseExportPath("//squashfs/thin/20261124-153000/"), {
      kind: "squashfs",
      name: "thin",
      version: V1,
    });
    for (const bad of [
      "/",
      "/images",
      "/images/../etc",
      "/images/thin/latest",
      "/srv/thin",
      "/images/thin/x/y",
    ]) {
      assert.equal(parseExportPath(bad), undefined, bad);
    }
  });

  it("serves a version's unpacked root, the current one for the bare name", async () => {
    const x = exportsOf();
    const current = await x.mount("/images/thin");
    const pinned = await x.mount(`/images/thin/${V2}`);
    assert.ok(current && pinned);
    const host = async (e: typeof current) => {
      const t = e.tree;
      const etc = t.lookup(t.entry(1)!, "etc")!;
      return (await t.read(t.lookup(etc, "hostname")!, 0, 100)).toString();
    };
    assert.equal(await host(current), "one\n");
    assert.equal(await host(pinned), "two\n");
    assert.notEqual(current.key, pinned.key);
    assert.equal(await x.mount("/images/other"), undefined);
    await x.close();
  });

  it("serves a version's folder with its squashfs for loop mounts", async () => {
    const x = exportsOf();
    const e = await x.mount("/squashfs/thin");
    assert.ok(e);
    const names = e.tree.entry(1)!.children!.map((c) => c.name);
    assert.deepEqual(names, ["initrd.img", "manifest.json", "root.squashfs", "vmlinuz"]);
    await x.close();
  });

  it("marks a loaded version in use, and lets it go when no request asks for it", async () => {
    let now = 1_000_000;
    const catalog = new ImageCatalog(data, { markOnDisk: false });
    const x = new CatalogNfsExports(catalog, {
      trees: new SquashfsTreeCache(join(data, "nfs-trees")),
      logger: new MemoryLogger(),
      idleMs: 60_000,
      now: () => now,
    });
    const e = await x.mount(`/images/thin/${V2}`);
    assert.ok(e);
    assert.ok(catalog.isInUse("thin", V2));
    now += 50_000;
    assert.equal(await x.byKey(e.key), e, "asked again: still loaded");
    now += 50_000;
    assert.equal(await x.sweep(), 0);
    now += 20_000;
    assert.equal(await x.sweep(), 1);
    assert.equal(catalog.isInUse("thin", V2), false);
    // A client's handle still works: the tree is loaded again.
    assert.equal((await x.byKey(e.key))?.key, e.key);
    await x.close();
    assert.equal(catalog.isInUse("thin", V2), false);
  });

  it("finds a tree by its handle key after a restart, with the same numbers", async () => {
    const first = exportsOf();
    const before = (await first.mount(`/images/thin/${V2}`))!;
    const paths = Array.from({ length: before.tree.size }, (_, i) => before.tree.entry(i + 1)!.path);
    await first.close();
    const second = exportsOf();
    const again = await second.byKey(before.key);
    assert.ok(again);
    assert.deepEqual(
      Array.from({ length: again.tree.size }, (_, i) => again.tree.entry(i + 1)!.path),
      paths,
    );
    assert.equal(await second.byKey("0000000000000000"), undefined);
    assert.deepEqual((await second.list()).slice(0, 3), [
      "/images/thin",
      `/images/thin/${V1}`,
      `/images/thin/${V2}`,
    ]);
    await second.close();
  });
});
