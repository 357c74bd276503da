import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseSquashfsProgress } from "./squash-root.js";

describe("mksquashfs progress", () => {
  it("is read from mksquashfs's own output (captured from squashfs-tools 4.5.1)", () => {
    const text = readFileSync(
      new URL("../../test/fixtures/images/mksquashfs-output.txt", import.meta.url),
      "utf8",
    );
    const fractions = text
      .split(/[\r\n]/)
      .map(parseSquashfsProgress)
      .filter((f) => f !== undefined);
    assert.deepEqual(fractions, [0, 300 / 458, 1]);
  });

  it("ignores other lines, the summary's percentage included", () => {
    for (const line of [
      "Parallel mksquashfs: Using 2 processors",
      "\t100.00% of uncompressed filesystem size",
      "",
      "[===] 0/0 0%",
    ]) {
      assert.equal(parseSquashfsProgress(line), undefined, line);
    }
  });
});
