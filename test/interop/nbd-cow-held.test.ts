/**
 * A running machine's copy-on-write layer across the end of its server
 * (issue 16), with a real client (nbdsh/libnbd) and the NBD service in a
 * process of its own:
 *
 *   - the client writes (no FLUSH), the server is killed with SIGKILL while
 *     the client is connected; a new server process gives the reconnecting
 *     client every byte it was told was written;
 *   - the same after SIGTERM (the layer is closed and held on disk);
 *   - a layer nobody reclaims within the hold time is removed, with an event,
 *     and the next connection reads the image again.
 *
 * Everything runs on 127.0.0.1; every process is stopped by PID.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeImage, peerEnv, requireNbdPeers, run } from "../fixtures/nbd/nbd-harness.js";
import { REPO_ROOT } from "../fixtures/images/debian-kernel.js";
import { waitUntil } from "../support/wait-until.js";

const SIZE = 16 * 1024 * 1024;
const HOLD_MS = 60_000;
let dir: string;
const children = new Set<ChildProcess>();

interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly events: { type: string; mac?: string; detail?: Record<string, unknown> }[];
}

async function startServer(holdMs = HOLD_MS): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(REPO_ROOT, "test/fixtures/nbd/held-cow-server-main.ts"),
      join(dir, "exports"),
      join(dir, "cow"),
      String(holdMs),
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  children.add(child);
  child.once("exit", () => children.delete(child));
  const events: ServerProcess["events"] = [];
  let port = 0;
  let text = "";
  child.stdout!.on("data", (d: Buffer) => {
    text += d.toString();
    let nl = text.indexOf("\n");
    while (nl >= 0) {
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      if (line.startsWith("port ")) port = Number(line.slice(5));
      else if (line.startsWith("event ")) events.push(JSON.parse(line.slice(6)));
      nl = text.indexOf("\n");
    }
  });
  await waitUntil(() => port > 0 || child.exitCode !== null, "the NBD service's port", 60_000);
  assert.ok(port > 0, "the NBD service exited before listening");
  return { child, port, events };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

const uri = (s: ServerProcess) => `nbd://127.0.0.1:${s.port}/disk`;

/** Python for nbdsh: the bytes the tests write, at unaligned offsets, and a zeroed range. */
const WRITES = `
a = b"written before the kill " * 300
b = bytes(range(256)) * 20
`;

before(async () => {
  requireNbdPeers(["nbdsh"]);
  dir = await mkdtemp(join(tmpdir(), `bf-nbd-held-${process.pid}-`));
  await mkdir(join(dir, "exports"));
  await makeImage(join(dir, "exports", "disk"), SIZE);
});

after(async () => {
  for (const c of children) c.kill("SIGKILL");
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a machine's copy-on-write layer when its server goes away", () => {
  it("SIGKILL while the client is connected and nothing was flushed: the next server gives back every answered write", async () => {
    const first = await startServer();
    // Writes are answered, then the client stays connected until the server dies.
    const writer = spawn(
      "nbdsh",
      [
        "-c",
        `import sys, time
h.connect_uri("${uri(first)}")
${WRITES}
h.pwrite(a, 1000)
h.pwrite(b, 3 * 4096 + 7)
h.zero(65536, 8 * 4096)
print("written", flush=True)
time.sleep(120)`,
      ],
      { env: peerEnv, stdio: ["ignore", "pipe", "pipe"] },
    );
    children.add(writer);
    let out = "";
    writer.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    let err = "";
    writer.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
    });
    await waitUntil(() => out.includes("written") || writer.exitCode !== null, "the client's writes", 60_000);
    assert.match(out, /written/, err);
    first.child.kill("SIGKILL");
    await exited(first.child);
    writer.kill("SIGKILL");
    await exited(writer);

    const second = await startServer();
    const read = await run("nbdsh", [
      "-u",
      uri(second),
      "-c",
      `${WRITES}
assert h.pread(len(a), 1000) == a, "first write lost"
assert h.pread(len(b), 3 * 4096 + 7) == b, "second write lost"
assert h.pread(8 * 4096, 65536) == bytes(8 * 4096), "zeroes lost"
print("ok")`,
    ]);
    assert.equal(read.stdout.trim(), "ok", read.stderr);
    await waitUntil(() => second.events.some((e) => e.type === "nbd.cow_reclaimed"), "nbd.cow_reclaimed");
    assert.equal(second.events.find((e) => e.type === "nbd.cow_reclaimed")?.mac, "127.0.0.1");

    // SIGTERM: the server closes the layer and exits 0; the next one has it.
    const write2 = await run("nbdsh", [
      "-u",
      uri(second),
      "-c",
      'h.pwrite(b"after the restart" * 10, 200000)\nprint("ok")',
    ]);
    assert.equal(write2.stdout.trim(), "ok", write2.stderr);
    second.child.kill("SIGTERM");
    assert.deepEqual(await exited(second.child), { code: 0, signal: null });

    const third = await startServer();
    const read2 = await run("nbdsh", [
      "-u",
      uri(third),
      "-c",
      `${WRITES}
assert h.pread(len(a), 1000) == a, "first write lost"
assert h.pread(170, 200000) == b"after the restart" * 10, "write before SIGTERM lost"
print("ok")`,
    ]);
    assert.equal(read2.stdout.trim(), "ok", read2.stderr);
    third.child.kill("SIGTERM");
    assert.deepEqual(await exited(third.child), { code: 0, signal: null });
  });

  it("a layer not reclaimed within the hold time is removed, with an event; the next connection reads the image", async () => {
    const server = await startServer(300);
    await waitUntil(
      () => server.events.some((e) => e.type === "nbd.cow_removed"),
      "nbd.cow_removed for the layer the last test left",
      30_000,
    );
    const removed = server.events.find((e) => e.type === "nbd.cow_removed");
    assert.equal(removed?.mac, "127.0.0.1");
    assert.deepEqual(removed?.detail, { export: "disk", reason: "not reclaimed within 0.3 s" });
    const read = await run("nbdsh", [
      "-u",
      uri(server),
      "-c",
      'import struct\nassert struct.unpack(">Q", h.pread(8, 4096))[0] == 4096, "not the image"\nassert h.pread(1, 1000) != b"w"\nprint("ok")',
    ]);
    assert.equal(read.stdout.trim(), "ok", read.stderr);
    server.child.kill("SIGTERM");
    assert.deepEqual(await exited(server.child), { code: 0, signal: null });
  });
});
