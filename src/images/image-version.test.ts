import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compareVersions,
  formatVersion,
  isImageVersion,
  nextVersion,
  parseVersion,
} from "./image-version.js";

describe("image versions", () => {
  it("are the UTC build time, YYYYMMDD-HHMMSS", () => {
    assert.equal(formatVersion(new Date(Date.UTC(2026, 10, 24, 15, 30, 0, 999))), "20261124-153000");
    assert.equal(parseVersion("20261124-153000").toISOString(), "2026-11-24T15:30:00.000Z");
    assert.equal(isImageVersion("20261124-153000"), true);
    for (const bad of ["2026-11-24", "20261124-1530", "20261124-153000-1", "current", ""]) {
      assert.equal(isImageVersion(bad), false, bad);
    }
    assert.throws(() => parseVersion("current"), /not an image version: 'current'/);
  });

  it("sort as strings in time order", () => {
    const v = ["20261124-153001", "20251231-235959", "20261124-153000"];
    assert.deepEqual([...v].sort(compareVersions), ["20251231-235959", "20261124-153000", "20261124-153001"]);
  });

  it("move to the next free second when two builds share one", () => {
    const now = new Date(Date.UTC(2026, 10, 24, 15, 30, 0, 400));
    assert.equal(nextVersion([], now), "20261124-153000");
    assert.equal(nextVersion(["20261124-153000"], now), "20261124-153001");
    assert.equal(nextVersion(["20261124-153000", "20261124-153001"], now), "20261124-153002");
  });

  it("never sort before the newest, even with the clock set back", () => {
    const now = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));
    assert.equal(nextVersion(["20271231-235959"], now), "20280101-000000");
  });

  it("ignore names that are not versions", () => {
    const now = new Date(Date.UTC(2026, 10, 24, 15, 30, 0));
    assert.equal(nextVersion(["current", "source", ".build-x"], now), "20261124-153000");
  });
});
