/**
 * A client boots while the server it boots from dies (issue 20, docs/ha.md
 * "Failover while a client boots"). Two `bootfleet serve` share one
 * PostgreSQL (initdb'd here) in HA load-balancing, both answering DHCP on
 * one bridge: server a builds the image and publishes it, server b (roles
 * without `build`) pulls that version from a over HTTP before the client
 * starts. The layer's `servers:` names both. The client (SeaBIOS, QEMU's
 * iPXE ROM, TCG) is one whose MAC the RFC 3074 hash gives to a, so a
 * answers its DHCP, serves its kernel and initrd and its NBD root.
 *
 * Two moments, each on its own pair of servers and database:
 *
 *   (1) a is killed with SIGKILL as soon as the client's device holds its
 *       NBD connection to a (the hook's "NBD root from" line), while the
 *       initramfs mounts the root from it. Nothing of the root read after
 *       that can come from a: mounting the squashfs, switch_root, the
 *       image's init and the files the test reads afterwards all come
 *       through bootfleet-nbd's reconnect to b. The client must reach its
 *       init with no I/O error, read files it never read with the image's
 *       sha256, and b's API must show the machine and the NBD connection
 *       b accepted.
 *   (2) a is killed just before the client powers on: b answers the
 *       client's DHCP once a's heartbeat is `failover_after` old (a
 *       DISCOVER sent before goes unanswered, and the firmware
 *       retransmits it, RFC 2131 §4.1); the whole boot comes from b.
 *
 * Network: 198.18.170.0/24 for (1) and 198.18.171.0/24 for (2) (a on the
 * bridge, b in a host on it), used by no other test; namespaces, QEMU and
 * the servers are stopped by PID and removed after each case, PostgreSQL
 * in `after`, also on failure (test/support/nbd-outage-lab.ts).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { macHash } from "../../src/ha/load-balance-hash.js";
import { IMAGE, IO_ERROR, MAC, OutageLab } from "../support/nbd-outage-lab.js";
import { PostgresCluster } from "../support/postgres-cluster.js";
import { waitUntil } from "../support/wait-until.js";

const SUBNET_PREFIX = "198.18";

interface MachineEvent {
  readonly type: string;
  readonly ip: string | null;
  readonly at: number;
}

describe("HA failover while a client boots (QEMU TCG, PostgreSQL)", { timeout: 30 * 60_000 }, () => {
  let cluster: PostgresCluster | undefined;

  before(async () => {
    cluster = await PostgresCluster.start("ha-boot");
  });

  after(async () => {
    await cluster?.stop();
  });

  /**
   * A lab on `subnet` with servers a and b running on one fresh database;
   * b has pulled the version a published. `test` runs with it, and the lab
   * is closed after, also on failure.
   */
  async function withPair(
    subnet: string,
    tag: string,
    failoverAfter: number,
    test: (l: OutageLab) => Promise<void>,
  ): Promise<void> {
    const l = await OutageLab.create({ tag, sets: ["a"], subnet });
    try {
      const url = await cluster!.database();
      // The client belongs to whichever peer the RFC 3074 hash of its MAC
      // picks (docs/ha.md "Who answers whom"); name that peer "a", so the
      // server killed is the one the client boots from.
      const peers = macHash(MAC) % 2 === 0 ? "[a, b]" : "[b, a]";
      const ha = { peers, failoverAfter };
      writeConfig(l, "serve1.yaml", "a", l.server1, "var1", url, ha, true);
      writeConfig(l, "serve2.yaml", "b", l.server2, "var2", url, ha, false);
      // b gets the version by publishing, not by a copy of a's disk.
      rmSync(join(l.work, "var2"), { recursive: true, force: true });
      await l.startServer1();
      await l.startServer2();
      const aCurrent = join(l.work, "var1/images", IMAGE, "current");
      const bCurrent = join(l.work, "var2/images", IMAGE, "current");
      await waitUntil(
        () => existsSync(bCurrent) && readlinkSync(bCurrent) === readlinkSync(aCurrent),
        "server b to pull the version a published",
        120_000,
      );
      await test(l);
    } finally {
      l.close(Boolean(process.env.BOOTFLEET_KEEP_E2E));
    }
  }

  it("kill -9 the client's server after its NBD connection is up: the client boots on from the other", async () => {
    await withPair(`${SUBNET_PREFIX}.170`, "hafo-nbd", 3, async (l) => {
      const serial = join(l.work, "client.serial");
      const booted = l.boot();
      booted.catch(() => {}); // awaited below; a failure before then is reported there
      // Kill a once the kernel holds the connection to it: the hook prints
      // "NBD root from" after bootfleet-nbd has handed the socket to the
      // device. a's own "client connected" line comes earlier, at the end of
      // its handshake; a kill there lets bootfleet-nbd fall over to b before
      // the device exists, and nothing is left to reconnect.
      let from = "";
      await waitUntil(
        () => {
          const text = existsSync(serial) ? readFileSync(serial, "utf8") : "";
          // A whole line: the serial log may end in the middle of one.
          from = /NBD root from (\S+)\r?\n/.exec(text)?.[1] ?? "";
          return from !== "";
        },
        "the client's NBD root from server a",
        8 * 60_000,
      );
      assert.equal(from, `${l.server1}:10809`, "the client's first NBD root is not from a");
      const killedAt = Date.now();
      await l.stopServer1("SIGKILL");

      const text = await booted;
      assert.match(
        text,
        /HELPER ALIVE \d+ @bootfleet\/sbin\/bootfleet-nbd /,
        "bootfleet-nbd did not survive",
      );
      assert.match(text, /ROOT overlay \/ overlay /);
      assert.match(
        text,
        new RegExp(`bootfleet\\.server=${escaped(l.server1)} `),
        "the client did not boot from a",
      );

      // Files the client never read: only b can serve them now.
      const got = await l.readSet("a");
      for (const path of l.sets.get("a")!) assert.equal(got.get(path), l.digests.get(path), path);

      const log = await l.kernelLog();
      assert.deepEqual(
        log.filter((line) => IO_ERROR.test(line)),
        [],
        `I/O errors in the client's kernel log:\n${log.join("\n")}`,
      );
      const reconnects = log.filter((line) => /bootfleet-nbd: reconnected to /.test(line));
      assert.ok(reconnects.length >= 1, `no reconnect in the client's kernel log:\n${log.join("\n")}`);
      assert.match(reconnects.at(-1)!, new RegExp(`reconnected to ${escaped(l.server2)}:10809`));

      // b's API shows the machine, and the NBD connection b accepted after a died.
      assertMachineOnB(l);
      const connects = machineEvents(l).filter((e) => e.type === "nbd.connect");
      assert.ok(
        connects.some((e) => e.at >= killedAt),
        `no NBD connection recorded after the kill: ${JSON.stringify(connects)}`,
      );
      assert.match(readFileSync(join(l.work, "serve2.log"), "utf8"), /"msg":"nbd: client connected"/);
    });
  });

  it("kill -9 the client's server just before it powers on: the survivor answers its DHCP after failover_after", async () => {
    // The firmware's first DISCOVER leaves some 5 s after power-on (SeaBIOS,
    // then iPXE's two Ctrl-B prompts); with failover_after 8, b leaves the
    // first ones unanswered and answers a retransmission (RFC 2131 §4.1),
    // well inside iPXE's DHCP retry window.
    await withPair(`${SUBNET_PREFIX}.171`, "hafo-dhcp", 8, async (l) => {
      await l.stopServer1("SIGKILL");
      const text = await l.boot();
      assert.match(
        text,
        new RegExp(`bootfleet\\.server=${escaped(l.server2)} `),
        "the client did not boot from b",
      );
      assert.match(text, /ROOT overlay \/ overlay /);
      const got = await l.readSet("a");
      for (const path of l.sets.get("a")!) assert.equal(got.get(path), l.digests.get(path), path);
      assertMachineOnB(l);
      // b took a's clients over, then handled the client's first DISCOVER.
      const takeover = readFileSync(join(l.work, "serve2.log"), "utf8")
        .split("\n")
        .find((line) => line.includes('"msg":"ha: peer silent, answering its clients"'));
      assert.ok(takeover, "b never took a's clients over");
      const takenAt = (JSON.parse(takeover) as { time: number }).time;
      const events = machineEvents(l);
      const discovers = events.filter((e) => e.type === "dhcp.discover").map((e) => e.at);
      assert.ok(discovers.length > 0 && Math.min(...discovers) >= takenAt, JSON.stringify(events));
      assert.ok(
        events.some((e) => e.type === "dhcp.ack"),
        "b's API shows no DHCP ack for the client",
      );
    });
  });
});

function escaped(address: string): string {
  return address.replace(/\./g, "\\.");
}

/** b's API knows the machine. */
function assertMachineOnB(l: OutageLab): void {
  const { machine } = JSON.parse(apiGet(l, `/api/v1/machines/${MAC}`)) as { machine: { mac: string } };
  assert.equal(machine.mac, MAC);
}

/** The machine's events as b's API lists them. */
function machineEvents(l: OutageLab): MachineEvent[] {
  return (JSON.parse(apiGet(l, `/api/v1/machines/${MAC}/events?limit=1000`)) as { events: MachineEvent[] })
    .events;
}

/** A server of the pair: full DHCP in HA load-balancing on the shared store; a builds, b pulls. */
function writeConfig(
  l: OutageLab,
  file: string,
  name: string,
  address: string,
  data: string,
  url: string,
  ha: { readonly peers: string; readonly failoverAfter: number },
  builds: boolean,
): void {
  writeFileSync(
    join(l.work, file),
    `server:
  address: ${address}
  data_dir: ${join(l.work, data)}
  roles: [dhcp, tftp, http, nbd, syslog${builds ? ", build" : ""}]
services:
  dhcp: { mode: full, lease_time: 600 }
  http: { port: 8080 }
store: { driver: postgres, url: "${url}" }
ha: { mode: load-balancing, this_server: ${name}, peers: ${ha.peers}, failover_after: ${ha.failoverAfter}, heartbeat: 0.5 }
networks:
  - subnet: ${l.subnet}.0/24
    pool: ${l.subnet}.100-${l.subnet}.149
    routers: [${l.server1}]
${builds ? "" : `# Pulled from a once a publishes it; declared, as it is not on this disk yet.\nimages:\n  ${IMAGE}:\n`}defaults:
  image: ${IMAGE}
  console: ttyS0
  servers: [${l.server1}, ${l.server2}]
`,
  );
}

/** GET from server b's API, from the network's namespace (the bridge reaches b's host). */
function apiGet(l: OutageLab, path: string): string {
  return l.net.run("curl", "-sf", `http://${l.server2}:8080${path}`);
}
