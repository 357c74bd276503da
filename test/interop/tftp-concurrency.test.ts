/**
 * 8:00 in the lab: 200 machines ask for the same 8 MiB file at once. 100 curl
 * and 100 atftp clients (iPXE's blksize 1432 + tsize) run together against
 * one server (2 transfer workers on native I/O, as `bootfleet serve` runs
 * them); every download must succeed byte-exact. The time limit is
 * generous and only bounds the test; no speed is asserted here (bench/tftp
 * measures speed).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { clients, pseudoRandom, type RunResult, startServer, type TestServer } from "./tftp-harness.js";
import { requirePeers } from "../support/require-peers.js";

const CLIENTS = 200;
const SIZE = 8 << 20;

let dir: string;
let server: TestServer;
let want: string;

before(async () => {
  requirePeers(["curl", "atftp"]);
  dir = mkdtempSync(join(tmpdir(), "bf-tftp-200-"));
  mkdirSync(join(dir, "root"));
  mkdirSync(join(dir, "out"));
  const body = pseudoRandom(SIZE, 8);
  want = createHash("sha256").update(body).digest("hex");
  writeFileSync(join(dir, "root", "initrd.img"), body);
  // Transfers on two worker threads, so the 200 clients are spread over workers as serve
  // spreads them (workers: auto is one per CPU, up to 4). The 200 clients stand for 200
  // machines but all come from 127.0.0.1: no per-client limit.
  server = await startServer(
    join(dir, "root"),
    { maxTransfers: 256, maxTransfersPerClient: 256 },
    undefined,
    2,
    "native",
  );
});

after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("tftp interop: 200 clients at once", () => {
  it(`${CLIENTS} curl/atftp clients each fetch an 8 MiB file byte-exact`, {
    timeout: 20 * 60_000,
  }, async (t) => {
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, server.service.stats().active);
    }, 50);
    const failures: string[] = [];
    const started = Date.now();
    try {
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, i) => {
          const local = join(dir, "out", `c${i}`);
          let r: RunResult;
          if (i % 2 === 0)
            r = await clients.curl(server.port, "initrd.img", local, ["--tftp-blksize", "1432"]);
          else r = await clients.atftp(server.port, "initrd.img", local, ["blksize 1432", "tsize enable"]);
          const kind = i % 2 === 0 ? "curl" : "atftp";
          if (r.code !== 0) {
            failures.push(
              `${kind} #${i}: exit ${r.code} ${r.stderr.trim()} ${r.stdout.trim()}`.slice(0, 300),
            );
            return;
          }
          const got = createHash("sha256").update(readFileSync(local)).digest("hex");
          rmSync(local);
          if (got !== want) failures.push(`${kind} #${i}: content differs`);
        }),
      );
    } finally {
      clearInterval(sampler);
    }
    const stats = server.service.stats();
    const seconds = (Date.now() - started) / 1000;
    // Informative only (no threshold): how the run went.
    t.diagnostic(
      `200 clients: ${seconds.toFixed(1)} s, peak ${peak} transfers, ${stats.busyDrops} busy drops, ` +
        `cache ${stats.cache.hits} hits / ${stats.cache.misses} misses`,
    );
    assert.deepEqual(failures, []);
    assert.equal(server.events.filter((e) => e.type === "tftp.done").length, CLIENTS);
    assert.equal(server.events.filter((e) => e.type === "tftp.error").length, 0);
    assert.ok(peak <= 256);
    assert.equal(stats.cache.misses, 1, "the file was read from disk once");
  });
});
