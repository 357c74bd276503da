import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfigFromString } from "../../config/load-config.js";
import { inPool, networkContaining, planServedNetworks } from "./served-network.js";

const yaml = (serverInterfaces: string) => `
server: { address: 198.18.10.1, interfaces: ${serverInterfaces} }
services: { dhcp: { mode: full } }
networks:
  - subnet: 198.18.10.0/24
    pool: [198.18.10.0-198.18.10.20, 198.18.10.250-198.18.10.255]
  - subnet: 198.18.11.0/24
    interface: eth2
    pool: 198.18.11.100-198.18.11.109
    max_leases: 4
hosts:
  a: { mac: "02:00:00:00:00:01", ip: 198.18.11.5 }
`;
const addresses = [
  { interface: "eth1", address: "198.18.10.1", prefix: 24 },
  { interface: "eth3", address: "198.18.11.1", prefix: 24 },
];

test("local networks, server identifiers, pools clipped to the subnet, reservations", () => {
  const config = loadConfigFromString(yaml("[]"), "/t.yaml", { skipImageCheck: true });
  const [a, b] = planServedNetworks(config, addresses);
  assert.equal(a?.local, true);
  assert.equal(a?.serverId, "198.18.10.1");
  assert.equal(a?.interfaceName, "eth1");
  assert.equal(a?.mask, "255.255.255.0");
  assert.equal(a?.broadcast, "198.18.10.255");
  // Never the network (.0) or broadcast (.255) address.
  assert.equal(a?.poolSize, 20 + 5);
  assert.equal(inPool(a!, "198.18.10.0"), false);
  assert.equal(inPool(a!, "198.18.10.255"), false);
  assert.equal(a?.maxLeases, 25);
  // network.interface eth2 is not where 198.18.11.1 lives (eth3): relayed only.
  assert.equal(b?.local, false);
  assert.equal(b?.serverId, "198.18.10.1");
  assert.equal(b?.maxLeases, 4);
  assert.equal(b?.reserved.get("198.18.11.5"), "02:00:00:00:00:01");
  assert.equal(networkContaining([a!, b!], "198.18.11.77"), b);
  assert.equal(networkContaining([a!, b!], "0.0.0.0"), undefined);
});

test("server.interfaces limits which interfaces count as local", () => {
  const config = loadConfigFromString(yaml("[eth9]"), "/t.yaml", { skipImageCheck: true });
  const [a] = planServedNetworks(config, addresses);
  assert.equal(a?.local, false);
});
