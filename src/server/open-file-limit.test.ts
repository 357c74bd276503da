import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openFilesNeeded, softOpenFileLimit } from "./open-file-limit.js";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe("open file limit", () => {
  it("reads the soft limit from /proc/self/limits", () => {
    assert.equal(softOpenFileLimit(LIMITS), 1024);
    assert.equal(softOpenFileLimit(LIMITS.replace("1024 ", "unlimited")), null);
  });

  it("gives null for text that is not the limits table: truncated, empty, garbage", () => {
    assert.equal(softOpenFileLimit(""), null);
    assert.equal(softOpenFileLimit("Max open files"), null);
    assert.equal(softOpenFileLimit(LIMITS.slice(0, LIMITS.indexOf("Max open files") + 20)), null);
    assert.equal(softOpenFileLimit("\u0000\u0001Max open files   -5 x"), null);
  });

  it("says what 500 machines need when the limit is below it", () => {
    assert.equal(openFilesNeeded(1024), 3000);
    assert.equal(openFilesNeeded(65536), null);
    assert.equal(openFilesNeeded(null), null);
  });
});
