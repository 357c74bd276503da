/** The image lookup the boot planner asks for every DHCP answer: what it reads from disk, and when it reads again. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeImageVersion } from "../../test/support/image-on-disk.js";
import { ImageCatalog } from "../images/image-catalog.js";
import { catalogImageLookup } from "./catalog-adapters.js";

test("a version found on disk is answered from memory for a second, then looked at again", () => {
  const dir = mkdtempSync(join(tmpdir(), "bf-lookup-"));
  try {
    writeImageVersion(dir, "lab", "20261202-120000", Buffer.alloc(4096));
    let now = 1_000_000;
    const lookup = catalogImageLookup(new ImageCatalog(dir), { now: () => now });
    const first = lookup.current("lab");
    assert.equal(first?.version, "20261202-120000");
    unlinkSync(first!.kernel);
    now += 999;
    assert.equal(lookup.current("lab")?.version, "20261202-120000", "within the second: from memory");
    now += 1;
    assert.equal(lookup.current("lab"), null, "a second later the missing kernel is seen");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
