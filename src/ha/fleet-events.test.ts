import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BootEvent } from "../events/event-bus.js";
import { MemoryLogger } from "../logging/logger.js";
import type { EventNotices } from "./event-notices.js";
import { FleetEvents } from "./fleet-events.js";

/** Notices kept in memory: what was announced, and a hand to deliver another server's notice. */
class FakeNotices implements EventNotices {
  readonly announced: (readonly string[])[] = [];
  deliver: (macs: readonly (string | null)[]) => void = () => {};
  async announce(macs: readonly string[]): Promise<void> {
    this.announced.push(macs);
  }
  async follow(onNotice: (macs: readonly (string | null)[]) => void): Promise<void> {
    this.deliver = onNotice;
  }
  async close(): Promise<void> {}
}

class FakeRecorder {
  readonly listeners = new Set<(e: BootEvent) => void>();
  onPersisted(l: (e: BootEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  store(e: BootEvent): void {
    for (const l of this.listeners) l(e);
  }
}

const event = (mac: string | undefined, id: number): BootEvent => ({
  type: "dhcp.ack",
  protocol: "dhcp",
  at: 1,
  id,
  mac,
});

describe("fleet events: the live view's signal across servers", () => {
  test("this server's stored events reach the listeners and are announced once per turn", async () => {
    const notices = new FakeNotices();
    const recorder = new FakeRecorder();
    const fleet = new FleetEvents(notices, new MemoryLogger(), { now: () => 5 });
    await fleet.start(recorder);
    const seen: BootEvent[] = [];
    fleet.onPersisted((e) => seen.push(e));
    recorder.store(event("02:00:00:00:00:01", 1));
    recorder.store(event("02:00:00:00:00:02", 2));
    recorder.store(event(undefined, 3));
    assert.deepEqual(
      seen.map((e) => e.id),
      [1, 2, 3],
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(notices.announced, [["02:00:00:00:00:01", "02:00:00:00:00:02", "-"]]);
  });

  test("another server's notice wakes the listeners with each machine named", async () => {
    const notices = new FakeNotices();
    const fleet = new FleetEvents(notices, new MemoryLogger(), { now: () => 5 });
    await fleet.start(new FakeRecorder());
    const seen: (string | undefined)[] = [];
    const off = fleet.onPersisted((e) => seen.push(e.mac));
    notices.deliver(["02:00:00:00:00:09", null]);
    assert.deepEqual(seen, ["02:00:00:00:00:09", undefined]);
    off();
    notices.deliver(["02:00:00:00:00:0a"]);
    assert.equal(seen.length, 2);
    fleet.stop();
  });
});
