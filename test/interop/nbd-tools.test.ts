/**
 * bootfleet's NBD service against the NBD clients nobody here wrote:
 * nbdinfo, nbdcopy, nbdsh (libnbd) and qemu-img, on loopback with an
 * ephemeral port. nbdcopy of a 1 GiB export must be byte-identical.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_NBD_MAX_CONNECTIONS_PER_CLIENT } from "../../src/config/config-schema.js";
import {
  makeImage,
  type NbdTestServer,
  requireNbdPeers,
  run,
  sha256OfFile,
  sha256OfStdout,
  startNbdServer,
} from "../fixtures/nbd/nbd-harness.js";

const GIB = 1024 * 1024 * 1024;
let dir: string;
let server: NbdTestServer;
let bigSha: string;

before(async () => {
  requireNbdPeers(["nbdinfo", "nbdcopy", "nbdsh", "qemu-img"]);
  dir = await mkdtemp(join(tmpdir(), `bf-nbd-tools-${process.pid}-`));
  const root = join(dir, "exports");
  await mkdir(join(root, "debian"), { recursive: true });
  // 1 GiB with a 64 MiB zero stretch in the middle (hole replies).
  await makeImage(join(root, "big"), GIB, 512 * 1024 * 1024, 576 * 1024 * 1024);
  bigSha = await sha256OfFile(join(root, "big"));
  await makeImage(join(root, "debian", "20260101-000000"), 3 * 1024 * 1024 + 512);
  await makeImage(join(root, "debian", "20260201-000000"), 5 * 1024 * 1024);
  await writeFile(join(root, "small"), "0123456789");
  server = await startNbdServer(root, { cowDir: join(dir, "cow") });
});

after(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("nbdinfo", () => {
  it("--list shows every export, one port", async () => {
    const r = await run("nbdinfo", ["--list", `nbd://127.0.0.1:${server.port}`]);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ["big", "debian@20260101-000000", "debian@20260201-000000", "small"]) {
      assert.match(r.stdout, new RegExp(`export="${name}"`));
    }
    assert.match(r.stdout, /description: debian \(current: 20260201-000000\)/);
    assert.match(r.stdout, /protocol: newstyle-fixed without TLS, using structured packets/);
  });

  it("--json reports size, read-only, multi-conn and block sizes", async () => {
    const r = await run("nbdinfo", ["--json", server.uri("debian")]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as {
      protocol: string;
      exports: {
        "export-name": string;
        "export-size": number;
        is_read_only: boolean;
        can_multi_conn: boolean;
        can_flush: boolean;
        contexts: string[];
        block_size_minimum: number;
        block_size_preferred: number;
        block_size_maximum: number;
        description: string;
      }[];
    };
    assert.equal(info.protocol, "newstyle-fixed");
    const [e] = info.exports;
    assert.ok(e);
    assert.equal(e["export-name"], "debian@20260201-000000");
    assert.equal(e["export-size"], 5 * 1024 * 1024);
    assert.equal(e.is_read_only, true);
    assert.equal(e.can_multi_conn, true);
    assert.equal(e.can_flush, false);
    assert.deepEqual(e.contexts, ["base:allocation"]);
    assert.deepEqual(
      [e.block_size_minimum, e.block_size_preferred, e.block_size_maximum],
      [1, 4096, 33554432],
    );
    assert.equal(e.description, "debian version 20260201-000000");
  });

  it("fails cleanly for an export that does not exist", async () => {
    const r = await run("nbdinfo", [server.uri("nope")]);
    assert.notEqual(r.code, 0);
    // NBD_REP_ERR_UNKNOWN, which libnbd reports as ENOENT.
    assert.match(r.stderr, /No such file or directory for export: nope/);
  });
});

describe("nbdcopy", () => {
  for (const connections of [1, 4]) {
    it(`copies the 1 GiB export byte-identically with ${connections} connection(s)`, async () => {
      const got = await sha256OfStdout("nbdcopy", [`--connections=${connections}`, server.uri("big"), "-"]);
      assert.equal(got.bytes, GIB);
      assert.equal(got.sha256, bigSha);
    });
  }

  it("copies a pinned version to a file", async () => {
    const out = join(dir, "pinned.raw");
    const r = await run("nbdcopy", [server.uri("debian@20260101-000000"), out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      await sha256OfFile(out),
      await sha256OfFile(join(dir, "exports", "debian", "20260101-000000")),
    );
  });
});

describe("qemu-img", () => {
  it("converts nbd://.../debian to a raw file identical to the current version", async () => {
    const out = join(dir, "qemu.raw");
    const r = await run("qemu-img", ["convert", "-f", "raw", "-O", "raw", server.uri("debian"), out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      await sha256OfFile(out),
      await sha256OfFile(join(dir, "exports", "debian", "20260201-000000")),
    );
  });

  it("reports the export's size with qemu-img info", async () => {
    const r = await run("qemu-img", ["info", "--output=json", server.uri("debian@20260101-000000")]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { "virtual-size": number })["virtual-size"], 3 * 1024 * 1024 + 512);
  });
});

describe("nbdsh", () => {
  it("reads, is refused writes, and gets EINVAL past the end", async () => {
    const script = `
h.set_strict_mode(0)  # let requests the client would refuse reach the server
h.connect_uri("${server.uri("small")}")
assert h.get_size() == 10
assert h.pread(10, 0) == b"0123456789"
assert h.is_read_only()
for call in (lambda: h.pread(4, 8), lambda: h.pwrite(b"x", 0)):
    try:
        call()
        raise SystemExit("request succeeded")
    except nbd.Error as e:
        print(e.errno)
h.shutdown()
`;
    const r = await run("nbdsh", ["-c", script]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), ["EINVAL", "EPERM"]);
  });

  it("sees holes as holes through structured replies and block status", async () => {
    const script = `
h.add_meta_context("base:allocation")
h.connect_uri("${server.uri("big")}")
assert h.can_meta_context("base:allocation")
seen = []
def chunk(subbuf, offset, status, err):
    seen.append(status)
    return 0
h.pread_structured(65536, 512 * 1024 * 1024, chunk)
h.pread_structured(65536, 0, chunk)
print(seen)
ext = []
h.block_status(1 << 20, 0, lambda meta, off, entries, err: ext.append((meta, entries)) or 0)
print(ext[0][0], ext[0][1][1])
`;
    const r = await run("nbdsh", ["-c", script]);
    assert.equal(r.code, 0, r.stderr);
    const [chunks, extent] = r.stdout.trim().split("\n");
    // nbd.READ_HOLE = 2 for the zero stretch, nbd.READ_DATA = 1 for data.
    assert.equal(chunks, "[2, 1]");
    assert.equal(extent, "base:allocation 0");
  });

  it("serves many clients at once", async () => {
    // All from 127.0.0.1: as many as one address may hold at once
    // (services.nbd.max_connections_per_client); machines each have their own.
    const clients = Array.from({ length: DEFAULT_NBD_MAX_CONNECTIONS_PER_CLIENT }, (_, i) => {
      const offset = i * 37 * 4096;
      return run("nbdsh", [
        "-u",
        server.uri("debian"),
        "-c",
        `import struct\nassert struct.unpack(">Q", h.pread(8, ${offset}))[0] == ${offset}\nprint("ok")`,
      ]);
    });
    const results = await Promise.all(clients);
    for (const r of results) assert.equal(r.stdout.trim(), "ok", r.stderr);
    // Every connection released its export.
    while (server.service.stats().connections > 0) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.source.inUse("debian@20260201-000000"), 0);
  });
});
