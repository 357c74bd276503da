/**
 * util-linux logger(1) as the client: RFC 5424 and RFC 3164, over UDP and TCP
 * (LF framing and --octet-count), from two machines: this host over loopback
 * and a network namespace made here (198.18.40.0/30, veth) whose address the
 * lookup maps to another MAC. Lines must land in a real SQLite store under
 * the right machine.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { EventBus } from "../../src/events/event-bus.js";
import { MemoryLogger } from "../../src/logging/logger.js";
import { SyslogService } from "../../src/services/syslog/syslog-service.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { requirePeers } from "../support/require-peers.js";

const NS = `bf-syslog-${process.pid}`;
const VETH_HOST = `bf-sl${process.pid}h`.slice(0, 15);
const VETH_NS = `bf-sl${process.pid}n`.slice(0, 15);
const HOST_IP = "198.18.40.1";
const NS_IP = "198.18.40.2";
const MAC_LO = "52:54:00:40:00:01";
const MAC_NS = "52:54:00:40:00:02";

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

const dir = mkdtempSync(join(tmpdir(), "bf-syslog-"));
let store: Store;
let service: SyslogService;
const udp: UdpSocket[] = [];
const tcp: Server[] = [];
const ports = { udpLo: 0, tcpLo: 0, udpNs: 0, tcpNs: 0 };

async function udpOn(address: string): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, address, r));
  udp.push(s);
  service.attachUdp(s);
  return s.address().port;
}

async function tcpOn(address: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, address, r));
  tcp.push(s);
  service.attachTcp(s);
  return (s.address() as { port: number }).port;
}

before(async () => {
  requirePeers(["logger", "ip"]);
  ip("netns", "add", NS);
  ip("link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS);
  ip("link", "set", VETH_NS, "netns", NS);
  ip("addr", "add", `${HOST_IP}/30`, "dev", VETH_HOST);
  ip("link", "set", VETH_HOST, "up");
  ip("-n", NS, "addr", "add", `${NS_IP}/30`, "dev", VETH_NS);
  ip("-n", NS, "link", "set", VETH_NS, "up");
  ip("-n", NS, "link", "set", "lo", "up");

  store = openSqliteStore(join(dir, "bootfleet.sqlite"));
  service = new SyslogService({
    store,
    bus: new EventBus(),
    logger: new MemoryLogger(),
    retention: { perMachine: 1000, total: 10_000 },
    machineAt: (addr) => (addr === "127.0.0.1" ? MAC_LO : addr === NS_IP ? MAC_NS : null),
  });
  ports.udpLo = await udpOn("127.0.0.1");
  ports.tcpLo = await tcpOn("127.0.0.1");
  ports.udpNs = await udpOn(HOST_IP);
  ports.tcpNs = await tcpOn(HOST_IP);
});

after(async () => {
  try {
    await service?.close();
    for (const s of udp) s.close();
    for (const s of tcp) await new Promise((r) => s.close(r));
    await store?.close();
  } finally {
    // Deleting the namespace deletes the veth pair with it.
    spawnSync("ip", ["netns", "del", NS]);
    spawnSync("ip", ["link", "del", VETH_HOST]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs logger (inside the namespace when `inNs`); its exit code must be 0. */
function logger(inNs: boolean, args: string[], message: string): void {
  const argv = ["logger", ...args, "-t", "bf-test", message];
  const r = inNs
    ? spawnSync("ip", ["netns", "exec", NS, ...argv], { encoding: "utf8" })
    : spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  assert.equal(r.status, 0, `${argv.join(" ")}: ${r.stderr}`);
}

async function messagesOf(mac: string, n: number): Promise<string[]> {
  for (let i = 0; i < 300; i++) {
    await service.flush();
    const rows = await store.listLogs({ mac });
    if (rows.length >= n) return rows.map((r) => r.message);
    await new Promise((r) => setTimeout(r, 20));
  }
  return (await store.listLogs({ mac })).map((r) => r.message);
}

it("stores logger's lines, every format and transport, under the sending machine", async () => {
  const lo = (args: string[], m: string) => logger(false, ["-n", "127.0.0.1", ...args], m);
  const ns = (args: string[], m: string) => logger(true, ["-n", HOST_IP, ...args], m);
  const { udpLo, tcpLo, udpNs, tcpNs } = ports;

  lo(["-P", String(udpLo), "--udp", "--rfc5424"], "lo udp 5424 ü");
  lo(["-P", String(udpLo), "--udp", "--rfc3164"], "lo udp 3164");
  lo(["-P", String(tcpLo), "--tcp", "--rfc5424"], "lo tcp 5424 lf");
  lo(["-P", String(tcpLo), "--tcp", "--rfc5424", "--octet-count"], "lo tcp 5424 octets");
  lo(["-P", String(tcpLo), "--tcp", "--rfc3164"], "lo tcp 3164");
  ns(["-P", String(udpNs), "--udp", "--rfc5424", "-p", "local3.err"], "ns udp 5424");
  ns(["-P", String(udpNs), "--udp", "--rfc3164"], "ns udp 3164");
  ns(["-P", String(tcpNs), "--tcp", "--rfc5424", "--octet-count"], "ns tcp 5424 octets");
  ns(["-P", String(tcpNs), "--tcp", "--rfc3164"], "ns tcp 3164");

  // UDP and separate TCP connections may arrive in any order between runs.
  assert.deepEqual((await messagesOf(MAC_LO, 5)).sort(), [
    "lo tcp 3164",
    "lo tcp 5424 lf",
    "lo tcp 5424 octets",
    "lo udp 3164",
    "lo udp 5424 ü",
  ]);
  assert.deepEqual((await messagesOf(MAC_NS, 4)).sort(), [
    "ns tcp 3164",
    "ns tcp 5424 octets",
    "ns udp 3164",
    "ns udp 5424",
  ]);
  const nsRows = await store.listLogs({ mac: MAC_NS });
  assert.ok(nsRows.every((r) => r.ip === NS_IP && r.app === "bf-test"));
  const err = nsRows.find((r) => r.message === "ns udp 5424");
  assert.deepEqual([err?.facility, err?.severity], [19, 3]);
  assert.deepEqual(await store.listLogs({ ip: "198.18.40.3" }), []);
});

it("a multi-line stdin becomes one stored line per message over octet-counted TCP", async () => {
  const r = spawnSync(
    "logger",
    ["-n", "127.0.0.1", "-P", String(ports.tcpLo), "--tcp", "--rfc5424", "--octet-count", "-t", "bf-multi"],
    { input: "first\nsecond\nthird\n", encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  for (let i = 0; i < 300; i++) {
    await service.flush();
    if ((await store.listLogs({ mac: MAC_LO })).filter((l) => l.app === "bf-multi").length >= 3) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.deepEqual(
    (await store.listLogs({ mac: MAC_LO })).filter((l) => l.app === "bf-multi").map((l) => l.message),
    ["first", "second", "third"],
  );
});
