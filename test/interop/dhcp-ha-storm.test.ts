/**
 * Two `bootfleet serve` on one PostgreSQL in HA (docs/ha.md). Load-balancing
 * with 200 DHCP clients (test/support/dhcp-client-swarm.ts, each MAC its own
 * client): no address is ever handed to two MACs, checked in the clients'
 * replies and in the database, and every client gets a lease, also when one
 * server is killed with SIGKILL while clients are still arriving; after the
 * kill, the survivor renews the leases the dead server granted, for their
 * MACs only. Hot-standby: only the primary answers until it is killed, then
 * the standby does.
 *
 * Network: 198.18.93.0/24, used by no other test. Server a in the network's
 * namespace on the bridge (198.18.93.1), server b in a host joined to it
 * (198.18.93.2), the clients in a third (198.18.93.250, outside the pool,
 * with a default route, so their broadcasts have a way out). PostgreSQL on
 * a unix socket only.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { textOf } from "./dhcp-lab.js";
import { PostgresCluster } from "../support/postgres-cluster.js";
import { requirePeers } from "../support/require-peers.js";
import { startServeInNetwork } from "../support/serve-in-network.js";
import { TestNetwork } from "../support/test-network.js";
import { waitUntil } from "../support/wait-until.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const SWARM = join(root, "test/support/dhcp-client-swarm.ts");
const CLIENTS_PER_WAVE = 100;

interface Reply {
  readonly type: "offer" | "ack" | "nak";
  readonly mac: string;
  readonly ip: string;
  readonly server: string | null;
}

let cluster: PostgresCluster | undefined;
/** The running test's network and folder (tests run one after the other). */
let net: TestNetwork | undefined;
let dir = "";

before(async () => {
  requirePeers(["ip", "curl"], { root: true });
  cluster = await PostgresCluster.start("ha-storm");
});

after(async () => {
  closeLab();
  await cluster?.stop();
});

function closeLab(): void {
  net?.close();
  net = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
}

interface Pair {
  readonly url: string;
  readonly nsB: string;
  readonly nsClients: string;
  readonly serveA: ChildProcess;
}

/** A fresh database, network and folder; servers a and b in `mode`, both answering. */
async function startPair(mode: "load-balancing" | "hot-standby"): Promise<Pair> {
  dir = mkdtempSync(join(tmpdir(), "bf-ha-storm-"));
  net = TestNetwork.create({ tag: "ha", bridgeAddress: "198.18.93.1/24" });
  const url = await cluster!.database();
  const nsB = net.addHost("b", "198.18.93.2/24");
  const nsClients = net.addHost("cl", "198.18.93.250/24");
  // A route for the clients' limited broadcasts (255.255.255.255), which
  // Linux refuses to send (ENETUNREACH) from a namespace with none.
  execFileSync("ip", ["netns", "exec", nsClients, "ip", "route", "add", "default", "via", "198.18.93.1"]);
  const [serveA] = await Promise.all([
    startServeInNetwork(
      net,
      "198.18.93.1",
      serverConfig("a", "198.18.93.1", url, mode),
      join(dir, "serve-a.log"),
    ),
    startServeInNetwork(
      net,
      "198.18.93.2",
      serverConfig("b", "198.18.93.2", url, mode),
      join(dir, "serve-b.log"),
      {
        ns: nsB,
      },
    ),
  ]);
  return { url, nsB, nsClients, serveA };
}

async function killServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(child.pid!, "SIGKILL");
  await exited;
}

function serverConfig(name: string, address: string, url: string, mode: string): string {
  const data = join(dir, name);
  mkdirSync(data, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `server: { address: ${address}, data_dir: ${data} }
services:
  dhcp: { mode: full, lease_time: 600 }
  tftp: { enabled: false }
  nbd: { enabled: false }
  syslog: { enabled: false }
store: { driver: postgres, url: "${url}" }
ha: { mode: ${mode}, this_server: ${name}, peers: [a, b], failover_after: 4, heartbeat: 0.5 }
networks:
  - subnet: 198.18.93.0/24
    pool: 198.18.93.10-198.18.93.249
    routers: [198.18.93.1]
defaults: { boot_unknown: true }
`,
  );
  return file;
}

/** Starts the swarm in the clients' namespace; its replies accumulate in the returned log. */
function swarm(ns: string, name: string, args: readonly string[]): { log: string; child: ChildProcess } {
  const log = join(dir, `${name}.log`);
  const child = net!.spawn(process.execPath, ["--import", "tsx", SWARM, ...args], log, { ns, cwd: root });
  return { log, child };
}

function replies(log: string): Reply[] {
  const text = textOf(log);
  // Only whole lines: the swarm may be half-way through writing the last one.
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Reply);
}

/** Waits for the swarm's DONE line; every client must have had its answer. */
async function assertAllAnswered(log: string, clients: number): Promise<void> {
  await waitUntil(() => /^DONE /m.test(textOf(log)), `the clients in ${log} to finish`, 150_000);
  const done = JSON.parse(textOf(log).match(/^DONE (.*)$/m)![1]!) as { answered: number; clients: number };
  const tail = (file: string) => textOf(join(dir, file)).slice(-2000);
  assert.deepEqual(
    done,
    { answered: clients, clients },
    `clients:\n${textOf(log).slice(-1500)}\nserver a:\n${tail("serve-a.log")}\nserver b:\n${tail("serve-b.log")}`,
  );
}

/** Every address acknowledged to one MAC only, across every reply the clients saw. */
function assertNoAddressTwice(all: readonly Reply[]): void {
  const macsOf = new Map<string, Set<string>>();
  for (const r of all.filter((x) => x.type === "ack")) {
    const set = macsOf.get(r.ip) ?? new Set();
    set.add(r.mac);
    macsOf.set(r.ip, set);
  }
  const twice = [...macsOf].filter(([, macs]) => macs.size > 1);
  assert.deepEqual(twice, [], "addresses acknowledged to two MACs");
}

describe("two servers, one PostgreSQL, load-balancing HA", () => {
  test("200 clients: no address twice, every client a lease, also across kill -9 of one server", {
    timeout: 420_000,
  }, async () => {
    try {
      const { url, nsB, nsClients, serveA } = await startPair("load-balancing");

      // Server b's live view, followed from its own namespace for the whole first wave.
      const streamB = join(dir, "stream-b.log");
      net!.spawn(
        "curl",
        ["-sN", "--max-time", "150", "http://198.18.93.2:8080/api/v1/events/stream"],
        streamB,
        { ns: nsB },
      );

      // Wave 1: both servers up; each answers its half of the clients.
      const wave1 = swarm(nsClients, "wave1", [
        "dora",
        "--macs",
        "02:93:01:00",
        "--count",
        String(CLIENTS_PER_WAVE),
        "--deadline-ms",
        "120000",
      ]);
      await assertAllAnswered(wave1.log, CLIENTS_PER_WAVE);
      const acks1 = replies(wave1.log).filter((r) => r.type === "ack");
      assert.equal(new Set(acks1.map((r) => r.mac)).size, CLIENTS_PER_WAVE);
      assertNoAddressTwice(acks1);
      const byServer = (server: string) => acks1.filter((r) => r.server === server).length;
      assert.ok(byServer("198.18.93.1") > 0 && byServer("198.18.93.2") > 0, "both servers answered clients");
      // b's live view shows the ACKs server a sent too (the fleet's events, not only its own).
      const ackedByA = new Set(acks1.filter((r) => r.server === "198.18.93.1").map((r) => r.mac));
      const streamedAcks = () =>
        new Set(
          textOf(streamB)
            .split("\n")
            .filter((l) => l.startsWith("data: "))
            .map((l) => JSON.parse(l.slice(6)) as { type?: string; mac?: string })
            .filter((e) => e.type === "dhcp.ack" && e.mac !== undefined)
            .map((e) => e.mac!),
        );
      await waitUntil(
        () => [...ackedByA].every((mac) => streamedAcks().has(mac)),
        "server b's event stream to show every ACK server a sent",
        30_000,
      );

      // Wave 2: server a is killed (SIGKILL, by PID) once a third of the clients are bound.
      const wave2 = swarm(nsClients, "wave2", [
        "dora",
        "--macs",
        "02:93:02:00",
        "--count",
        String(CLIENTS_PER_WAVE),
        "--deadline-ms",
        "120000",
      ]);
      await waitUntil(
        () => replies(wave2.log).filter((r) => r.type === "ack").length >= CLIENTS_PER_WAVE / 3,
        "a third of the second wave bound",
        120_000,
      );
      await killServer(serveA);
      await assertAllAnswered(wave2.log, CLIENTS_PER_WAVE);
      const acks2 = replies(wave2.log).filter((r) => r.type === "ack");
      assert.equal(new Set(acks2.map((r) => r.mac)).size, CLIENTS_PER_WAVE);
      assertNoAddressTwice([...acks1, ...acks2]);

      // The survivor honours what the dead server granted: INIT-REBOOT of
      // its clients is ACKed with their address, another MAC asking for one is NAKed.
      const granted = acks1.filter((r) => r.server === "198.18.93.1").slice(0, 10);
      const intruder = `02:93:03:00:00:01=${granted[0]!.ip}`;
      const wave3 = swarm(nsClients, "wave3", [
        "reboot",
        "--pairs",
        [...granted.map((r) => `${r.mac}=${r.ip}`), intruder].join(","),
      ]);
      await assertAllAnswered(wave3.log, granted.length + 1);
      const answers = replies(wave3.log);
      for (const g of granted) {
        const r = answers.find((x) => x.mac === g.mac);
        assert.deepEqual(r && { type: r.type, ip: r.ip, server: r.server }, {
          type: "ack",
          ip: g.ip,
          server: "198.18.93.2",
        });
      }
      assert.equal(answers.find((x) => x.mac === "02:93:03:00:00:01")?.type, "nak");

      // The database agrees: one row per address (its key), one bound address per MAC,
      // and no address acknowledged to two MACs in either server's recorded events.
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      try {
        const bound = await db.query<{ n: number; macs: number }>(
          "SELECT count(*)::int AS n, count(DISTINCT mac)::int AS macs FROM leases WHERE state = 'bound'",
        );
        assert.deepEqual(bound.rows[0], { n: 2 * CLIENTS_PER_WAVE, macs: 2 * CLIENTS_PER_WAVE });
        const twice = await db.query(
          `SELECT ip, array_agg(DISTINCT mac) AS macs FROM events
           WHERE type = 'dhcp.ack' AND ip IS NOT NULL GROUP BY ip HAVING count(DISTINCT mac) > 1`,
        );
        assert.deepEqual(twice.rows, []);
      } finally {
        await db.end();
      }
      assert.match(textOf(join(dir, "serve-b.log")), /ha: peer silent, answering its clients/);
    } finally {
      closeLab();
    }
  });
});

describe("two servers, one PostgreSQL, hot-standby HA", () => {
  test("the primary answers every client; after kill -9 the standby does, with no address twice", {
    timeout: 420_000,
  }, async () => {
    try {
      const { url, nsClients, serveA } = await startPair("hot-standby");
      const wave1 = swarm(nsClients, "standby1", ["dora", "--macs", "02:93:11:00", "--count", "50"]);
      await assertAllAnswered(wave1.log, 50);
      const acks1 = replies(wave1.log).filter((r) => r.type === "ack");
      assert.deepEqual(
        [...new Set(replies(wave1.log).map((r) => r.server))],
        ["198.18.93.1"],
        "only the primary answered",
      );

      await killServer(serveA);
      const wave2 = swarm(nsClients, "standby2", ["dora", "--macs", "02:93:12:00", "--count", "50"]);
      await assertAllAnswered(wave2.log, 50);
      const acks2 = replies(wave2.log).filter((r) => r.type === "ack");
      assert.deepEqual(
        [...new Set(acks2.map((r) => r.server))],
        ["198.18.93.2"],
        "the standby answered after the kill",
      );
      assertNoAddressTwice([...acks1, ...acks2]);
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      try {
        const bound = await db.query<{ n: number; macs: number }>(
          "SELECT count(*)::int AS n, count(DISTINCT mac)::int AS macs FROM leases WHERE state = 'bound'",
        );
        assert.deepEqual(bound.rows[0], { n: 100, macs: 100 });
      } finally {
        await db.end();
      }
    } finally {
      closeLab();
    }
  });
});
