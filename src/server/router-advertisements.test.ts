import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fleetConfig } from "../../test/fixtures/boot/fleet-fixture.js";
import { SERVER_ROLES } from "../config/config-schema.js";
import { parseCidr } from "../config/net-address.js";
import { MemoryLogger } from "../logging/logger.js";
import { advertisedInterfaces, startRouterAdvertisements } from "./router-advertisements.js";

const AT = { file: "/etc/bootfleet/fleet.yaml", line: 1, column: 1 };
const lab = { subnet: parseCidr("198.18.50.0/24")!, at: AT };
const addresses = [
  { interface: "eth0", address: "192.0.2.10", prefix: 24 },
  { interface: "br-lab", address: "198.18.50.1", prefix: 24 },
];

describe("router advertisements at start", () => {
  it("advertise on server.interfaces when named", () => {
    const config = fleetConfig({
      server: {
        address: "198.18.50.1",
        interfaces: ["br0", "br0"],
        data_dir: "/v",
        roles: [...SERVER_ROLES],
      },
    });
    assert.deepEqual(advertisedInterfaces(config, addresses), ["br0"]);
  });

  it("else on the interfaces holding an address in a configured network, never the others", () => {
    const config = fleetConfig({
      server: { address: "198.18.50.1", interfaces: [], data_dir: "/v", roles: [...SERVER_ROLES] },
      networks: [lab, { subnet: parseCidr("198.18.60.0/24")!, at: AT }],
    });
    assert.deepEqual(advertisedInterfaces(config, addresses), ["br-lab"]);
  });

  it("without the addon, one warning says what machines will do instead, and serving goes on", () => {
    const logger = new MemoryLogger();
    const advertiser = startRouterAdvertisements(["br0"], logger, () => ({
      icmp6: null,
      reason: "not built",
    }));
    assert.equal(advertiser, undefined);
    assert.equal(logger.records.length, 1);
    assert.equal(logger.records[0]!.level, "warn");
    assert.match(logger.records[0]!.msg ?? "", /iPXE will wait about 15 s for an IPv6 router/);
  });

  it("without a served interface, one warning names the key to set", () => {
    const logger = new MemoryLogger();
    assert.equal(startRouterAdvertisements([], logger), undefined);
    assert.match(logger.records[0]!.msg ?? "", /set server\.interfaces/);
  });
});
