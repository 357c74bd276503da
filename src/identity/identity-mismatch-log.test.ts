import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BootEvent, EventBus } from "../events/event-bus.js";
import { MemoryLogger } from "../logging/logger.js";
import { IdentityMismatchLog } from "./identity-mismatch-log.js";

function setup(maxEventsPerWindow?: number) {
  let now = 1_000_000;
  const clock = { now: () => now };
  const bus = new EventBus(clock);
  const events: BootEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const logger = new MemoryLogger();
  const log = new IdentityMismatchLog({ bus, logger, clock, maxEventsPerWindow });
  return { log, events, logger, advance: (ms: number) => (now += ms) };
}

const mismatch = (mac: string | null, ip: string) => ({
  service: "nbd",
  mac,
  ip,
  reason: "no machine is proven at this address",
});

describe("identity mismatch log", () => {
  it("one event and one line per (machine, source) per minute, repeats counted into the next", () => {
    const { log, events, logger, advance } = setup();
    for (let i = 0; i < 500; i++) log.report(mismatch("52:54:00:00:00:01", "198.18.60.66"));
    log.report(mismatch("52:54:00:00:00:01", "198.18.60.67"));
    log.report(mismatch(null, "198.18.60.66"));
    assert.equal(events.length, 3);
    assert.equal(logger.records.filter((r) => r.level === "warn").length, 3);
    assert.deepEqual(
      { type: events[0]?.type, mac: events[0]?.mac, ip: events[0]?.ip, repeats: events[0]?.detail?.repeats },
      { type: "security.identity_mismatch", mac: "52:54:00:00:00:01", ip: "198.18.60.66", repeats: 0 },
    );
    assert.equal(events[0]?.detail?.service, "nbd");
    advance(30_000);
    log.report(mismatch("52:54:00:00:00:01", "198.18.60.66"));
    assert.equal(events.length, 3, "still inside the minute");
    advance(31_000);
    log.report(mismatch("52:54:00:00:00:01", "198.18.60.66"));
    assert.equal(events.length, 4);
    assert.equal(events[3]?.detail?.repeats, 500, "499 in the first burst and one at 30 s");
  });

  it("a flood over many pairs is capped per minute and summed up in one line", () => {
    const { log, events, logger, advance } = setup(10);
    for (let i = 0; i < 2000; i++) {
      const mac = `52:54:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
      log.report(mismatch(mac, "198.18.60.66"));
    }
    assert.equal(events.length, 10);
    advance(61_000);
    log.report(mismatch("52:54:00:ff:ff:ff", "198.18.60.66"));
    assert.equal(events.length, 11);
    const suppressed = logger.records
      .map((r) => (r.obj as { suppressed?: number }).suppressed)
      .filter((n) => n !== undefined);
    assert.deepEqual(suppressed, [1990]);
    assert.ok(logger.records.length <= 12);
  });
});
