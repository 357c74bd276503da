import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DirectoryExportSource } from "./directory-export-source.js";

let dir: string;
const client = { address: "198.18.0.14", port: 1234 };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "bf-nbd-src-"));
  await writeFile(join(dir, "plain"), "plain!");
  await writeFile(join(dir, ".hidden"), "no");
  await mkdir(join(dir, "deb"));
  await writeFile(join(dir, "deb", "20260101-000000"), "old");
  await writeFile(join(dir, "deb", "20260201-000000"), "new");
  await mkdir(join(dir, "pinned"));
  await writeFile(join(dir, "pinned", "a"), "A");
  await writeFile(join(dir, "pinned", "b"), "B");
  await symlink("a", join(dir, "pinned", "current"));
});

after(() => rm(dir, { recursive: true, force: true }));

describe("DirectoryExportSource", () => {
  const source = () => new DirectoryExportSource({ root: dir, defaultExport: "plain" });

  it("opens files, current versions (greatest without a symlink) and pinned versions", async () => {
    const s = source();
    for (const [name, canonical, size] of [
      ["plain", "plain", 6],
      ["", "plain", 6],
      ["deb", "deb@20260201-000000", 3],
      ["deb@20260101-000000", "deb@20260101-000000", 3],
      ["pinned", "pinned@a", 1],
      ["pinned@b", "pinned@b", 1],
    ] as const) {
      const h = await s.open(name, client);
      assert.ok(h, name);
      assert.equal(h.name, canonical);
      assert.equal(h.size, size);
      assert.equal(h.readOnly, true);
      assert.equal(s.inUse(canonical), 1);
      await h.release();
      await h.release(); // twice is harmless
      assert.equal(s.inUse(canonical), 0);
    }
  });

  it("refuses names that are missing or could climb out of the folder", async () => {
    const s = source();
    for (const name of [
      "nope",
      "../etc",
      "deb/../plain",
      ".hidden",
      "plain@1",
      "deb@nope",
      "pinned@current",
      "a@b@c",
    ]) {
      assert.equal(await s.open(name, client), null, name);
    }
    assert.equal(await new DirectoryExportSource({ root: dir }).open("", client), null);
  });

  it("lists exports with descriptions", async () => {
    assert.deepEqual(
      (await source().list()).map((e) => e.name),
      ["deb", "deb@20260101-000000", "deb@20260201-000000", "pinned", "pinned@a", "pinned@b", "plain"],
    );
  });

  it("asks cowFor per client and makes copy-on-write exports read-only at the base", async () => {
    const s = new DirectoryExportSource({ root: dir, cowFor: (_n, c) => ({ keepKey: c.address }) });
    const h = await s.open("plain", client);
    assert.deepEqual(h?.cow, { keepKey: "198.18.0.14" });
    assert.equal(h?.readOnly, true);
    assert.equal(h?.write, undefined);
    await h?.release();
  });
});
