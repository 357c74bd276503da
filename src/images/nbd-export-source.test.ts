import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ImageCatalog } from "./image-catalog.js";
import { NbdExportRefused } from "../services/nbd/nbd-export-source.js";
import { CatalogExportSource } from "./nbd-export-source.js";

const V1 = "20261124-100000";
const V2 = "20261124-110000";
const client = { address: "198.18.30.10", port: 40000 };
const data = mkdtempSync(join(tmpdir(), "bf-img-nbdsrc-"));
after(() => rmSync(data, { recursive: true, force: true }));

for (const v of [V1, V2]) {
  const dir = join(data, "images/debian", v);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "root.squashfs"), `squashfs of ${v}`);
}

async function readAll(h: {
  size: number;
  read(b: Buffer, o: number, l: number, p: number): Promise<number>;
}) {
  const buf = Buffer.alloc(h.size);
  assert.equal(await h.read(buf, 0, h.size, 0), h.size);
  return buf.toString();
}

describe("NBD exports over the image catalog", () => {
  it("`<image>` opens the current version and holds it in use until release", async () => {
    const catalog = new ImageCatalog(data);
    await catalog.setCurrent("debian", V1);
    const source = new CatalogExportSource(catalog, { machineAt: async () => "52:54:00:30:00:10" });
    const h = await source.open("debian", client);
    assert.ok(h);
    assert.equal(h.name, `debian@${V1}`);
    assert.equal(h.readOnly, true);
    assert.equal(h.mac, "52:54:00:30:00:10");
    assert.equal(await readAll(h), `squashfs of ${V1}`);
    assert.deepEqual(catalog.holders("debian", V1), ["52:54:00:30:00:10"]);
    // A switch does not move an open connection.
    await catalog.setCurrent("debian", V2);
    assert.equal(await readAll(h), `squashfs of ${V1}`);
    await h.release();
    assert.equal(catalog.isInUse("debian", V1), false);
  });

  it("`<image>@<version>` opens that version; unknown and malformed names open nothing", async () => {
    const catalog = new ImageCatalog(data);
    const source = new CatalogExportSource(catalog);
    const h = await source.open(`debian@${V2}`, client);
    assert.equal(h?.name, `debian@${V2}`);
    assert.deepEqual(catalog.holders("debian", V2), ["198.18.30.10:40000"]);
    await h?.release();
    for (const name of ["debian@20000101-000000", "ubuntu", "../etc/passwd", "debian@current", ""]) {
      assert.equal(await source.open(name, client), null, name);
    }
    assert.equal(catalog.isInUse("debian", "20000101-000000"), false);
  });

  it("the default export opens the configured image", async () => {
    const source = new CatalogExportSource(new ImageCatalog(data), { defaultExport: "debian" });
    const h = await source.open("", client);
    assert.equal(h?.name, `debian@${V2}`);
    await h?.release();
  });

  it("hands copy-on-write settings through for the machine proven at the address", async () => {
    const asked: string[] = [];
    const source = new CatalogExportSource(new ImageCatalog(data), {
      machineAt: (address) => {
        asked.push(address);
        return "52:54:00:30:00:11";
      },
      cowFor: (name, _c, mac) => (name.startsWith("debian@") ? { keepKey: mac } : undefined),
    });
    const h = await source.open("debian", client);
    assert.deepEqual(h?.cow, { keepKey: "52:54:00:30:00:11" });
    assert.equal(h?.mac, "52:54:00:30:00:11");
    assert.deepEqual(asked, [client.address]);
    await h?.release();
  });

  it("refuses copy-on-write to a client no machine is proven at, and serves it read-only otherwise", async () => {
    const catalog = new ImageCatalog(data);
    const refused: string[] = [];
    const withCow = new CatalogExportSource(catalog, {
      machineAt: () => null,
      cowFor: () => ({}),
      onRefused: (c, name) => refused.push(`${c.address} ${name}`),
    });
    await assert.rejects(withCow.open("debian", client), NbdExportRefused);
    assert.deepEqual(refused, [`${client.address} debian@${V2}`]);
    assert.equal(catalog.isInUse("debian", V2), false, "nothing held for a refused client");
    const readOnly = new CatalogExportSource(catalog, { machineAt: () => null, cowFor: () => undefined });
    const h = await readOnly.open("debian", client);
    assert.equal(h?.cow, undefined);
    assert.equal(h?.readOnly, true);
    await h?.release();
  });

  it("lists each image and each of its versions", async () => {
    const catalog = new ImageCatalog(data);
    await catalog.setCurrent("debian", V1);
    assert.deepEqual(await new CatalogExportSource(catalog).list(), [
      { name: "debian", description: `debian (current: ${V1})` },
      { name: `debian@${V1}`, description: `debian version ${V1}` },
      { name: `debian@${V2}`, description: `debian version ${V2}` },
    ]);
  });
});
