/**
 * Restarting `bootfleet serve` on purpose (issue 16): SIGTERM, then start.
 *
 * In a network namespace of its own (198.18.116.0/24), serve runs as users
 * run it (full DHCP, every service) with busybox udhcpc clients in
 * namespaces beside it. A client holds a lease and reports stages to the
 * HTTP API as fast as it can, and the admin page's event stream is open;
 * SIGTERM arrives in the middle of that. serve must exit 0, and started
 * again:
 *   - every report it answered is stored, once (no event lost to the stop);
 *   - the client renewing gets its address back (ACK, same address), and a
 *     new machine is not given that address (no lease lost).
 * close() stops every process by PID and removes the namespaces.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT } from "../fixtures/images/debian-kernel.js";
import { waitUntil } from "../support/wait-until.js";
import { requirePeers } from "../support/require-peers.js";
import { DhcpLab, textOf, waitForText } from "./dhcp-lab.js";

const SUBNET = "198.18.116";
const SERVER = `${SUBNET}.1`;
const MAC_A = "52:54:00:74:00:0a";
const MAC_B = "52:54:00:74:00:0b";
const REPORTS = 400;

let lab: DhcpLab;
let config: string;
let runs = 0;

before(() => {
  requirePeers(["ip", "busybox", "curl"], { root: true });
  lab = new DhcpLab("svrst", 1, `${SERVER}/24`);
  config = lab.writeConfig(`server: { address: ${SERVER}, data_dir: ${join(lab.dir, "var")} }
services:
  dhcp: { mode: full, lease_time: 600 }
networks:
  - subnet: ${SUBNET}.0/24
    pool: ${SUBNET}.100-${SUBNET}.101
    routers: [${SERVER}]
defaults: { boot_unknown: true }
`);
});

after(() => lab?.close());

/** `bootfleet serve` in the lab's namespace; resolves once its HTTP service answers. */
async function startServe(): Promise<{ child: ChildProcess; log: string }> {
  const log = join(lab.dir, `serve-${runs++}.log`);
  const child = lab.net.spawn(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), "serve", "-c", config],
    log,
    { cwd: REPO_ROOT },
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      lab.net.run("curl", "-sf", "-o", "/dev/null", `http://${SERVER}:8080/api/v1/machines`);
      return { child, log };
    } catch {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`bootfleet serve did not come up:\n${textOf(log)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** The stored events of one machine, as `bootfleet events --json` prints them. */
function storedEvents(
  mac: string,
): { type: string; ip: string | null; stage: string | null; detail: Record<string, unknown> }[] {
  const out = execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(REPO_ROOT, "src/cli/main.ts"),
      "events",
      "--json",
      "-n",
      "5000",
      "-m",
      mac,
      "-c",
      config,
    ],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/**
 * A client in namespace `ns` POSTing `count` stage reports (16 at a time);
 * its output has one "ok N" line per report the server answered 202.
 */
function reporter(ns: string, count: number, log: string): ChildProcess {
  const script = `
const url = "http://${SERVER}:8080/api/v1/machines/${MAC_A}/events";
let next = 0;
async function one() {
  while (next < ${count}) {
    const n = next++;
    try {
      const r = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ stage: "probe", detail: { n } }),
      });
      console.log(r.status === 202 ? "ok " + n : "status " + r.status + " " + n);
    } catch (e) {
      console.log("fail " + n);
    }
  }
}
Promise.all(Array.from({ length: 16 }, one)).then(() => console.log("done"));
`;
  return lab.net.spawn(process.execPath, ["-e", script], log, { ns });
}

describe("bootfleet serve: SIGTERM, then start", () => {
  it("exits 0 and loses no lease and no event", { timeout: 5 * 60_000 }, async () => {
    let serve = await startServe();

    // Client A: a lease (udhcpc stays, as a running machine's client does).
    const a = lab.client("a", MAC_A);
    const ua = lab.clientScript("udhcpc-a", "udhcpc");
    const udhcpc = lab.net.spawn(
      "busybox",
      ["udhcpc", "-i", "c0", "-f", "-s", ua.script, "-t", "5", "-T", "2"],
      join(lab.dir, "udhcpc-a.log"),
      { ns: a },
    );
    const [, ipA] = await waitForText(ua.log, /^bound (\S+)$/m, 30_000);
    assert.equal(ipA, `${SUBNET}.100`);

    // The admin page is open: its event stream must not hold the stop.
    lab.net.spawn("curl", ["-sN", `http://${SERVER}:8080/api/v1/events/stream`], join(lab.dir, "sse.log"));
    await waitForText(join(lab.dir, "sse.log"), /^retry: /m, 30_000);

    // Reports pour in; SIGTERM once a quarter of them are answered.
    const reports = join(lab.dir, "reports.log");
    const client = reporter(a, REPORTS, reports);
    const answeredSoFar = () => textOf(reports).match(/^ok \d+$/gm)?.length ?? 0;
    await waitUntil(() => answeredSoFar() >= REPORTS / 4, "a quarter of the reports answered", 60_000);
    serve.child.kill("SIGTERM");
    assert.deepEqual(await exited(serve.child), { code: 0, signal: null }, textOf(serve.log));
    assert.match(textOf(serve.log), /"msg":"stopped"/);
    await waitForText(reports, /^done$/m, 60_000);
    await exited(client);
    const answered = new Set([...textOf(reports).matchAll(/^ok (\d+)$/gm)].map((m) => Number(m[1])));
    assert.ok(answered.size >= REPORTS / 4);

    serve = await startServe();

    // Every answered report is stored, once; nothing else is (reports the
    // stopping server refused or cut were never answered).
    const probes = storedEvents(MAC_A).filter((e) => e.type === "client.stage" && e.stage === "probe");
    const stored = probes.map((e) => Number(e.detail.n));
    assert.equal(new Set(stored).size, stored.length, "a report stored twice");
    for (const n of answered) assert.ok(stored.includes(n), `answered report ${n} was not stored`);
    for (const n of stored) assert.ok(n >= 0 && n < REPORTS);

    // Client A renews (SIGUSR1: RENEWING, RFC 2131 §4.4.5) and keeps its address.
    process.kill(udhcpc.pid!, "SIGUSR1");
    await waitForText(ua.log, new RegExp(`^renew ${ipA!.replace(/\./g, "\\.")}$`, "m"), 30_000);
    await waitUntil(
      () =>
        storedEvents(MAC_A).some(
          (e) => e.type === "dhcp.ack" && e.ip === ipA && e.detail.state === "renewing",
        ),
      "the renewal's ACK in the store",
      30_000,
    );

    // A new machine gets the other address: the server still knows A's lease.
    const b = lab.client("b", MAC_B);
    const ub = lab.clientScript("udhcpc-b", "udhcpc");
    lab.net.spawn(
      "busybox",
      ["udhcpc", "-i", "c0", "-f", "-s", ub.script, "-t", "5", "-T", "2"],
      join(lab.dir, "udhcpc-b.log"),
      { ns: b },
    );
    const [, ipB] = await waitForText(ub.log, /^bound (\S+)$/m, 30_000);
    assert.equal(ipB, `${SUBNET}.101`);

    serve.child.kill("SIGTERM");
    assert.deepEqual(await exited(serve.child), { code: 0, signal: null }, textOf(serve.log));
  });
});
