/**
 * Identity against `bootfleet serve`, tried the way a hostile machine on the
 * same segment would: from an address of its own (198.18.80.66, its own
 * network namespace). The server (198.18.80.1: full DHCP, an API token, NBD
 * with kept copy-on-write layers for every machine, syslog, HTTP and TFTP)
 * has a host `victim` at a fixed address (198.18.80.10) with a secret setting
 * and a secret file. The attacker
 *   - fetches the victim's boot script over HTTP and its pxelinux config over
 *     TFTP (anyone may), then connects over NBD: refused, no layer;
 *   - reports a stage for the victim: 403, one security event for many tries;
 *   - floods stage reports for 2000 random MACs: few accepted, few machines;
 *   - sends syslog lines: kept under its own address, not the victim's;
 *   - fetches the victim's layer archive: no secret in it.
 * The victim, with the address bootfleet's DHCP gives it (udhcpc in its own
 * namespace, its own MAC), still gets everything: its kept layer across
 * reconnects, verified stage reports, its syslog, its secrets.
 *
 * Peers: curl, udhcpc, nbdsh (python3-libnbd), logger. Needs root for the
 * namespaces; they and every process started are removed in `after`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { peerEnv, requireNbdPeers } from "../fixtures/nbd/nbd-harness.js";
import { requirePeers } from "../support/require-peers.js";
import { startServeInNetwork, storedEvents } from "../support/serve-in-network.js";
import { waitUntil } from "../support/wait-until.js";
import { DhcpLab, waitForText } from "./dhcp-lab.js";
import { writeImageVersion } from "../support/image-on-disk.js";

const SERVER = "198.18.80.1";
const VICTIM_IP = "198.18.80.10";
const ATTACKER_IP = "198.18.80.66";
const VICTIM = "52:54:00:80:00:10";
const TOKEN = "identity-test-token-0123456789abcdef";
const PASSWORD = "ldm-password-for-the-victim-only";
const FILE_SECRET = "etc-secret-for-the-victim-only";
const VERSION = "20261201-090000";
const EXPORT = `nbd://${SERVER}/debian`;

const CONFIG = (dataDir: string) => `server:
  address: ${SERVER}
  data_dir: ${dataDir}
services:
  dhcp: { mode: full, lease_time: 600 }
  tftp: { workers: 0 }
  api: { token: ${TOKEN} }
images: { debian: {} }
networks:
  - subnet: 198.18.80.0/24
    pool: 198.18.80.100-198.18.80.150
defaults:
  image: debian
  boot_unknown: true
  nbd: { cow: true, cow_keep: true }
hosts:
  victim:
    mac: "${VICTIM}"
    ip: ${VICTIM_IP}
    settings: { LDM_PASSWORD: { value: ${PASSWORD}, secret: true } }
    files:
      /etc/secret: { content: "${FILE_SECRET}\\n", mode: "0600" }
      /etc/motd: "welcome to the lab\\n"
`;

/** Resident memory of a process (VmRSS), in bytes. */
function rssOf(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  assert.ok(kb, `no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

function randomMac(i: number): string {
  return [0x02, 0x80, (i >> 16) & 255, (i >> 8) & 255, i & 255, 0x01]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join(":");
}

describe("identity from evidence the server controls, against bootfleet serve", () => {
  let lab: DhcpLab;
  let config: string;
  let dataDir: string;
  let attacker: string;
  let victim: string;
  let servePid: number;

  /** A command in a namespace: exit status, stdout and stderr (never throws). */
  const run = (ns: string, cmd: string, ...args: string[]) => {
    const r = spawnSync("ip", ["netns", "exec", ns, cmd, ...args], {
      env: peerEnv,
      encoding: "buffer",
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
  };

  /** curl in a namespace: status code and body. */
  const curl = (ns: string, url: string, ...args: string[]): { code: number; body: Buffer } => {
    const r = run(ns, "curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}", ...args, url);
    assert.equal(r.status, 0, `curl ${url}: ${r.stderr}`);
    const cut = r.stdout.lastIndexOf("\n");
    return { code: Number(r.stdout.subarray(cut + 1).toString()), body: r.stdout.subarray(0, cut) };
  };

  const report = (ns: string, mac: string, stage: string) =>
    curl(
      ns,
      `http://${SERVER}:8080/api/v1/machines/${mac}/events`,
      "-X",
      "POST",
      "-H",
      "Content-Type: application/json",
      "-d",
      JSON.stringify({ stage }),
    );

  /** nbdsh against the export: Python run with the handle `h` connected. */
  const nbdsh = (ns: string, python: string) => run(ns, "nbdsh", "-u", EXPORT, "-c", python);

  // biome-ignore lint/suspicious/noExplicitAny: JSON from the API, walked by the assertions
  const api = (path: string): any =>
    JSON.parse(
      curl(
        victim,
        `http://${SERVER}:8080/api/v1${path}`,
        "-H",
        `Authorization: Bearer ${TOKEN}`,
      ).body.toString(),
    );

  before(async () => {
    requirePeers(["curl", "udhcpc", "logger"]);
    requireNbdPeers(["nbdsh"]);
    lab = new DhcpLab("ident", 1, `${SERVER}/24`);
    dataDir = join(lab.dir, "var");
    writeImageVersion(dataDir, "debian", VERSION, Buffer.alloc(1024 * 1024, 0x5a));
    config = lab.writeConfig(CONFIG(dataDir));
    attacker = lab.net.addHost("attacker", `${ATTACKER_IP}/24`);
    servePid = (await startServeInNetwork(lab.net, SERVER, config, join(lab.dir, "serve.log"))).pid!;
    // The victim gets its address the way a booting machine does: DHCP from bootfleet.
    victim = lab.client("victim", VICTIM);
    const u = lab.clientScript("udhcpc-victim", "udhcpc");
    lab.net.spawn(
      "udhcpc",
      ["-i", "c0", "-f", "-s", u.script, "-t", "10", "-T", "2"],
      join(lab.dir, "udhcpc.log"),
      {
        ns: victim,
      },
    );
    await waitForText(u.log, new RegExp(`^bound ${VICTIM_IP.replaceAll(".", "\\.")}$`, "m"), 30_000);
  });

  after(() => {
    lab?.close();
  });

  it("fetching the victim's boot files gives the attacker no copy-on-write layer over NBD", async () => {
    // The victim writes to its kept layer first.
    const wrote = nbdsh(victim, 'h.pwrite(b"VICTIM-DATA", 4096); h.flush()');
    assert.equal(wrote.status, 0, wrote.stderr);
    // Anyone may fetch any machine's boot files ...
    assert.equal(curl(attacker, `http://${SERVER}:8080/boot/${VICTIM}.ipxe`).code, 200);
    const tftp = curl(attacker, `tftp://${SERVER}/pxelinux.cfg/01-${VICTIM.replaceAll(":", "-")}`);
    assert.match(tftp.body.toString(), /LABEL|DEFAULT/i);
    // ... but that makes nobody the victim: NBD from the attacker is refused.
    for (let i = 0; i < 5; i++) {
      const read = nbdsh(attacker, "print(h.pread(11, 4096))");
      assert.notEqual(read.status, 0, "the attacker was served");
      assert.doesNotMatch(read.stdout.toString(), /VICTIM-DATA/);
      assert.match(read.stderr, /proven at its address|policy/i);
    }
    // The only kept layer is the victim's, and it holds what the victim wrote.
    const layers = readdirSync(join(dataDir, "nbd-cow"), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".cow"));
    assert.deepEqual(layers, [join(`debian@${VERSION}`, `${VICTIM.replaceAll(":", "-")}.cow`)]);
    const again = nbdsh(victim, "print(h.pread(11, 4096))");
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout.toString(), /VICTIM-DATA/);
    // Five refused connections: one event (per machine and source per minute).
    await waitUntil(
      () => storedEvents(config).some((e) => e.type === "security.identity_mismatch"),
      "the refusal's event in the store",
    );
    const nbdRefusals = storedEvents(config).filter(
      (e) => e.type === "security.identity_mismatch" && e.detail?.service === "nbd",
    );
    assert.equal(nbdRefusals.length, 1);
    assert.equal(nbdRefusals[0]?.ip, ATTACKER_IP);
  });

  it("stage reports from the attacker for the victim are refused; the victim's own are verified", async () => {
    for (let i = 0; i < 3; i++) {
      const r = report(attacker, VICTIM, "failed");
      assert.equal(r.code, 403);
      assert.equal(JSON.parse(r.body.toString()).error.code, "STAGE_SOURCE_MISMATCH");
    }
    const own = report(victim, VICTIM, "init");
    assert.equal(own.code, 202);
    assert.equal(JSON.parse(own.body.toString()).verified, "source-ip");
    await waitUntil(() => api(`/machines/${VICTIM}`).machine.state === "up", "the victim's report recorded");
    const machine = api(`/machines/${VICTIM}`).machine;
    assert.equal(machine.ip, VICTIM_IP, "the fetches and refused reports did not move the victim");
  });

  it("a flood of stage reports for random MACs makes a bounded number of machines", () => {
    const before = api("/machines").machines.length;
    const script = `
      const codes = {};
      const started = Date.now();
      for (let i = 0; i < 2000; i++) {
        const mac = (${randomMac.toString()})(i);
        const r = await fetch("http://${SERVER}:8080/api/v1/machines/" + mac + "/events", {
          method: "POST", headers: { "content-type": "application/json" }, body: '{"stage":"initrd"}',
        });
        await r.arrayBuffer();
        codes[r.status] = (codes[r.status] ?? 0) + 1;
      }
      console.log(JSON.stringify({ codes, seconds: (Date.now() - started) / 1000 }));`;
    const r = run(attacker, process.execPath, "--input-type=module", "-e", script);
    assert.equal(r.status, 0, r.stderr);
    const { codes, seconds } = JSON.parse(r.stdout.toString()) as {
      codes: Record<string, number>;
      seconds: number;
    };
    // One address gets a burst of 20, then one report a second.
    const bound = 20 + Math.ceil(seconds) + 1;
    const accepted = codes["202"] ?? 0;
    assert.ok(accepted <= bound, `${accepted} accepted in ${seconds} s: ${JSON.stringify(codes)}`);
    assert.equal(accepted + (codes["429"] ?? 0), 2000, JSON.stringify(codes));
    const created = api("/machines").machines.length - before;
    assert.ok(created <= accepted, `${created} machines created by the flood`);
  });

  it("syslog from the attacker is not filed under the victim; the victim's is", async () => {
    // What used to tie an address to a machine: fetching its boot script.
    assert.equal(curl(attacker, `http://${SERVER}:8080/boot/${VICTIM}.ipxe`).code, 200);
    for (const [ns, text] of [
      [attacker, "attacker-line-claiming-victim"],
      [victim, "victim-own-line"],
    ] as const) {
      const r = run(ns, "logger", "-n", SERVER, "-P", "514", "-d", "--rfc3164", "-t", "victim", text);
      assert.equal(r.status, 0, r.stderr);
    }
    await waitUntil(
      () => JSON.stringify(api("/machines/victim/logs")).includes("victim-own-line"),
      "the victim's line filed under it",
    );
    const logs = JSON.stringify(api("/machines/victim/logs"));
    assert.doesNotMatch(logs, /attacker-line-claiming-victim/);
  });

  it("the victim's layer archive holds its secrets for the victim only, over HTTP and TFTP", () => {
    const path = `boot/${VICTIM.replaceAll(":", "-")}/layers.cpio`;
    for (const url of [`http://${SERVER}:8080/boot/${VICTIM}/layers.cpio`, `tftp://${SERVER}/${path}`]) {
      const stolen = curl(attacker, url).body;
      assert.ok(stolen.includes("welcome to the lab"), `${url}: the plain files are there`);
      assert.equal(stolen.includes(PASSWORD), false, `${url} gave the attacker the password`);
      assert.equal(stolen.includes(FILE_SECRET), false, `${url} gave the attacker the secret file`);
      const own = curl(victim, url).body;
      assert.ok(own.includes(PASSWORD), `${url}: the victim gets its password`);
      assert.ok(own.includes(FILE_SECRET), `${url}: the victim gets its secret file`);
    }
  });
  it("a fuzz of stage reports from 50 addresses: only clean answers, bounded machines, memory back after", async (t) => {
    const MiB = 1024 * 1024;
    const before = api("/machines").machines.length;
    const baseline = rssOf(servePid);
    // The attacker takes 50 addresses of the segment: each gets its own burst.
    const dev = run(attacker, "ip", "-o", "-4", "addr", "show", "to", ATTACKER_IP)
      .stdout.toString()
      .split(/\s+/)[1]!;
    const sources: string[] = [];
    for (let i = 0; i < 50; i++) {
      const address = `198.18.80.${160 + i}`;
      assert.equal(run(attacker, "ip", "addr", "add", `${address}/24`, "dev", dev).status, 0);
      sources.push(address);
    }
    // Mutated reports: good ones for random MACs, bad MACs, bad JSON, odd
    // stages and details, bodies at and over the 16 KiB limit.
    const script = `
      import http from "node:http";
      const sources = ${JSON.stringify(sources)};
      let seed = 15;
      const rnd = (n) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
      const mac = () => Array.from({ length: 6 }, (_, i) => (i === 0 ? 2 : rnd(256)).toString(16).padStart(2, "0")).join(":");
      const bodies = [
        () => JSON.stringify({ stage: "initrd" }),
        () => JSON.stringify({ stage: "x".repeat(rnd(300)), detail: { a: rnd(1e9) } }),
        () => JSON.stringify({ stage: "failed", detail: { why: "y".repeat(rnd(20000)) } }),
        () => "{" + "[1,".repeat(rnd(500)),
        () => Buffer.from(Array.from({ length: rnd(2000) }, () => rnd(256))).toString("latin1"),
        () => JSON.stringify({ stage: ["array"], detail: "not an object" }),
      ];
      const paths = [() => mac(), () => mac(), () => "zz:" + mac(), () => "%00", () => "a".repeat(rnd(3000))];
      const codes = {};
      const started = Date.now();
      let next = 0;
      const one = (i) => new Promise((resolve) => {
        const body = bodies[rnd(bodies.length)]();
        const req = http.request({
          host: "${SERVER}", port: 8080, method: "POST", localAddress: sources[i % sources.length],
          path: "/api/v1/machines/" + encodeURIComponent(paths[rnd(paths.length)]()) + "/events",
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        }, (res) => { res.resume(); res.on("end", () => { codes[res.statusCode] = (codes[res.statusCode] ?? 0) + 1; resolve(); }); });
        req.on("error", (e) => { codes[e.code] = (codes[e.code] ?? 0) + 1; resolve(); });
        req.end(body);
      });
      const worker = async () => { while (next < 4000) await one(next++); };
      await Promise.all(Array.from({ length: 16 }, worker));
      console.log(JSON.stringify({ codes, seconds: (Date.now() - started) / 1000 }));`;
    const r = run(attacker, process.execPath, "--input-type=module", "-e", script);
    assert.equal(r.status, 0, r.stderr);
    const { codes, seconds } = JSON.parse(r.stdout.toString()) as {
      codes: Record<string, number>;
      seconds: number;
    };
    const unexpected = Object.keys(codes).filter(
      (c) => !["202", "400", "403", "404", "413", "414", "429"].includes(c),
    );
    assert.deepEqual(unexpected, [], `answers other than refusals and acceptance: ${JSON.stringify(codes)}`);
    // At most 64 new machines at once, then one per 10 s, however many addresses report.
    const created = api("/machines").machines.length - before;
    assert.ok(
      created <= 64 + Math.ceil(seconds / 10) + 1,
      `${created} machines from the fuzz: ${JSON.stringify(codes)}`,
    );
    // Still serving, and what the fuzz cost in memory is bounded once it is over.
    assert.equal(report(victim, VICTIM, "up").code, 202);
    const left = rssOf(servePid);
    t.diagnostic(
      `${JSON.stringify(codes)} in ${seconds} s; ${created} machines created; RSS ${(baseline / MiB).toFixed(0)} -> ${(left / MiB).toFixed(0)} MiB`,
    );
    assert.ok(
      left - baseline < 64 * MiB,
      `RSS ${(baseline / MiB).toFixed(0)} MiB before the fuzz, ${(left / MiB).toFixed(0)} MiB after (bound +64 MiB)`,
    );
  });
});
