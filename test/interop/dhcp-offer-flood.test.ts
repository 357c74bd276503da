/**
 * A flood of DISCOVERs from made-up MACs must not use up the pool for real
 * machines. perfdhcp (Kea's load generator) sends 150 DISCOVERs from
 * random MACs and never REQUESTs; then busybox udhcpc, a real client, must
 * still get a lease from a pool of ten addresses. When every offer held its
 * address for a minute, the first ten DISCOVERs took the whole pool and
 * udhcpc gave up.
 *
 * Network: the lab's namespaces on 198.18.14.0/24 (server 198.18.14.1,
 * perfdhcp 198.18.14.2 as a relay would be, udhcpc on the bridge).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { requirePeers } from "../support/require-peers.js";
import { waitUntil } from "../support/wait-until.js";
import { DhcpLab, textOf, waitForText } from "./dhcp-lab.js";

const FLEET = `
server: { address: 198.18.14.1 }
services: { dhcp: { mode: full, lease_time: 600 } }
networks:
  - subnet: 198.18.14.0/24
    pool: 198.18.14.100-198.18.14.109
    routers: [198.18.14.1]
defaults: { boot_unknown: true }
`;
const FLOOD = 150;
/** DISCOVERs the server must handle, on a loaded machine too: ten times the pool's ten addresses. */
const HANDLED = 100;

/** Runs a program to its end (at most a minute); stdout and stderr together. */
function run(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", () => resolve(out));
  });
}

let lab: DhcpLab;

before(() => {
  requirePeers(["ip", "perfdhcp", "busybox"], { root: true });
  lab = new DhcpLab("dhcpflood", 1, "198.18.14.1/24");
});

after(() => lab?.close());

describe("DISCOVERs from made-up MACs that never REQUEST", () => {
  test("leave the pool to a real client: udhcpc gets a lease after 150 of them", async () => {
    const serverLog = await lab.startServer(lab.writeConfig(FLEET));

    const perf = lab.client("perf", "52:54:00:14:ff:01");
    lab.inNs(perf, "ip", "addr", "add", "198.18.14.2/24", "dev", "c0");
    // -i: DISCOVER and OFFER only; -R: that many random MACs; -n: DISCOVERs in all.
    // perfdhcp exits 3 when it counts a reply as late: what counts here is what the server did.
    const flood = await run("ip", [
      "netns",
      "exec",
      perf,
      "perfdhcp",
      "-4",
      "-i",
      "-R",
      "100000",
      "-n",
      String(FLOOD),
      "-r",
      "100",
      "-l",
      "c0",
      "198.18.14.1",
    ]);
    assert.equal(Number(flood.match(/sent packets: (\d+)/)?.[1]), FLOOD, flood);
    // On a loaded machine the server may shed a few DISCOVERs (dhcp-intake-queue.ts);
    // every one it handles must be offered an address, far more than the pool holds.
    // A DISCOVER's event says whether it was answered (`"reply":"offer"`).
    const discovers = () =>
      textOf(serverLog)
        .split("\n")
        .filter((l) => l.includes('"type":"dhcp.discover"'));
    await waitUntil(() => {
      const all = discovers();
      return all.length >= HANDLED && all.every((l) => l.includes('"reply":"offer"'));
    }, `every DISCOVER handled (at least ${HANDLED}) offered an address; perfdhcp said:\n${flood}`);

    const c = lab.client("c", "52:54:00:14:0c:01");
    const u = lab.clientScript("udhcpc-c", "udhcpc");
    lab.net.spawn(
      "busybox",
      ["udhcpc", "-i", "c0", "-f", "-n", "-s", u.script, "-t", "5", "-T", "2"],
      join(lab.dir, "udhcpc-c.log"),
      { ns: c },
    );
    const [, ip] = await waitForText(u.log, /^bound (\S+)$/m, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\nudhcpc: ${textOf(join(lab.dir, "udhcpc-c.log"))}`);
    });
    assert.match(ip!, /^198\.18\.14\.10\d$/);
    assert.doesNotMatch(textOf(serverLog), /address pool exhausted/);
  });
});
