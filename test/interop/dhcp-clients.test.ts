/**
 * Real DHCP clients against bootfleet's full-mode DHCP server in network
 * namespaces: ISC dhclient and busybox udhcpc get a lease, renew it and
 * release it; a lease survives kill -9 of the server and a start again (the
 * SQLite store); an address bound before the crash is never handed to a
 * second machine after it; and one server serves two interfaces, each
 * client getting an address of its own segment.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DhcpLab, textOf, waitForText } from "./dhcp-lab.js";
import { requirePeers } from "../support/require-peers.js";

const FLEET = `
server: { address: 198.18.10.1 }
services: { dhcp: { mode: full, lease_time: 10 } }
networks:
  - subnet: 198.18.10.0/24
    pool: 198.18.10.100-198.18.10.150
    routers: [198.18.10.1]
    dns: [198.18.10.1]
    domain: lab.example
defaults: { boot_unknown: true }
`;

before(() => {
  requirePeers(["ip", "dhclient", "busybox"]);
});

describe("dhclient and udhcpc against full mode, with a kill -9 in the middle", () => {
  let lab: DhcpLab;
  before(() => {
    lab = new DhcpLab("dhcpcl", 1);
  });
  after(() => lab?.close());

  test("lease, renew, survive a crash, never double an address, release", async () => {
    const config = lab.writeConfig(FLEET);
    let serverLog = await lab.startServer(config);

    // dhclient (lease 10 s: it renews at T1 = 5 s, RFC 2131 §4.4.5).
    const a = lab.client("a", "52:54:00:10:0a:01");
    const dh = lab.clientScript("dhclient-a", "dhclient");
    const files = ["-sf", dh.script, "-lf", join(lab.dir, "a.leases"), "-pf", join(lab.dir, "a.pid")];
    lab.net.spawn("dhclient", ["-d", "-v", ...files, "c0"], join(lab.dir, "dhclient-a.log"), { ns: a });
    const [, ip] = await waitForText(dh.log, /^BOUND (\S+)$/m, 30_000);
    assert.match(ip!, /^198\.18\.10\.(1[0-4]\d|150)$/);
    assert.match(
      lab.inNs(a, "ip", "-4", "addr", "show", "c0"),
      new RegExp(`inet ${ip!.replace(/\./g, "\\.")}/24`),
    );
    await waitForText(dh.log, /^RENEW /m, 20_000);

    // kill -9, start again: the renewal after the restart is ACKed.
    await lab.killServer();
    serverLog = await lab.startServer(config);
    const renewsBefore = textOf(dh.log).match(/^RENEW /gm)!.length;
    await waitForText(dh.log, new RegExp(`(^RENEW ${ip}$[\\s\\S]*){${renewsBefore + 1}}`, "m"), 20_000);
    await waitForText(serverLog, /"type":"dhcp.ack".*"state":"renewing"/, 5_000);
    assert.doesNotMatch(textOf(serverLog), /dhcp\.nak/);

    // A second machine asking for that very address (option 50 in its
    // DISCOVER, udhcpc -r) gets another one.
    const b = lab.client("b", "52:54:00:10:0b:01");
    const ub = lab.clientScript("udhcpc-b", "udhcpc");
    lab.net.spawn(
      "busybox",
      ["udhcpc", "-i", "c0", "-f", "-s", ub.script, "-r", ip!, "-t", "5", "-T", "2"],
      join(lab.dir, "udhcpc-b.log"),
      {
        ns: b,
      },
    );
    const [, ipB] = await waitForText(ub.log, /^bound (\S+)$/m, 30_000);
    assert.notEqual(ipB, ip);

    // dhclient -r: RELEASE (RFC 2131 §4.4.6); the store keeps it as released.
    lab.inNs(a, "dhclient", "-r", "-v", ...files, "c0");
    await waitForText(
      serverLog,
      new RegExp(`"type":"dhcp.release","mac":"52:54:00:10:0a:01","ip":"${ip}"`),
      10_000,
    );
  });

  test("udhcpc: lease, renew on SIGUSR1, release on SIGUSR2", async () => {
    const serverLog = join(lab.dir, "server-1.log");
    const c = lab.client("c", "52:54:00:10:0c:01");
    const uc = lab.clientScript("udhcpc-c", "udhcpc");
    const child = lab.net.spawn(
      "busybox",
      ["udhcpc", "-i", "c0", "-f", "-s", uc.script, "-t", "5", "-T", "2"],
      join(lab.dir, "udhcpc-c.log"),
      {
        ns: c,
      },
    );
    const [, ip] = await waitForText(uc.log, /^bound (\S+)$/m, 30_000);
    process.kill(child.pid!, "SIGUSR1");
    await waitForText(uc.log, new RegExp(`^renew ${ip}$`, "m"), 10_000);
    process.kill(child.pid!, "SIGUSR2");
    await waitForText(
      serverLog,
      new RegExp(`"type":"dhcp.release","mac":"52:54:00:10:0c:01","ip":"${ip}"`),
      10_000,
    );
  });
});

describe("one server, two interfaces (198.18.10.0/24 on br0, 198.18.11.0/24 on br1)", () => {
  let lab: DhcpLab;
  before(() => {
    lab = new DhcpLab("dhcp2if", 2);
  });
  after(() => lab?.close());

  test("each client gets an address of its own segment, from the server's address there", async () => {
    const config = lab.writeConfig(
      FLEET.replace(
        "defaults:",
        "  - subnet: 198.18.11.0/24\n    pool: 198.18.11.100-198.18.11.150\n    routers: [198.18.11.1]\ndefaults:",
      ),
    );
    const serverLog = await lab.startServer(config);
    const results: string[] = [];
    for (const [tag, bridge, mac] of [
      ["x", "br0", "52:54:00:10:0d:01"],
      ["y", "br1", "52:54:00:11:0d:02"],
    ] as const) {
      const ns = lab.client(tag, mac, bridge);
      const u = lab.clientScript(`udhcpc-${tag}`, "udhcpc");
      lab.net.spawn(
        "busybox",
        ["udhcpc", "-i", "c0", "-f", "-s", u.script, "-t", "5", "-T", "2"],
        join(lab.dir, `udhcpc-${tag}.log`),
        { ns },
      );
      const [, ip] = await waitForText(u.log, /^bound (\S+)$/m, 30_000);
      results.push(ip!);
      await waitForText(join(lab.dir, `udhcpc-${tag}.log`), /obtained from 198\.18\.1[01]\.1/, 5_000);
    }
    assert.match(results[0]!, /^198\.18\.10\./);
    assert.match(results[1]!, /^198\.18\.11\./);
    assert.match(textOf(join(lab.dir, "udhcpc-y.log")), /obtained from 198\.18\.11\.1,/);
    assert.match(textOf(serverLog), /"interfaces":\["198\.18\.10\.1","198\.18\.11\.1"\]/);
  });
});
