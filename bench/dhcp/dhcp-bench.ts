/**
 * DHCP benchmark: perfdhcp (Debian's kea-admin) against bootfleet and
 * against kea-dhcp4 in one run, same namespaces, same pool, same load.
 *
 *   node --import tsx bench/dhcp/dhcp-bench.ts [--seconds 10] [--rounds 3] [--clients 200] [--rate N]
 *
 * Topology: the server's namespace holds br0 = 198.18.10.1/24; perfdhcp
 * runs in its own namespace on 198.18.10.2, joined by a veth. Nothing leaves
 * the namespaces. Each round runs perfdhcp's basic scenario (full DORA) for
 * --seconds as fast as it can send (no -r), with --clients simulated MACs,
 * first against bootfleet, then against kea; the figure per server is the
 * median over rounds of perfdhcp's "Rate: N 4-way exchanges/second".
 * --rate N offers N exchanges/s (perfdhcp -r) instead of a flood: the rate
 * a server sustains with few drops is steadier on a busy machine.
 *
 * bootfleet: full mode, SQLite store, every lease committed before its ACK
 * leaves (group commit, see src/services/dhcp/lease-writer.ts), the real
 * config loader and resolver, the fake boot planner (perfdhcp is not a
 * netboot client, so the planner is not asked anyway).
 * kea-dhcp4 2.2: memfile lease database with persist: true (its CSV file),
 * raw sockets, single-threaded (its default), logging at WARN.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { DhcpLab, waitForText } from "../../test/interop/dhcp-lab.js";
import { missingPeers } from "../../test/support/require-peers.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    clients: { type: "string", default: "200" },
    rate: { type: "string" },
  },
});
const seconds = Math.max(1, Math.min(60, Number(values.seconds)));
const rounds = Math.max(1, Math.min(10, Number(values.rounds)));
const clients = Math.max(1, Math.min(240, Number(values.clients))); // the pool has 241 addresses

const missing = missingPeers(["perfdhcp", "kea-dhcp4"]);
if (missing !== undefined) {
  process.stderr.write(`bench: ${missing}\n`);
  process.exit(1);
}

const lab = new DhcpLab("dhcpbench", 1);
try {
  const perf = lab.client("perf", "52:54:00:10:ff:01");
  lab.inNs(perf, "ip", "addr", "add", "198.18.10.2/24", "dev", "c0");

  const config = lab.writeConfig(`
server: { address: 198.18.10.1 }
services: { dhcp: { mode: full, lease_time: 3600 } }
networks:
  - subnet: 198.18.10.0/24
    pool: 198.18.10.10-198.18.10.250
    routers: [198.18.10.1]
defaults: { boot_unknown: true }
`);
  const keaConfig = join(lab.dir, "kea-dhcp4.json");
  writeFileSync(
    keaConfig,
    JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: ["br0"], "dhcp-socket-type": "raw" },
        "lease-database": {
          type: "memfile",
          persist: true,
          name: join(lab.dir, "kea-leases4.csv"),
          "lfc-interval": 0,
        },
        "valid-lifetime": 3600,
        subnet4: [
          {
            id: 1,
            subnet: "198.18.10.0/24",
            pools: [{ pool: "198.18.10.10 - 198.18.10.250" }],
            "option-data": [{ name: "routers", data: "198.18.10.1" }],
          },
        ],
        loggers: [
          { name: "kea-dhcp4", output_options: [{ output: join(lab.dir, "kea.log") }], severity: "WARN" },
        ],
      },
    }),
  );

  const perfdhcp = (): number => {
    const r = spawnSync(
      "ip",
      [
        "netns",
        "exec",
        perf,
        "perfdhcp",
        "-4",
        "-l",
        "c0",
        "-R",
        String(clients),
        "-p",
        String(seconds),
        "198.18.10.1",
      ],
      { encoding: "utf8", timeout: (seconds + 30) * 1000 },
    );
    const m = r.stdout.match(/Rate: ([\d.]+) 4-way exchanges\/second/);
    if (!m) throw new Error(`perfdhcp printed no rate:\n${r.stdout}\n${r.stderr}`);
    return Number(m[1]);
  };

  const ours: number[] = [];
  let bound = 0;
  const theirs: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    await lab.startServer(config, ["--quiet"]);
    ours.push(perfdhcp());
    // kill -9, then count what the store kept: every ACKed lease must be there.
    await lab.killServer();
    const store = openSqliteStore(join(lab.dir, "bootfleet.db"));
    bound = (await store.listLeases()).filter((l) => l.state === "bound").length;
    await store.close();

    const keaLog = join(lab.dir, `kea-${round}.out`);
    const kea = lab.net.spawn("kea-dhcp4", ["-c", keaConfig], keaLog, {
      env: { ...process.env, KEA_PIDFILE_DIR: lab.dir, KEA_LOCKFILE_DIR: lab.dir },
    });
    await waitForText(keaLog, /DHCP4_STARTED|DHCPSRV_MEMFILE_DB|server version/, 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    theirs.push(perfdhcp());
    const exited = new Promise((r) => kea.once("exit", r));
    kea.kill("SIGTERM");
    await exited;
    process.stderr.write(
      `round ${round}: bootfleet ${ours.at(-1)!.toFixed(0)}, kea ${theirs.at(-1)!.toFixed(0)} exchanges/s\n`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const a = median(ours);
  const b = median(theirs);
  process.stdout.write(
    `perfdhcp DORA, ${clients} clients, ${values.rate ? `offered ${values.rate}/s` : "flood"}, ${seconds} s x ${rounds} rounds (median)\n` +
      `bootfleet (SQLite, lease committed before ACK): ${a.toFixed(0)} exchanges/s\n` +
      `kea-dhcp4 2.2 (memfile, persist):               ${b.toFixed(0)} exchanges/s\n` +
      `ratio bootfleet/kea: ${(a / b).toFixed(2)}\n` +
      `bootfleet's store after kill -9 of the last round: ${bound} bound leases (of ${clients} clients)\n`,
  );
} finally {
  lab.close();
}
