import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NetworkInterfaceInfo } from "node:os";
import { chooseInterface, type InterfaceTable } from "./choose-interface.js";
import type { DefaultRoute } from "./default-routes.js";
import { SetupError } from "./setup-error.js";

/** One entry as os.networkInterfaces() gives it. */
function v4(cidr: string, mac = "52:54:00:00:00:01", internal = false): NetworkInterfaceInfo {
  const [address, prefix] = cidr.split("/") as [string, string];
  const mask = (0xffffffff << (32 - Number(prefix))) >>> 0;
  return {
    address,
    netmask: [mask >>> 24, (mask >>> 16) & 255, (mask >>> 8) & 255, mask & 255].join("."),
    family: "IPv4",
    mac,
    internal,
    cidr,
  };
}

const v6: NetworkInterfaceInfo = {
  address: "fe80::1",
  netmask: "ffff:ffff:ffff:ffff::",
  family: "IPv6",
  mac: "52:54:00:00:00:03",
  internal: false,
  cidr: "fe80::1/64",
  scopeid: 3,
};

// A lab server: uplink eth0 with the default route, the lab on eth1 with a
// second address, an interface with IPv6 only, and loopback.
const SERVER: InterfaceTable = {
  lo: [v4("127.0.0.1/8", "00:00:00:00:00:00", true)],
  eth0: [v4("198.18.1.10/24", "52:54:00:00:00:01")],
  eth1: [v4("198.18.0.1/24", "52:54:00:00:00:02"), v4("198.18.2.1/24", "52:54:00:00:00:02")],
  eth2: [v6],
};
const ROUTES: DefaultRoute[] = [{ interface: "eth0", gateway: "198.18.1.1", metric: 100 }];

function setupError(fn: () => unknown, message: RegExp, hint: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SetupError);
    assert.match(e.message, message);
    assert.match(e.hint, hint);
    return true;
  });
}

describe("chooseInterface", () => {
  it("the default route's interface, with its router, and the others listed", () => {
    const c = chooseInterface(SERVER, ROUTES);
    assert.equal(c.name, "eth0");
    assert.equal(c.address, "198.18.1.10");
    assert.equal(c.prefix, 24);
    assert.equal(c.mac, "52:54:00:00:00:01");
    assert.equal(c.gateway, "198.18.1.1");
    assert.equal(c.reason, "the default route leaves by it");
    assert.deepEqual(
      c.others.map((o) => `${o.name} ${o.address}/${o.prefix}`),
      ["eth1 198.18.0.1/24", "eth1 198.18.2.1/24"],
    );
  });

  it("the named one, its first address; no router from another interface's route", () => {
    const c = chooseInterface(SERVER, ROUTES, "eth1");
    assert.equal(c.name, "eth1");
    assert.equal(c.address, "198.18.0.1");
    assert.equal(c.gateway, undefined);
    assert.equal(c.reason, "named with --interface");
  });

  it("of several addresses on one interface, the one whose subnet holds the router", () => {
    const c = chooseInterface(SERVER, [{ interface: "eth1", gateway: "198.18.2.254", metric: 0 }]);
    assert.equal(c.address, "198.18.2.1");
    assert.equal(c.gateway, "198.18.2.254");
  });

  it("a default route by an interface without IPv4 (a VPN) is passed over for the next one", () => {
    const c = chooseInterface(SERVER, [{ interface: "eth2", metric: 0 }, ...ROUTES]);
    assert.equal(c.name, "eth0");
  });

  it("no default route: the only interface with an address", () => {
    const c = chooseInterface({ lo: SERVER.lo, br0: [v4("198.18.0.1/24")] }, []);
    assert.equal(c.name, "br0");
    assert.equal(c.reason, "the only interface with an IPv4 address");
  });

  it("no default route and several interfaces: asks for --interface, listing them", () => {
    setupError(
      () => chooseInterface(SERVER, []),
      /no default route/,
      /eth0 \(198\.18\.1\.10\/24\), eth1 \(198\.18\.0\.1\/24\), eth1 \(198\.18\.2\.1\/24\); name the one the clients are on with --interface/,
    );
  });

  it("a named interface that does not exist, is loopback, or has no IPv4 address is refused", () => {
    setupError(
      () => chooseInterface(SERVER, ROUTES, "br9"),
      /there is no interface 'br9'/,
      /eth0 \(198\.18\.1\.10\/24\)/,
    );
    setupError(() => chooseInterface(SERVER, ROUTES, "lo"), /loopback/, /clients cannot reach it/);
    setupError(() => chooseInterface(SERVER, ROUTES, "eth2"), /'eth2' has no IPv4 address/, /ip addr add/);
  });

  it("only loopback: nothing to serve", () => {
    setupError(
      () => chooseInterface({ lo: SERVER.lo }, []),
      /no interface with an IPv4 address/,
      /ip addr add/,
    );
  });
});
