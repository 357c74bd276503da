import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultRoutes } from "./default-routes.js";

// /proc/net/route as a little-endian machine prints it: a lab server with its
// uplink on eth0 (via 192.168.1.1, metric 100), a backup uplink on wwan0
// (metric 600), a lab segment on eth1 without a default route, and a VPN
// default route that is down (flags 0002: RTF_UP not set).
const TABLE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wwan0\t00000000\t0101000A\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
eth1\t0000000A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
tun0\t00000000\t00000000\t0002\t0\t0\t0\t00000000\t0\t0\t0
`;

describe("defaultRoutes", () => {
  it("lists the default routes that are up, lowest metric first, gateways in dotted form", () => {
    assert.deepEqual(defaultRoutes(TABLE, "LE"), [
      { interface: "eth0", gateway: "192.168.1.1", metric: 100 },
      { interface: "wwan0", gateway: "10.0.1.1", metric: 600 },
    ]);
  });

  it("reads the words in the machine's byte order", () => {
    const be =
      "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\neth0\t00000000\tC0A80101\t0003\t0\t0\t0\t00000000\n";
    assert.equal(defaultRoutes(be, "BE")[0]?.gateway, "192.168.1.1");
  });

  it("a default route straight onto a link has no gateway", () => {
    const onLink =
      "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\nppp0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\n";
    assert.deepEqual(defaultRoutes(onLink, "LE"), [{ interface: "ppp0", gateway: undefined, metric: 0 }]);
  });

  it("an empty or unreadable table has none", () => {
    assert.deepEqual(defaultRoutes("", "LE"), []);
    assert.deepEqual(defaultRoutes("Iface\tDestination\n", "LE"), []);
  });
});
