/**
 * `bootfleet serve` answers a real IPv6 host's router solicitation: rdisc6
 * (ndisc6) on another host of the test segment (TestNetwork, 198.18.0.0/24
 * inside namespaces made here) solicits a router and prints what came back:
 * an advertisement that names no default router (lifetime 0) and asks for
 * no DHCPv6 (M=0, O=0), sent with hop limit 255 by the native addon's raw
 * socket (rdisc6 takes nothing else, RFC 4861 §6.1.2). With `services.ra.enabled: false` serve starts without it.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadNativeIcmp6 } from "../../src/services/ra/native-icmp6.js";
import { requirePeers } from "../support/require-peers.js";
import { startServeInNetwork } from "../support/serve-in-network.js";
import { TestNetwork } from "../support/test-network.js";
import { waitUntil } from "../support/wait-until.js";

const SERVER = "198.18.0.1";
let work = "";

function config(name: string, ra: string): string {
  const file = join(work, `bootfleet-${name}.yaml`);
  writeFileSync(
    file,
    `server: { address: ${SERVER}, data_dir: ${join(work, `var-${name}`)} }
services:
  dhcp: { mode: full }
  http: { port: 8080 }
  syslog: { port: 5514 }
${ra}
networks:
  - subnet: 198.18.0.0/24
    pool: 198.18.0.100-198.18.0.149
`,
  );
  return file;
}

describe("router advertisements to a real IPv6 host (rdisc6)", { timeout: 120_000 }, () => {
  before(() => {
    requirePeers(["ip", "rdisc6", "curl"], { root: true });
    const { reason } = loadNativeIcmp6();
    assert.equal(reason, "", "the native addon with its ICMPv6 calls (npm run build:native)");
    work = mkdtempSync(join(tmpdir(), "bf-ra-"));
  });

  after(() => {
    if (work && !process.env.BOOTFLEET_KEEP_E2E) rmSync(work, { recursive: true, force: true });
  });

  it("answers a solicitation with lifetime 0, M=0, O=0, hop limit 255, from the served interface's link-local address", async () => {
    const net = TestNetwork.create({ tag: "ra" });
    try {
      const log = join(work, "serve.log");
      await startServeInNetwork(net, SERVER, config("default", ""), log);
      await waitUntil(
        () => /ra listening/.test(readFileSync(log, "utf8")),
        "serve's ra listening line",
        30_000,
      );
      const host = net.addHost("host", "198.18.0.2/24");
      // A solicitation leaves from the host's link-local address once it passed
      // duplicate address detection (RFC 4862 §5.4); so does our answer from br0's.
      const ready = (ns: string, dev: string) => {
        const a = execFileSync("ip", ["-n", ns, "-6", "-o", "addr", "show", "dev", dev, "scope", "link"], {
          encoding: "utf8",
        });
        return a.includes("fe80::") && !a.includes("tentative");
      };
      await waitUntil(
        () => ready(host, "v1b") && ready(net.ns, net.bridge),
        "link-local addresses past DAD",
        30_000,
      );
      const out = execFileSync("ip", ["netns", "exec", host, "rdisc6", "-r", "3", "-w", "1000", "v1b"], {
        encoding: "utf8",
      });
      assert.match(out, /Hop limit\s*:\s*undefined/);
      assert.match(out, /Stateful address conf\.\s*:\s*No/);
      assert.match(out, /Stateful other conf\.\s*:\s*No/);
      assert.match(out, /Router lifetime\s*:\s*0 \(0x00000000\) seconds/);
      assert.doesNotMatch(out, /Prefix\s*:/);
      const brLinkLocal = net.run("ip", "-6", "-o", "addr", "show", "dev", net.bridge, "scope", "link");
      const from = /from (fe80::\S+)/.exec(out)?.[1];
      assert.ok(
        from && brLinkLocal.includes(from.replace(/%.*$/, "")),
        `from ${from}, br0 has ${brLinkLocal}`,
      );
    } finally {
      net.close();
    }
  });

  it("with services.ra.enabled: false, serve starts its other services and no advertiser", async () => {
    const net = TestNetwork.create({ tag: "ra" });
    try {
      const log = join(work, "serve-off.log");
      await startServeInNetwork(net, SERVER, config("off", "  ra: { enabled: false }"), log);
      await waitUntil(
        () => /dhcp \(full\) listening/.test(readFileSync(log, "utf8")),
        "serve's dhcp line",
        30_000,
      );
      assert.doesNotMatch(readFileSync(log, "utf8"), /ra listening|"part":"ra"/);
    } finally {
      net.close();
    }
  });
});
