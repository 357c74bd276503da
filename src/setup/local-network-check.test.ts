import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NetworkInterfaceInfo } from "node:os";
import { LineCounter, parseDocument } from "yaml";
import { loadConfigFromString } from "../config/load-config.js";
import { SourceMap } from "../config/source-map.js";
import type { InterfaceTable } from "./choose-interface.js";
import { checkLocalNetwork, formatFinding } from "./local-network-check.js";

function v4(cidr: string, internal = false): NetworkInterfaceInfo {
  const [address] = cidr.split("/") as [string];
  return { address, netmask: "255.255.255.0", family: "IPv4", mac: "52:54:00:00:00:01", internal, cidr };
}

/** A laptop-like machine: loopback and one wired interface. */
const HERE: InterfaceTable = { lo: [v4("127.0.0.1/8", true)], eth0: [v4("192.0.2.2/24")] };

function findings(yaml: string, interfaces: InterfaceTable = HERE) {
  const config = loadConfigFromString(yaml, "bf.yaml", { skipImageCheck: true });
  const lines = new LineCounter();
  const map = new SourceMap("bf.yaml", parseDocument(yaml, { lineCounter: lines }), lines);
  return checkLocalNetwork(config, interfaces, (p) => map.locate(p));
}

describe("checkLocalNetwork", () => {
  it("the bundled example's lab bridge on a machine without it: refuse, naming the lines and the way out", () => {
    const f = findings(
      [
        "server:",
        "  address: 198.18.0.1",
        "  interfaces: [br0]",
        "services: { dhcp: { mode: proxy } }",
        "networks:",
        "  - subnet: 198.18.0.0/24",
      ].join("\n"),
    );
    assert.deepEqual(
      f.map((x) => formatFinding(x, x.refuse ? "error" : "warning")),
      [
        "bf.yaml:2:12: error: server.address: 198.18.0.1 is not an address of this machine: clients would be sent to boot from it\n" +
          "  hint: this machine has 192.0.2.2 (eth0); set server.address on line 2 to the one clients reach, or write a config for this machine with `bootfleet init`",
        "bf.yaml:3:16: error: server.interfaces[0]: interface 'br0' is not on this machine (no such interface, or it has no address): DHCP would answer on none\n" +
          "  hint: this machine's interfaces are eth0; change line 3, or write a config for this machine with `bootfleet init`",
      ],
    );
  });

  it("a config that fits this machine has nothing to say", () => {
    assert.deepEqual(
      findings("server: { address: 192.0.2.2, interfaces: [eth0] }\nservices: { dhcp: { mode: full } }\n"),
      [],
    );
    // Loopback is an address of this machine too (an HTTP-only test server).
    assert.deepEqual(findings("server: { address: 127.0.0.1 }\nservices: { dhcp: { mode: off } }\n"), []);
  });

  it("with DHCP off, a foreign address only warns: another DHCP server (or NAT) may send clients there", () => {
    const [f] = findings("server: { address: 198.18.0.1 }\nservices: { dhcp: { mode: off } }\n");
    assert.equal(f?.refuse, false);
    assert.equal(f?.message, "198.18.0.1 is not an address of this machine");
  });

  it("one named interface missing of several only warns: DHCP serves the others", () => {
    const f = findings("server: { address: 192.0.2.2, interfaces: [eth0, eth9] }\n");
    assert.deepEqual(
      f.map((x) => [x.path, x.refuse, x.at.line, x.at.column]),
      [["server.interfaces[1]", false, 1, 50]],
    );
  });

  it("a network's missing interface warns that the subnet is served only through relays", () => {
    const f = findings(
      "server: { address: 192.0.2.2 }\nnetworks:\n  - subnet: 198.18.5.0/24\n    interface: eth5\n",
    );
    assert.equal(f.length, 1);
    assert.equal(f[0]?.path, "networks[0].interface");
    assert.equal(f[0]?.at.line, 4);
    assert.equal(f[0]?.refuse, false);
    assert.match(f[0]!.message, /198\.18\.5\.0\/24 is served only through relays/);
  });
});
