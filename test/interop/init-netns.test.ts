/**
 * `bootfleet init` and `serve` on a network of their own: a namespace whose
 * bridge br0 (198.18.70.1/24, default route via 198.18.70.254) is the
 * machine's LAN, with a second host on the wire (198.18.70.2) and a dummy
 * interface lan2 (198.18.71.1/24) that leads nowhere.
 * - Nobody answers DHCP: init --probe chooses full mode, with a pool and the
 *   router; check accepts the file and serve starts on it.
 * - serve refuses a config whose address is not this machine's (EX_CONFIG).
 * - dnsmasq answers DHCP on the second host: init chooses proxy mode and
 *   names it. Probing lan2 instead hears nothing, and dnsmasq sees no
 *   DISCOVER: the probe leaves by the chosen interface only.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { TestNetwork } from "../support/test-network.js";
import { textOf, waitForText } from "./dhcp-lab.js";
import { requirePeers } from "../support/require-peers.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
let net: TestNetwork;
let peerNs: string;
let dir: string;

before(() => {
  requirePeers(["ip", "dnsmasq", "curl"]);
  dir = mkdtempSync(join(tmpdir(), "bf-init-"));
  net = TestNetwork.create({ tag: "init", bridgeAddress: "198.18.70.1/24" });
  net.run("ip", "route", "add", "default", "via", "198.18.70.254", "dev", "br0");
  // A second LAN that leads nowhere: a veth whose other end has no address and no listener.
  net.run("ip", "link", "add", "lan2", "type", "veth", "peer", "name", "lan2end");
  net.run("ip", "addr", "add", "198.18.71.1/24", "dev", "lan2");
  net.run("ip", "link", "set", "lan2end", "up");
  net.run("ip", "link", "set", "lan2", "up");
  peerNs = net.addHost("peer", "198.18.70.2/24");
});
after(() => {
  net?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `bootfleet ARGS` inside the namespace, as root, without a terminal. */
function bootfleet(...args: string[]) {
  const r = spawnSync(
    "ip",
    ["netns", "exec", net.ns, process.execPath, "--import", "tsx", join(root, "src/cli/main.ts"), ...args],
    { cwd: root, encoding: "utf8", timeout: 60_000, env: { ...process.env, BOOTFLEET_CONFIG: "" } },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("nobody answers DHCP on the default route's interface: full mode, a config check accepts and serve runs", async () => {
  const file = join(dir, "full.yaml");
  const r = bootfleet("init", "--probe", "--wait", "2", "-c", file);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /sending one DHCPDISCOVER on br0 \(from 198\.18\.70\.1\)/);
  assert.match(r.err, /no DHCP server answered within 2 s/);
  assert.match(r.out, new RegExp(`^wrote ${file}: br0 198\\.18\\.70\\.1/24, DHCP full mode$`, "m"));
  assert.match(r.out, new RegExp(`^ {2}bootfleet serve -c ${file} `, "m"));
  const text = readFileSync(file, "utf8");
  assert.match(text, /^# Served on br0 \(198\.18\.70\.1\/24\): the default route leaves by it\.$/m);
  assert.match(text, /^# Also here: lan2 \(198\.18\.71\.1\/24\)/m);
  assert.match(text, /^ {2}address: 198\.18\.70\.1 /m);
  assert.match(text, /^ {2}interfaces: \[br0\] /m);
  assert.match(text, /^ {2}dhcp: \{ mode: full \} /m);
  assert.match(text, /^ {4}pool: 198\.18\.70\.100-198\.18\.70\.199 /m);
  assert.match(text, /^ {4}routers: \[198\.18\.70\.254\]$/m);

  const check = bootfleet("check", "-c", file);
  assert.equal(check.code, 0, check.err);
  assert.equal(check.err, "", "a config init wrote fits the machine: no warning");
  assert.match(check.out, /ok — 1 network\(s\), 0 group\(s\), 0 host\(s\), 1 image\(s\) declared; DHCP full/);

  const again = bootfleet("init", "--probe", "-c", file);
  assert.equal(again.code, 1);
  assert.match(again.err, /already exists\n {2}hint: pass --force/);
  assert.doesNotMatch(again.err, /DHCPDISCOVER/, "refused before anything was sent");

  const log = join(dir, "serve.log");
  const serve: ChildProcess = net.spawn(
    process.execPath,
    ["--import", "tsx", join(root, "src/cli/main.ts"), "serve", "-c", file],
    log,
    { cwd: root },
  );
  try {
    await waitForText(log, /dhcp: listening/, 60_000);
    const deadline = Date.now() + 30_000;
    while (
      spawnSync("ip", [
        "netns",
        "exec",
        net.ns,
        "curl",
        "-sf",
        "-o",
        "/dev/null",
        "http://198.18.70.1:8080/api/v1/machines",
      ]).status !== 0
    ) {
      assert.ok(Date.now() < deadline, `the page did not answer:\n${textOf(log)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.doesNotMatch(textOf(log), /not an address of this machine|is not on this machine/);
  } finally {
    const exited = new Promise((r) => serve.once("exit", r));
    if (serve.pid) process.kill(serve.pid, "SIGTERM");
    await exited;
  }
});

test("serve refuses a config whose address is not this machine's, naming the line", () => {
  const file = join(dir, "foreign.yaml");
  writeFileSync(
    file,
    "server:\n  address: 198.18.99.1\n  interfaces: [br0]\n" +
      `  data_dir: ${join(dir, "foreign-var")}\nservices: { dhcp: { mode: full } }\n` +
      "networks:\n  - subnet: 198.18.70.0/24\n    pool: 198.18.70.100-198.18.70.199\n",
  );
  const r = bootfleet("serve", "-c", file);
  assert.equal(r.code, 78, r.err);
  assert.match(
    r.err,
    /foreign\.yaml:2:12: error: server\.address: 198\.18\.99\.1 is not an address of this machine: clients would be sent to boot from it\n {2}hint: this machine has 198\.18\.70\.1 \(br0\), 198\.18\.71\.1 \(lan2\); set server\.address on line 2 to the one clients reach, or write a config for this machine with `bootfleet init`/,
  );
  assert.match(r.err, /not serving: .*foreign\.yaml is not a config for this machine/);
  const check = bootfleet("check", "-c", file);
  assert.equal(check.code, 0, "check only warns: configs are often checked on another machine");
  assert.match(check.err, /foreign\.yaml:2:12: warning: server\.address: 198\.18\.99\.1 is not an address/);
});

test("dnsmasq answers on br0: proxy mode naming it; probing lan2 hears nothing and dnsmasq sees nothing", async () => {
  const dnsmasqLog = join(dir, "dnsmasq.log");
  net.spawn(
    "dnsmasq",
    [
      "--no-daemon",
      "--conf-file=/dev/null",
      "--port=0",
      "--interface=v1b",
      "--bind-interfaces",
      "--no-ping",
      "--log-dhcp",
      "--log-facility=-",
      "--dhcp-range=198.18.70.150,198.18.70.160,1h",
      `--dhcp-leasefile=${join(dir, "dnsmasq.leases")}`,
      `--pid-file=${join(dir, "dnsmasq.pid")}`,
    ],
    dnsmasqLog,
    { ns: peerNs },
  );
  await waitForText(dnsmasqLog, /DHCP, IP range/, 10_000);

  const file = join(dir, "proxy.yaml");
  const r = bootfleet("init", "--probe", "--wait", "2", "-c", file);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /answered: 198\.18\.70\.2 \(offered 198\.18\.70\.1[56]\d\)/);
  const text = readFileSync(file, "utf8");
  assert.match(
    text,
    /^# DHCP proxy: 198\.18\.70\.2 \(offered 198\.18\.70\.1[56]\d\) answered a DHCPDISCOVER on br0,$/m,
  );
  assert.match(text, /^ {2}dhcp: \{ mode: proxy \} /m);
  assert.match(text, /^ {4}# pool: 198\.18\.70\.100-198\.18\.70\.199 +# used only in full mode$/m);
  assert.equal(bootfleet("check", "-c", file).code, 0);
  const discovers = () => (textOf(dnsmasqLog).match(/DHCPDISCOVER/g) ?? []).length;
  await waitForText(dnsmasqLog, /DHCPOFFER/, 10_000);
  assert.equal(discovers(), 1, textOf(dnsmasqLog));
  assert.equal(textOf(join(dir, "dnsmasq.leases")).trim(), "", "an offer is not a lease");

  const elsewhere = bootfleet("init", "--probe", "--wait", "1", "--interface", "lan2", "--force", "-c", file);
  assert.equal(elsewhere.code, 0, elsewhere.err);
  assert.match(elsewhere.out, /: lan2 198\.18\.71\.1\/24, DHCP full mode$/m);
  // dnsmasq logs in arrival order: once a later DISCOVER on br0 is logged,
  // one that reached it from lan2 would have been logged before it.
  const later = bootfleet("init", "--probe", "--wait", "1", "--force", "-c", join(dir, "later.yaml"));
  assert.match(later.out, /DHCP proxy mode$/m, later.err);
  await waitForText(dnsmasqLog, /DHCPOFFER[\s\S]*DHCPOFFER/, 10_000);
  assert.equal(discovers(), 2, `the DISCOVER for lan2 must not reach br0:\n${textOf(dnsmasqLog)}`);
});
