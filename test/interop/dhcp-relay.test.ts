/**
 * bootfleet's full-mode DHCP server behind a real relay agent: ISC dhcrelay
 * (Debian's isc-dhcp-relay) in a router namespace between two segments.
 *
 *   server ns: br0 198.18.12.1/24 (segment A), route to 198.18.13.0/24 via .2
 *   router ns: leg on br0 198.18.12.2/24; bridge brB 198.18.13.1/24 (segment
 *              B), IP forwarding on; `dhcrelay -d -4 -a -D -id brB -iu <A leg>`
 *   clients:   namespaces on brB, hearing nothing of segment A
 *
 * The server has no address in 198.18.13.0/24, so an address from that pool
 * can only come from choosing the network by giaddr (RFC 2131 §4.3.1) and
 * replying to the relay on port 67 (§4.1). dhcrelay runs with -a (add option
 * 82, circuit ID = brB) and -D (drop replies whose option 82 does not match
 * one it added, dhcrelay(8)), so a reply reaches the client only when the
 * server echoed option 82 (RFC 3046 §2.2). The dhclient lease renews by
 * unicast through the router (RFC 2131 §4.4.5), which the server answers
 * directly to ciaddr.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { DhcpLab, textOf, waitForText } from "./dhcp-lab.js";
import { requirePeers } from "../support/require-peers.js";

const POOL_MAC = "52:54:00:13:0a:01";
const HOST_MAC = "52:54:00:13:0b:01";

const FLEET = `
server: { address: 198.18.12.1 }
services: { dhcp: { mode: full, lease_time: 10 } }
networks:
  - subnet: 198.18.12.0/24
    pool: 198.18.12.100-198.18.12.150
    routers: [198.18.12.1]
  - subnet: 198.18.13.0/24
    pool: 198.18.13.100-198.18.13.150
    routers: [198.18.13.1]
    dns: [198.18.12.1]
hosts:
  relayed-host:
    mac: "${HOST_MAC}"
    ip: 198.18.13.20
defaults: { boot_unknown: true }
`;

before(() => {
  requirePeers(["ip", "dhcrelay", "dhclient", "busybox"]);
});

describe("full mode behind ISC dhcrelay (option 82 on, mismatches dropped)", () => {
  let lab: DhcpLab;
  let router: string;
  before(() => {
    lab = new DhcpLab("dhcprl", 1, "198.18.12.1/24");
    // The router: its segment A leg is v1b (TestNetwork.addHost), segment B is a bridge of its own.
    router = lab.net.addHost("rt", "198.18.12.2/24");
    lab.inNs(router, "ip", "link", "add", "brB", "type", "bridge");
    lab.inNs(router, "ip", "link", "set", "brB", "type", "bridge", "forward_delay", "0", "stp_state", "0");
    lab.inNs(router, "ip", "addr", "add", "198.18.13.1/24", "dev", "brB");
    lab.inNs(router, "ip", "link", "set", "brB", "up");
    lab.inNs(router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    lab.net.run("ip", "route", "add", "198.18.13.0/24", "via", "198.18.12.2");
  });
  after(() => lab?.close());

  test("a pool client and a declared host on segment B get their addresses through the relay", async () => {
    const serverLog = await lab.startServer(lab.writeConfig(FLEET));
    const relayLog = join(lab.dir, "dhcrelay.log");
    lab.net.spawn(
      "dhcrelay",
      [
        "-d",
        "-4",
        "-a",
        "-D",
        "-pf",
        join(lab.dir, "dhcrelay.pid"),
        "-id",
        "brB",
        "-iu",
        "v1b",
        "198.18.12.1",
      ],
      relayLog,
      { ns: router },
    );
    // dhcrelay prints its interfaces once it listens on them.
    await waitForText(relayLog, /Listening on LPF\/brB\//, 10_000);

    // dhclient, pool address. Its script logs the options and sets the
    // address and the default route (for the unicast renewal).
    const a = lab.client("a", POOL_MAC, "brB", router);
    const events = join(lab.dir, "dhclient-a.events");
    const script = join(lab.dir, "dhclient-a.sh");
    writeFileSync(
      script,
      `#!/bin/sh
echo "$reason $new_ip_address routers=$new_routers sid=$new_dhcp_server_identifier mask=$new_subnet_mask" >> ${events}
case "$reason" in BOUND|RENEW|REBIND|REBOOT)
  ip addr replace "$new_ip_address/24" dev "$interface"
  ip route replace default via "$new_routers" dev "$interface" ;;
EXPIRE|RELEASE|STOP) ip addr flush dev "$interface" ;; esac
exit 0
`,
      { mode: 0o755 },
    );
    const files = ["-sf", script, "-lf", join(lab.dir, "a.leases"), "-pf", join(lab.dir, "a.pid")];
    lab.net.spawn("dhclient", ["-d", "-v", ...files, "c0"], join(lab.dir, "dhclient-a.log"), { ns: a });
    const [, ip, routers, sid, mask] = await waitForText(
      events,
      /^BOUND (\S+) routers=(\S*) sid=(\S*) mask=(\S*)$/m,
      30_000,
    );
    assert.match(ip!, /^198\.18\.13\.(1[0-4]\d|150)$/);
    assert.equal(routers, "198.18.13.1");
    assert.equal(sid, "198.18.12.1");
    assert.equal(mask, "255.255.255.0");
    assert.match(
      lab.inNs(a, "ip", "-4", "addr", "show", "c0"),
      new RegExp(`inet ${ip!.replace(/\./g, "\\.")}/24`),
    );

    // The server saw it through the relay: giaddr is the router's segment B address.
    const log = textOf(serverLog);
    assert.match(log, new RegExp(`"type":"dhcp.discover","mac":"${POOL_MAC}".*"relay":"198\\.18\\.13\\.1"`));
    const ackLine = log
      .split("\n")
      .find((l) => l.startsWith("EVENT ") && l.includes('"type":"dhcp.ack"') && l.includes(POOL_MAC));
    assert.ok(ackLine, "the ACK through the relay is an event");
    const ack = JSON.parse(ackLine.slice("EVENT ".length)) as {
      mac: string;
      ip: string;
      detail: Record<string, unknown>;
    };
    assert.equal(ack.mac, POOL_MAC);
    assert.equal(ack.ip, ip);
    assert.equal(ack.detail.network, "198.18.13.0/24");
    assert.equal(ack.detail.state, "selecting");
    assert.equal(ack.detail.relay, "198.18.13.1");
    // dhcrelay forwarded both ways (and, with -D, found its own option 82 in the replies).
    const relayText = textOf(relayLog);
    assert.match(relayText, /Forwarded BOOTREQUEST for 52:54:00:13:0a:01 to 198\.18\.12\.1/);
    assert.match(relayText, /Forwarded BOOTREPLY for 52:54:00:13:0a:01 to /);

    // T1 (lease 10 s): the renewal goes by unicast through the router, straight to ciaddr.
    await waitForText(events, new RegExp(`^RENEW ${ip!.replace(/\./g, "\\.")} `, "m"), 20_000);
    await waitForText(
      serverLog,
      new RegExp(
        `"type":"dhcp.ack","mac":"${POOL_MAC}","ip":"${ip}".*"network":"198\\.18\\.13\\.0/24".*"state":"renewing"`,
      ),
      5_000,
    );

    // busybox udhcpc as a declared host: its fixed address, from behind the relay.
    const b = lab.client("b", HOST_MAC, "brB", router);
    const ub = lab.clientScript("udhcpc-b", "udhcpc");
    const udhcpcLog = join(lab.dir, "udhcpc-b.log");
    lab.net.spawn("busybox", ["udhcpc", "-i", "c0", "-f", "-s", ub.script, "-t", "5", "-T", "2"], udhcpcLog, {
      ns: b,
    });
    const [, hostIp] = await waitForText(ub.log, /^bound (\S+)$/m, 30_000);
    assert.equal(hostIp, "198.18.13.20");
    assert.match(textOf(udhcpcLog), /obtained from 198\.18\.12\.1,/);
    assert.match(
      textOf(serverLog),
      new RegExp(`"type":"dhcp.discover","mac":"${HOST_MAC}".*"relay":"198\\.18\\.13\\.1"`),
    );
    assert.doesNotMatch(textOf(serverLog), /dhcp\.nak|"dropped packet"/);

    // The store: both bound in the relayed network (the server holds no address there).
    await lab.killServer();
    const store = openSqliteStore(join(lab.dir, "bootfleet.db"));
    try {
      const rows = await store.listLeases("198.18.13.0/24");
      const byMac = new Map(rows.map((r) => [r.mac, r]));
      assert.equal(byMac.get(POOL_MAC)?.ip, ip);
      assert.equal(byMac.get(POOL_MAC)?.state, "bound");
      assert.equal(byMac.get(HOST_MAC)?.ip, "198.18.13.20");
      assert.equal(byMac.get(HOST_MAC)?.state, "bound");
      assert.equal((await store.listLeases("198.18.12.0/24")).length, 0);
    } finally {
      await store.close();
    }
  });
});
