/**
 * The handshake Debian's nbd-client 3.24 makes: fixed newstyle, then
 * NBD_OPT_GO with no information requests, simple replies only (the Linux
 * kernel's NBD driver does not speak structured replies).
 *
 * The real nbd-client negotiates with bootfleet, then needs the kernel's nbd
 * module to attach /dev/nbd0. Where the module is loaded the test attaches
 * the device, reads it and detaches; where it is not (containers, this
 * project's CI) nbd-client stops right after the handshake with its netlink
 * error, and the test checks the handshake it made from the bytes the
 * server received. nbdsh then makes the same exchange and reads data.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { NBD_OPT_GO, NBD_OPTS_MAGIC } from "../../src/protocols/nbd/nbd-constants.js";
import {
  makeImage,
  type NbdTestServer,
  requireNbdPeers,
  run,
  startNbdServer,
} from "../fixtures/nbd/nbd-harness.js";

let dir: string;
let server: NbdTestServer;
const SIZE = 4 * 1024 * 1024;

before(async () => {
  requireNbdPeers(["nbd-client", "nbdsh"]);
  dir = await mkdtemp(join(tmpdir(), `bf-nbd-client-${process.pid}-`));
  await makeImage(join(dir, "thin"), SIZE);
  server = await startNbdServer(dir, { cowDir: join(dir, "cow") });
});

after(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The options a client sent, from the raw bytes after the greeting's 4-byte client flags. */
function optionsSent(bytes: Buffer): { option: number; data: Buffer }[] {
  const out: { option: number; data: Buffer }[] = [];
  let p = 4;
  while (p + 16 <= bytes.length && bytes.readBigUInt64BE(p) === NBD_OPTS_MAGIC) {
    const length = bytes.readUInt32BE(p + 12);
    out.push({ option: bytes.readUInt32BE(p + 8), data: bytes.subarray(p + 16, p + 16 + length) });
    p += 16 + length;
  }
  return out;
}

describe("nbd-client 3.24", () => {
  it("negotiates with OPT_GO and no information requests", async (t) => {
    const kernel = existsSync("/sys/module/nbd") && existsSync("/dev/nbd0");
    const first = server.received.length;
    if (kernel) {
      t.diagnostic("nbd module loaded: attaching /dev/nbd0");
      const up = await run("nbd-client", ["127.0.0.1", String(server.port), "/dev/nbd0", "-N", "thin"]);
      assert.equal(up.code, 0, up.stderr);
      try {
        const dd = await run("dd", [
          "if=/dev/nbd0",
          "bs=4096",
          "count=4",
          "status=none",
          `of=${join(dir, "dev.raw")}`,
        ]);
        assert.equal(dd.code, 0, dd.stderr);
        const expect = (await readFile(join(dir, "thin"))).subarray(0, 16384);
        assert.deepEqual(await readFile(join(dir, "dev.raw")), expect);
      } finally {
        await run("nbd-client", ["-d", "/dev/nbd0"]);
      }
    } else {
      t.diagnostic("no nbd kernel module here: nbd-client stops after the handshake, as expected");
      const r = await run(
        "nbd-client",
        ["127.0.0.1", String(server.port), "/dev/nbd0", "-N", "thin", "-nofork"],
        30_000,
      );
      const out = r.stdout + r.stderr;
      assert.match(out, /Negotiation: \.\.size = 4MB/, out);
      assert.match(out, /netlink|nbd module|Cannot open NBD/i, out);
    }
    const bytes = server.received[first];
    assert.ok(bytes, "nbd-client connected");
    // Client flags: NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES.
    assert.equal(bytes.readUInt32BE(0), 3);
    const go = optionsSent(bytes).find((o) => o.option === NBD_OPT_GO);
    assert.ok(go, "nbd-client sent NBD_OPT_GO");
    // name length, "thin", zero information requests.
    assert.deepEqual(
      go.data,
      Buffer.concat([Buffer.from("00000004", "hex"), Buffer.from("thin"), Buffer.from("0000", "hex")]),
    );
    const connect = server.events.find((e) => e.type === "nbd.connect" && e.detail?.export === "thin");
    assert.equal(connect?.detail?.structured_replies, false);
  });

  it("lists exports with nbd-client -l", async () => {
    const r = await run("nbd-client", ["-l", "127.0.0.1", String(server.port)], 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^thin: file thin$/m);
  });
});

describe("nbdsh making nbd-client's exchange", () => {
  it("reads with simple replies after OPT_GO without information requests", async () => {
    const first = server.received.length;
    const script = `
import struct
h.set_request_structured_replies(False)
h.set_request_block_size(False)
h.connect_uri("${server.uri("thin")}")
assert not h.get_structured_replies_negotiated()
assert h.get_size() == ${SIZE}
for off in (0, 4096, ${SIZE - 4096}):
    assert struct.unpack(">Q", h.pread(8, off))[0] == off
print("ok")
`;
    const r = await run("nbdsh", ["-c", script]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "ok");
    const go = optionsSent(server.received[first]!).find((o) => o.option === NBD_OPT_GO);
    assert.deepEqual(go?.data.subarray(-2), Buffer.from("0000", "hex"));
  });
});
