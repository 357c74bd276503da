import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "./config-error.js";
import { loadConfigFromString } from "./load-config.js";

const load = (yaml: string) =>
  loadConfigFromString(`server: { address: 198.18.10.1 }\n${yaml}`, "/test/bootfleet.yaml", {
    skipImageCheck: true,
  });
const HA = `
ha:
  mode: load-balancing
  this_server: a
  peers: [a, b]
`;

describe("ha: config", () => {
  test("on the postgres store: accepted with the schema's defaults", () => {
    const config = load(`store: { driver: postgres, url: "postgresql://bootfleet@/fleet" }\n${HA}`);
    assert.deepEqual(config.ha, {
      mode: "load-balancing",
      this_server: "a",
      peers: ["a", "b"],
      failover_after: 10,
      heartbeat: 1,
    });
  });

  test("on SQLite: refused with a hint naming the postgres store", () => {
    assert.throws(
      () => load(HA),
      (err: unknown) =>
        err instanceof ConfigError &&
        /high availability needs the postgres store/.test(err.message) &&
        /hint: set store: \{ driver: postgres/.test(err.message),
    );
  });

  test("this_server must be one of the peers, each listed once; the heartbeat must beat failover_after", () => {
    assert.throws(
      () =>
        load(`store: { driver: postgres, url: "postgresql://x@/y" }
ha: { mode: hot-standby, this_server: c, peers: [a, b, b], failover_after: 2, heartbeat: 3 }
`),
      (err: unknown) =>
        err instanceof ConfigError &&
        /'c' is not one of the peers/.test(err.message) &&
        /peer 'b' is listed twice/.test(err.message) &&
        /cannot show a peer alive/.test(err.message),
    );
  });

  test("absent: one server, no ha key in the config", () => {
    assert.equal(load("").ha, undefined);
  });
});
