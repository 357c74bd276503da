import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { MemoryLogger } from "./logger.js";
import { OTHER_SOURCES, type FloodSummary, RateLimitedLog } from "./rate-limited-log.js";

describe("RateLimitedLog", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"] }));
  afterEach(() => mock.timers.reset());

  it("writes the burst, counts the rest, and sums them up in one line when the window ends", () => {
    const logger = new MemoryLogger();
    const summaries: FloodSummary[] = [];
    const log = new RateLimitedLog({
      logger,
      what: "requests for missing files",
      burst: 2,
      onSummary: (s) => summaries.push(s),
    });
    const written = [];
    for (let i = 0; i < 1000; i++) written.push(log.log("198.18.20.9", { file: `f${i}` }, "missing"));
    assert.deepEqual(
      written.filter((w) => w),
      [true, true],
    );
    assert.equal(logger.records.length, 2);
    mock.timers.tick(10_000);
    assert.equal(logger.records.length, 3);
    const last = logger.records[2]!;
    assert.equal(last.msg, "998 requests for missing files from 198.18.20.9 in the last 10 s");
    assert.deepEqual(last.obj, { file: "f999", source: "198.18.20.9", count: 998, window_s: 10 });
    assert.deepEqual(summaries, [
      { source: "198.18.20.9", count: 998, windowMs: 10_000, last: { file: "f999" } },
    ]);
  });

  it("a flood that lasts writes one line per window; a quiet window ends it", () => {
    const logger = new MemoryLogger();
    const log = new RateLimitedLog({ logger, what: "malformed packets" });
    for (let window = 0; window < 5; window++) {
      for (let i = 0; i < 100; i++) log.log("a", {}, "malformed");
      mock.timers.tick(10_000);
    }
    // The first line, then one summary per window.
    assert.deepEqual(
      logger.records.map((r) => r.msg),
      [
        "malformed",
        "99 malformed packets from a in the last 10 s",
        ...Array(4).fill("100 malformed packets from a in the last 10 s"),
      ],
    );
    mock.timers.tick(10_000);
    assert.equal(log.sources, 0);
    assert.equal(log.log("a", {}, "malformed"), true, "after a quiet window the next line is written");
  });

  it("sources are limited apart, and the table of sources is bounded", () => {
    const logger = new MemoryLogger();
    const log = new RateLimitedLog({ logger, what: "refused connections", maxSources: 3 });
    for (let s = 0; s < 50; s++) log.log(`198.18.20.${s}`, {}, "refused");
    // Three sources and the one every further source shares.
    assert.equal(log.sources, 4);
    assert.equal(logger.records.length, 4);
    assert.equal(log.log("198.18.20.0", {}, "refused"), false);
    mock.timers.tick(10_000);
    assert.ok(
      logger.records.some((r) => r.msg === `46 refused connections from ${OTHER_SOURCES} in the last 10 s`),
    );
  });

  it("close writes what is pending and stops the timers", () => {
    const logger = new MemoryLogger();
    const log = new RateLimitedLog({ logger, what: "requests" });
    log.log("a", {}, "x");
    log.log("a", {}, "x");
    mock.timers.tick(3_000);
    log.close();
    assert.equal(logger.records.at(-1)?.msg, "1 requests from a in the last 3 s");
    assert.equal(log.sources, 0);
    mock.timers.tick(60_000);
    assert.equal(logger.records.length, 2);
  });
});
