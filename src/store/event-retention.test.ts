import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { MemoryLogger } from "../logging/logger.js";
import { EventRetention } from "./event-retention.js";
import { MemoryStore } from "./memory/memory-store.js";
import type { NewEvent } from "./store.js";

const DAY = 86_400_000;
const NOW = 1_763_000_000_000;

function event(ageDays: number): NewEvent {
  return { at: NOW - ageDays * DAY, type: "dhcp.discover", protocol: "dhcp" };
}

describe("EventRetention (events.keep_days)", () => {
  it("deletes events older than keep_days, in batches, and says how many in one line", async () => {
    const store = new MemoryStore();
    await store.addEvents([event(90), event(45), event(31), event(30.5), event(29), event(1), event(0)]);
    const logger = new MemoryLogger();
    const retention = new EventRetention({
      store,
      logger,
      keepDays: 30,
      clock: { now: () => NOW },
      batch: 2,
    });
    assert.equal(await retention.prune(), 4);
    assert.deepEqual(
      (await store.listEvents({})).map((e) => (NOW - e.at) / DAY),
      [29, 1, 0],
    );
    assert.deepEqual(
      logger.records.map((r) => [r.msg, r.obj]),
      [["event retention: events older than keep_days deleted", { deleted: 4, keep_days: 30 }]],
    );
    assert.equal(await retention.prune(), 0);
    assert.equal(logger.records.length, 1, "a pass that deletes nothing writes nothing");
    await retention.close();
  });

  describe("on a schedule", () => {
    beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "setImmediate"] }));
    afterEach(() => mock.timers.reset());

    it("runs a minute after start, then every interval, until closed", async () => {
      const store = new MemoryStore();
      let now = NOW;
      const retention = new EventRetention({
        store,
        logger: new MemoryLogger(),
        keepDays: 1,
        clock: { now: () => now },
        intervalMs: 3_600_000,
      });
      await store.addEvents([event(2)]);
      retention.start();
      const remaining = async (): Promise<number> => (await store.listEvents({})).length;
      const settle = async (): Promise<void> => {
        for (let i = 0; i < 5; i++) await Promise.resolve();
      };
      assert.equal(await remaining(), 1);
      mock.timers.tick(60_000);
      await settle();
      assert.equal(await remaining(), 0);
      await store.addEvents([{ ...event(0), at: now }]);
      now += 2 * DAY;
      mock.timers.tick(3_600_000);
      await settle();
      assert.equal(await remaining(), 0);
      await retention.close();
      await store.addEvents([{ ...event(0), at: now - 2 * DAY }]);
      mock.timers.tick(10 * 3_600_000);
      await settle();
      assert.equal(await remaining(), 1, "closed: no more passes");
    });
  });
});
