import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BootEvent, type BootEventInput, EventBus } from "./event-bus.js";

const clock = { now: () => 1_800_000_000_000 };

describe("event bus", () => {
  it("hands every listener the input's fields, in their order, then protocol, time and id 0", () => {
    const bus = new EventBus(clock);
    const seen: BootEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    const inputs: BootEventInput[] = [
      { type: "dhcp.discover", mac: "52:54:00:12:34:56", ip: undefined, detail: { arch: 7 } },
      { type: "client.stage", mac: "52:54:00:12:34:56", stage: "init" },
      { type: "wol" },
    ];
    for (const input of inputs) assert.equal(bus.publish(input), seen.at(-1));
    assert.deepEqual(
      seen,
      inputs.map((input, i) => ({
        ...input,
        protocol: ["dhcp", "client", "wol"][i],
        at: 1_800_000_000_000,
        id: 0,
      })),
    );
    // The same JSON as before (the live page's stream sends events as JSON).
    assert.equal(
      JSON.stringify(seen[0]),
      '{"type":"dhcp.discover","mac":"52:54:00:12:34:56","detail":{"arch":7},"protocol":"dhcp","at":1800000000000,"id":0}',
    );
  });

  it("goes on to the next listener when one throws, and stops calling one that unsubscribed", () => {
    const bus = new EventBus(clock);
    const calls: string[] = [];
    bus.subscribe(() => {
      throw new Error("broken stream client");
    });
    const off = bus.subscribe((e) => calls.push(e.type));
    bus.publish({ type: "tftp.rrq" });
    off();
    bus.publish({ type: "tftp.done" });
    assert.deepEqual(calls, ["tftp.rrq"]);
  });
});
