/**
 * The event stream against `bootfleet serve` as a child process: ten
 * clients that ask for the whole history and then never read, while a few
 * thousand events are published, must not grow the server's memory by more
 * than a bound (VmRSS in /proc/<pid>/status, sampled during and after); a
 * well-behaved client (curl -N) still gets every event; a client resuming
 * far behind gets the newest events and one `missed` message.
 *
 * Before the stream honoured backpressure, each such client made the server
 * buffer the whole history: ten of them took hundreds of MiB.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { openStore } from "../../src/store/open-store.js";
import type { NewEvent } from "../../src/store/store.js";
import { requirePeers } from "../support/require-peers.js";
import { waitUntil } from "../support/wait-until.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TOKEN = "event-stream-test-token-0123456789";
const MAC = "52:54:00:50:00:01";
/** The stored history each abusive client asks for: 20,000 events of about 2 KB (40 MB). */
const HISTORY = 20_000;
const PUBLISHED = 3_000;
const ABUSERS = 10;
const MiB = 1024 * 1024;
/** Growth of the server's resident memory allowed while and after the abusive clients are there. */
const RSS_BOUND = 128 * MiB;

function rssOf(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  assert.ok(kb, `no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

interface SseMessage {
  readonly event: string;
  readonly id: number | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the API, walked by the assertions
  readonly data: any;
}

/** The complete messages in `text` (a message ends with a blank line; the rest is still on its way). */
function parseSse(text: string): SseMessage[] {
  return text
    .split("\n\n")
    .slice(0, -1)
    .map((block) => {
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data === undefined) return null;
      const id = /^id: (\d+)$/m.exec(block)?.[1];
      return {
        event: /^event: (.*)$/m.exec(block)?.[1] ?? "message",
        id: id === undefined ? undefined : Number(id),
        data: JSON.parse(data),
      };
    })
    .filter((m): m is SseMessage => m !== null);
}

describe("event stream limits against bootfleet serve", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let base = "";
  let stderr = "";

  before(async () => {
    requirePeers(["curl"]);
    dir = mkdtempSync(join(tmpdir(), "bf-sse-"));
    const data = join(dir, "var");
    // The history the abusive clients ask for, written before the server starts.
    const store = openStore({ driver: "sqlite", data_dir: data });
    await store.migrate();
    const pad = "h".repeat(2000);
    const at = Date.now() - 60_000;
    for (let i = 0; i < HISTORY; i += 1000) {
      const batch: NewEvent[] = [];
      for (let j = i; j < i + 1000; j++)
        batch.push({ at, type: "tftp.rrq", protocol: "tftp", mac: MAC, detail: { file: `f${j}`, pad } });
      await store.addEvents(batch);
    }
    await store.close();
    const config = join(dir, "bootfleet.yaml");
    writeFileSync(
      config,
      [
        `server: { address: 127.0.0.1, data_dir: ${data} }`,
        "services:",
        "  dhcp: { mode: off }",
        "  tftp: { enabled: false }",
        "  nbd: { enabled: false }",
        "  syslog: { enabled: false }",
        "  http: { port: 0, bind: 127.0.0.1 }",
        `  api: { token: ${TOKEN} }`,
        "networks: [{ subnet: 127.0.0.0/8 }]",
        `hosts: { lab-1: { mac: "${MAC}", ip: 127.0.0.1 } }`,
        "",
      ].join("\n"),
    );
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "serve", "-c", config],
      {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    server = child;
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderr += chunk;
    });
    await waitUntil(
      () => /http listening/.test(stderr) || child.exitCode !== null,
      "bootfleet serve to listen",
      60_000,
    );
    const where = /"where":"tcp 127\.0\.0\.1:(\d+)"[^\n]*"msg":"http listening"/.exec(stderr);
    assert.ok(where, `serve did not say where HTTP listens:\n${stderr}`);
    base = `http://127.0.0.1:${where[1]}`;
  });

  after(() => {
    // Only the server this test started, by its PID.
    if (server?.pid !== undefined && server.exitCode === null) process.kill(server.pid, "SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Publishes `n` stage reports (one client.stage event each), 20 at a time. */
  async function publish(n: number, tag: string): Promise<void> {
    const body = (i: number) => JSON.stringify({ stage: "init", detail: { tag, i, pad: "p".repeat(1000) } });
    for (let i = 0; i < n; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, n - i) }, async (_, k) => {
          const r = await fetch(`${base}/api/v1/machines/${MAC}/events`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
            body: body(i + k),
          });
          assert.equal(r.status, 202, await r.text());
        }),
      );
    }
  }

  async function newestId(): Promise<number> {
    const r = await fetch(`${base}/api/v1/events?order=desc&limit=1`);
    const { events } = (await r.json()) as { events: { id: number }[] };
    return events[0]?.id ?? 0;
  }

  it("ten clients that never read stay within the memory bound; a curl -N client gets every event", async (t) => {
    const pid = server!.pid!;
    const baseline = rssOf(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(pid));
    }, 50);
    const abusers: Socket[] = [];
    try {
      for (let i = 0; i < ABUSERS; i++) {
        const s = connect({ host: "127.0.0.1", port: Number(new URL(base).port) });
        s.on("error", () => {});
        s.write(`GET /api/v1/events/stream?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        // Never read: the server must not buffer what the socket does not take.
        s.pause();
        abusers.push(s);
      }

      const from = await newestId();
      let followed = "";
      const curl = spawn("curl", [
        "-sS",
        "-N",
        `${base}/api/v1/events/stream?after=${from}&type=client.stage`,
      ]);
      curl.stdout.setEncoding("utf8");
      curl.stdout.on("data", (chunk: string) => {
        followed += chunk;
      });
      try {
        await publish(PUBLISHED, "live");
        await waitUntil(
          () => parseSse(followed).filter((m) => m.data?.detail?.tag === "live").length >= PUBLISHED,
          `curl to receive ${PUBLISHED} events`,
          60_000,
        );
      } finally {
        if (curl.pid !== undefined && curl.exitCode === null) process.kill(curl.pid);
      }
      const got = parseSse(followed);
      assert.deepEqual(
        got.filter((m) => m.event !== "message"),
        [],
        "a client that keeps up is never told it missed events",
      );
      const live = got.filter((m) => m.data.detail.tag === "live");
      assert.equal(live.length, PUBLISHED);
      assert.deepEqual(
        live.map((m) => m.data.detail.i).sort((a, b) => a - b),
        Array.from({ length: PUBLISHED }, (_, i) => i),
      );
      assert.ok(
        live.every((m, i) => i === 0 || m.id! > live[i - 1]!.id!),
        "ids rise",
      );
      peak = Math.max(peak, rssOf(pid));
    } finally {
      for (const s of abusers) s.destroy();
      clearInterval(sampler);
    }
    // The server notices the clients left (a heartbeat or the next event).
    await publish(20, "after");
    const left = rssOf(pid);
    t.diagnostic(
      `RSS ${(baseline / MiB).toFixed(0)} MiB before, ${(peak / MiB).toFixed(0)} at most, ${(left / MiB).toFixed(0)} after`,
    );
    assert.ok(
      peak - baseline < RSS_BOUND,
      `RSS grew by ${((peak - baseline) / MiB).toFixed(0)} MiB while the clients were there (bound ${RSS_BOUND / MiB})`,
    );
    assert.ok(
      left - baseline < RSS_BOUND,
      `RSS grew by ${((left - baseline) / MiB).toFixed(0)} MiB after they left (bound ${RSS_BOUND / MiB})`,
    );
  });

  it("a client resuming far behind gets the newest 500 and one missed message, whose id resumes after the gap", async () => {
    // The reports the previous test sent last are answered before the event
    // recorder writes them (it batches for a few milliseconds): wait until
    // they are stored, so that the backlog is all the stream has to send.
    await waitUntil(async () => {
      const r = await fetch(`${base}/api/v1/events?mac=${MAC}&order=desc&limit=20`);
      const { events } = (await r.json()) as { events: { detail?: { tag?: string } }[] };
      return events.length === 20 && events.every((e) => e.detail?.tag === "after");
    }, "the previous test's last 20 reports in the store");
    const r = await new Promise<string>((resolve, reject) => {
      let text = "";
      const curl = spawn("curl", [
        "-sS",
        "-N",
        "-H",
        "Last-Event-ID: 1",
        `${base}/api/v1/events/stream?mac=${MAC}`,
      ]);
      curl.stdout.setEncoding("utf8");
      curl.stdout.on("data", (chunk: string) => {
        text += chunk;
        if (parseSse(text).length >= 501 && curl.pid !== undefined) process.kill(curl.pid);
      });
      curl.on("error", reject);
      curl.on("close", () => resolve(text));
    });
    const got = parseSse(r);
    const [missed, ...events] = got;
    assert.equal(missed?.event, "missed");
    assert.equal(missed?.data.after, 1);
    assert.equal(events.length, 500);
    assert.equal(missed?.id, events[0]!.id! - 1, "Last-Event-ID moves past the gap");
    assert.equal(missed?.data.before, events[0]!.id);
    assert.equal(events.at(-1)!.id, await newestId());
  });
});
