import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Host, MachineFacts, ResolvedMachine, Resolver } from "../../config/model.js";
import { MemoResolver } from "./memo-resolver.js";

/** Counts the questions that reach it; its answer carries the facts asked about, as FleetResolver's does. */
class CountingResolver implements Resolver {
  asked = 0;
  resolve(facts: MachineFacts): ResolvedMachine {
    this.asked++;
    return { facts, mac: facts.mac, ip: facts.ip } as unknown as ResolvedMachine;
  }
  findHost(): Host | undefined {
    return undefined;
  }
}

const MAC = "52:54:00:12:34:56";

describe("MemoResolver", () => {
  it("answers the same facts of one MAC from the memo, and asks again when any fact changes", () => {
    const inner = new CountingResolver();
    const memo = new MemoResolver(inner);
    const pxe: MachineFacts = { mac: MAC, ip: "198.18.0.20", arch: 0, vendorClass: "PXEClient" };
    const first = memo.resolve(pxe);
    assert.equal(memo.resolve({ ...pxe }), first, "a REQUEST after its DISCOVER: the memo");
    assert.equal(inner.asked, 1);
    for (const changed of [
      { ip: "198.18.0.21" },
      { hostname: "lab3-14" },
      { arch: 7 },
      { vendorClass: "PXEClient:Arch:00007" },
      { userClass: "iPXE" },
      { ipxe: true },
      { relay: "198.18.1.1" },
    ]) {
      const before: number = inner.asked;
      const answer = memo.resolve({ ...pxe, ...changed });
      assert.equal(inner.asked, before + 1, `a changed ${Object.keys(changed)[0]} is asked again`);
      assert.deepEqual(answer.facts, { ...pxe, ...changed });
      memo.resolve(pxe);
    }
    const other = memo.resolve({ ...pxe, mac: "52:54:00:12:34:57" });
    assert.equal(other.mac, "52:54:00:12:34:57", "another MAC never gets this one's answer");
  });

  it("stays bounded under a flood of MACs it will not see again", () => {
    const inner = new CountingResolver();
    const memo = new MemoResolver(inner);
    for (let i = 0; i < 25_000; i++) {
      const mac = `02:00:00:${((i >> 16) & 255).toString(16).padStart(2, "0")}:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
      memo.resolve({ mac });
    }
    assert.equal(inner.asked, 25_000);
    const last = { mac: "02:00:00:00:61:a7" };
    memo.resolve(last);
    assert.equal(inner.asked, 25_000, "the newest answers are kept");
  });
});
