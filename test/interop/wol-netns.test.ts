/**
 * Wake-on-LAN across a veth pair into a network namespace made here
 * (198.18.40.128/25: this host .129, the "sleeping machine" .130). The
 * sender runs in this process; in the namespace a UDP socket on port 9
 * checks the exact payload, and tshark checks that it went out as an
 * Ethernet and IP broadcast to the subnet's broadcast address and that its
 * WoL dissector reads the MAC we meant.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { createInterface } from "node:readline";
import { after, before, it } from "node:test";
import { WolSender } from "../../src/wol/wol-sender.js";
import { requirePeers } from "../support/require-peers.js";

const NS = `bf-wol-${process.pid}`;
const VETH_HOST = `bf-wo${process.pid}h`.slice(0, 15);
const VETH_NS = `bf-wo${process.pid}n`.slice(0, 15);
const SUBNET = "198.18.40.128/25";
const MAC = "52:54:00:40:01:30";

const children: ChildProcess[] = [];

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

before(() => {
  requirePeers(["ip", "tshark"]);
  ip("netns", "add", NS);
  ip("link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS);
  ip("link", "set", VETH_NS, "netns", NS);
  ip("addr", "add", "198.18.40.129/25", "dev", VETH_HOST);
  ip("link", "set", VETH_HOST, "up");
  ip("-n", NS, "addr", "add", "198.18.40.130/25", "dev", VETH_NS);
  ip("-n", NS, "link", "set", VETH_NS, "up");
  ip("-n", NS, "link", "set", "lo", "up");
});

after(async () => {
  for (const c of children) {
    if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once("exit", r));
      process.kill(c.pid, "SIGTERM");
      await exited;
    }
  }
  spawnSync("ip", ["netns", "del", NS]);
  spawnSync("ip", ["link", "del", VETH_HOST]);
});

/** Starts a command in the namespace; resolves once a line of its output matches `ready`. */
async function inNamespace(
  argv: string[],
  ready: RegExp,
  stream: "stdout" | "stderr",
): Promise<{ child: ChildProcess; lines: string[] }> {
  // `ip netns exec` execs the command, so the PID is the command's own.
  const child = spawn("ip", ["netns", "exec", NS, ...argv], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv[0]} not ready: ${lines.join("\n")}`)), 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${argv[0]} exited (${code}): ${lines.join("\n")}`));
    });
    for (const s of ["stdout", "stderr"] as const) {
      createInterface({ input: child[s]! }).on("line", (l) => {
        lines.push(l);
        if (s === stream && ready.test(l)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
  return { child, lines };
}

/** Waits, bounded, until `lines` holds `n` entries matching `re`. */
async function linesMatching(lines: string[], re: RegExp, n: number): Promise<string[]> {
  for (let i = 0; i < 250; i++) {
    const got = lines.filter((l) => re.test(l));
    if (got.length >= n) return got;
    await new Promise((r) => setTimeout(r, 20));
  }
  return lines.filter((l) => re.test(l));
}

const LISTENER = `
const s = require("node:dgram").createSocket("udp4");
s.on("message", (m, r) => console.log("got " + r.address + " " + m.toString("hex")));
s.bind(9, "0.0.0.0", () => console.log("ready"));
`;

it("a magic packet reaches the namespace as a broadcast to port 9, byte for byte", async () => {
  const listener = await inNamespace([process.execPath, "-e", LISTENER], /^ready$/, "stdout");
  const capture = await inNamespace(
    [
      "tshark",
      "-i",
      VETH_NS,
      "-l",
      "-n",
      // A display filter: a capture (BPF) filter is refused in some sandboxes.
      "-Y",
      "udp.dstport == 9",
      "-T",
      "fields",
      "-e",
      "eth.dst",
      "-e",
      "ip.dst",
      "-e",
      "udp.dstport",
      "-e",
      "udp.length",
      "-e",
      "wol.mac",
    ],
    /Capture started/,
    "stderr",
  );
  const sender = new WolSender({ createSocket: () => createSocket("udp4"), bindAddress: "198.18.40.129" });
  try {
    const plain = await sender.wake({ mac: MAC, subnet: SUBNET });
    assert.deepEqual(plain, { mac: MAC, address: "198.18.40.255", port: 9, bytes: 102 });
    await sender.wake({ mac: "5254.0040.0130", subnet: SUBNET, password: "de:ad:be:ef:00:01" });
  } finally {
    sender.close();
  }
  const macHex = MAC.replaceAll(":", "");
  const got = await linesMatching(listener.lines, /^got /, 2);
  assert.deepEqual(got, [
    `got 198.18.40.129 ${"ff".repeat(6)}${macHex.repeat(16)}`,
    `got 198.18.40.129 ${"ff".repeat(6)}${macHex.repeat(16)}deadbeef0001`,
  ]);
  const frames = await linesMatching(capture.lines, /^ff:ff:ff:ff:ff:ff/, 2);
  assert.deepEqual(
    frames.map((l) => l.split("\t")),
    [
      // UDP length: 8 header bytes + 102 (or + 108 with the password).
      ["ff:ff:ff:ff:ff:ff", "198.18.40.255", "9", "110", Array(16).fill(MAC).join(",")],
      ["ff:ff:ff:ff:ff:ff", "198.18.40.255", "9", "116", Array(16).fill(MAC).join(",")],
    ],
  );
});
