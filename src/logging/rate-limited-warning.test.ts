import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryLogger } from "./logger.js";
import { RateLimitedWarning } from "./rate-limited-warning.js";

describe("RateLimitedWarning", () => {
  it("logs the first of a flood, counts the rest and reports their number on the next line", () => {
    const log = new MemoryLogger();
    let now = 1000;
    const w = new RateLimitedWarning(log, "refused", { windowMs: 60_000, clock: { now: () => now } });
    for (let i = 0; i < 100; i++) w.warn({ ip: "198.18.0.9" });
    assert.deepEqual(
      log.records.map((r) => [r.msg, r.obj]),
      [["refused", { ip: "198.18.0.9" }]],
    );
    now += 60_000;
    w.warn({ ip: "198.18.0.9" });
    w.warn({ ip: "198.18.0.9" });
    assert.equal(log.records.length, 2);
    assert.deepEqual(log.records[1]?.obj, { ip: "198.18.0.9", suppressed: 99 });
    now += 60_000;
    w.warn({ ip: "198.18.0.8" });
    assert.deepEqual(log.records[2]?.obj, { ip: "198.18.0.8", suppressed: 1 });
  });
});
