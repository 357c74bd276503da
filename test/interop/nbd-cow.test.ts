/**
 * Per-client copy-on-write through a real client (nbdsh/libnbd): two clients
 * write different data at the same offset and each reads back its own; the
 * base file is unchanged; a per-machine layer survives a reconnect.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  makeImage,
  type NbdTestServer,
  requireNbdPeers,
  run,
  sha256OfFile,
  startNbdServer,
} from "../fixtures/nbd/nbd-harness.js";

let dir: string;
let server: NbdTestServer;
let baseSha: string;
const SIZE = 16 * 1024 * 1024;

before(async () => {
  requireNbdPeers(["nbdsh", "nbdcopy"]);
  dir = await mkdtemp(join(tmpdir(), `bf-nbd-cow-${process.pid}-`));
  await makeImage(join(dir, "scratch"), SIZE);
  await makeImage(join(dir, "kept"), SIZE);
  baseSha = await sha256OfFile(join(dir, "scratch"));
  server = await startNbdServer(dir, {
    cowDir: join(dir, ".cow"),
    cowFor: (name, client) =>
      name === "scratch" ? {} : name === "kept" ? { keepKey: client.address } : undefined,
  });
});

after(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * An nbdsh that writes `fill` at an unaligned offset, flushes, creates
 * `flag`, waits for the other client's flag (so both layers hold writes at
 * the same time) and then reads its own data back.
 */
function client(name: string, fill: string, flag: string, other: string) {
  const script = `
import os, time
h.connect_uri("${server.uri(name)}")
assert not h.is_read_only()
assert h.can_flush() and h.can_trim() and h.can_zero()
data = ${JSON.stringify(fill)}.encode() * 3000
h.pwrite(data, 1000)
h.flush()
open(${JSON.stringify(flag)}, "w").close()
deadline = time.time() + 30
while not os.path.exists(${JSON.stringify(other)}):
    assert time.time() < deadline, "other client never wrote"
    time.sleep(0.01)
assert h.pread(len(data), 1000) == data, "read back another client's data"
h.zero(8192, 65536)
assert h.pread(8192, 65536) == bytes(8192)
print("ok")
`;
  return run("nbdsh", ["-c", script], 60_000);
}

describe("copy-on-write with nbdsh", () => {
  it("two clients write the same offset; each reads its own; the base is unchanged", async () => {
    const a = join(dir, "a.flag");
    const b = join(dir, "b.flag");
    const [ra, rb] = await Promise.all([client("scratch", "A", a, b), client("scratch", "B", b, a)]);
    assert.equal(ra.stdout.trim(), "ok", ra.stderr);
    assert.equal(rb.stdout.trim(), "ok", rb.stderr);
    assert.equal(await sha256OfFile(join(dir, "scratch")), baseSha);
    // A new client sees the base again: discarded layers are gone.
    const fresh = await run("nbdsh", [
      "-u",
      server.uri("scratch"),
      "-c",
      "import struct\nassert struct.unpack('>Q', h.pread(8, 0))[0] == 0\nassert h.pread(1, 1000) != b'A' and h.pread(1, 1000) != b'B'\nprint('ok')",
    ]);
    assert.equal(fresh.stdout.trim(), "ok", fresh.stderr);
  });

  it("keeps a per-machine layer across reconnects, and nbdcopy reads it", async () => {
    const write = await run("nbdsh", [
      "-u",
      server.uri("kept"),
      "-c",
      "h.pwrite(b'kept!' * 100, 4096 * 3 + 1)\nh.flush()",
    ]);
    assert.equal(write.code, 0, write.stderr);
    while (server.service.stats().connections > 0) await new Promise((r) => setTimeout(r, 10));
    const read = await run("nbdsh", [
      "-u",
      server.uri("kept"),
      "-c",
      "print(h.pread(500, 4096 * 3 + 1).decode())",
    ]);
    assert.equal(read.stdout.trim(), "kept!".repeat(100), read.stderr);
    const out = join(dir, "kept.raw");
    const copy = await run("nbdcopy", [server.uri("kept"), out]);
    assert.equal(copy.code, 0, copy.stderr);
    const copied = await sha256OfFile(out);
    assert.notEqual(copied, await sha256OfFile(join(dir, "kept")));
  });
});
