import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HaConfig } from "../config/model.js";
import { HaScope } from "./ha-scope.js";
import { macHash } from "./load-balance-hash.js";

const base: HaConfig = {
  mode: "load-balancing",
  this_server: "a",
  peers: ["a", "b"],
  failover_after: 10,
  heartbeat: 1,
};
const macs = Array.from(
  { length: 200 },
  (_, i) =>
    `02:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`,
);
const fresh = new Map([
  ["a", 0],
  ["b", 500],
]);

describe("HA scope (Kea's scopes)", () => {
  test("load-balancing: each client is answered by exactly one server, as the RFC 3074 hash splits them", () => {
    const a = new HaScope(base);
    const b = new HaScope({ ...base, this_server: "b" });
    a.update(fresh, 60_000);
    b.update(fresh, 60_000);
    for (const mac of macs) {
      assert.notEqual(a.serves(mac), b.serves(mac), mac);
      assert.equal(a.serves(mac), macHash(mac) % 2 === 0, mac);
    }
    assert.ok(macs.some((m) => a.serves(m)) && macs.some((m) => b.serves(m)));
  });

  test("load-balancing: the survivor answers every client once the peer's heartbeat is older than failover_after", () => {
    const a = new HaScope(base);
    assert.deepEqual(
      a.update(
        new Map([
          ["a", 0],
          ["b", 10_000],
        ]),
        60_000,
      ),
      [],
    );
    assert.ok(!macs.every((m) => a.serves(m)), "at failover_after exactly the peer still counts as live");
    assert.deepEqual(
      a.update(
        new Map([
          ["a", 0],
          ["b", 10_001],
        ]),
        60_000,
      ),
      ["b"],
    );
    assert.deepEqual(a.down, ["b"]);
    assert.ok(macs.every((m) => a.serves(m)));
    // The peer beats again: its half goes back to it.
    assert.deepEqual(a.update(fresh, 60_000), ["b"]);
    assert.ok(!macs.every((m) => a.serves(m)));
  });

  test("a peer that never beat counts as live until failover_after has passed since this server started", () => {
    const a = new HaScope(base);
    a.update(new Map([["a", 0]]), 5_000);
    assert.ok(!macs.every((m) => a.serves(m)));
    a.update(new Map([["a", 0]]), 10_001);
    assert.ok(macs.every((m) => a.serves(m)));
  });

  test("hot-standby: the primary answers all; the standby only when the primary is silent", () => {
    const config: HaConfig = { ...base, mode: "hot-standby" };
    const primary = new HaScope(config);
    const standby = new HaScope({ ...config, this_server: "b" });
    primary.update(fresh, 60_000);
    standby.update(fresh, 60_000);
    assert.ok(macs.every((m) => primary.serves(m)));
    assert.ok(macs.every((m) => !standby.serves(m)));
    standby.update(
      new Map([
        ["a", 30_000],
        ["b", 0],
      ]),
      60_000,
    );
    assert.ok(macs.every((m) => standby.serves(m)));
  });

  test("three servers: a dead server's clients go to the next live one only", () => {
    const config: HaConfig = { ...base, peers: ["a", "b", "c"] };
    const scopes = ["a", "b", "c"].map((name) => new HaScope({ ...config, this_server: name }));
    const ages = new Map([
      ["a", 0],
      ["b", 60_000],
      ["c", 0],
    ]);
    for (const s of scopes) s.update(ages, 60_000);
    for (const mac of macs) {
      // b is the dead one: only a and c are answering.
      const owners = scopes.filter((s) => s.index !== 1 && s.serves(mac)).map((s) => s.index);
      const home = macHash(mac) % 3;
      assert.deepEqual(owners, [home === 1 ? 2 : home], mac);
    }
  });
});
