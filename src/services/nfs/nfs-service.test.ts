import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MemoryLogger } from "../../logging/logger.js";
import { decodeMountExports, decodeMountMntResult } from "../../protocols/nfs/mount3-codec.js";
import { decodePortmapList } from "../../protocols/rpc/portmap-codec.js";
import type { RpcReply } from "../../protocols/rpc/rpc-message.js";
import { XdrReader } from "../../protocols/xdr/xdr-reader.js";
import type { XdrWriter } from "../../protocols/xdr/xdr-writer.js";
import { waitUntil } from "../../../test/support/wait-until.js";
import { decodeFileHandle, encodeFileHandle, treeKey } from "./file-handle.js";
import { ImageTree } from "./image-tree.js";
import type { NfsExport, NfsExportSource } from "./nfs-export-source.js";
import { NfsService } from "./nfs-service.js";
import { BUSYBOX_BYTES, makeTestTree } from "./nfs-test-tree.js";
import { RpcTestClient } from "./rpc-test-client.js";

const NFS = { prog: 100003, vers: 3 };
const MOUNT = { prog: 100005, vers: 3 };
const SYS = (uid: number, gid: number) => {
  const body = Buffer.alloc(20 + 4);
  // stamp 0, machinename "" (length 0), uid, gid, no groups
  body.writeUInt32BE(uid, 8);
  body.writeUInt32BE(gid, 12);
  return { flavor: 1, body: body.subarray(0, 20) };
};

function results(r: RpcReply): XdrReader {
  assert.equal(r.body.stat, "success", JSON.stringify(r.body));
  return new XdrReader(r.body.stat === "success" ? r.body.results : Buffer.alloc(0));
}

/** fattr3 as a client reads it: the fields the tests look at. */
function readFattr(r: XdrReader) {
  const type = r.uint32("type");
  const mode = r.uint32("mode");
  r.uint32("nlink");
  r.uint32("uid");
  r.uint32("gid");
  const size = r.uint64("size");
  r.uint64("used");
  r.uint32("rdev1");
  r.uint32("rdev2");
  r.uint64("fsid");
  const fileid = r.uint64("fileid");
  for (let i = 0; i < 6; i++) r.uint32("time");
  return { type, mode, size, fileid };
}

const postOp = (r: XdrReader) => (r.bool("attributes follow") ? readFattr(r) : undefined);
const fhArg = (fh: Buffer) => (w: XdrWriter) => w.opaque(fh);

describe("NfsService", () => {
  let dir: string;
  let tree: ImageTree;
  let service: NfsService;
  let port: number;
  let logger: MemoryLogger;
  const servers: { close(): void }[] = [];
  const clients: RpcTestClient[] = [];

  const exp = (): NfsExport => ({ key: treeKey("test:thin@1"), tree, description: "thin test" });
  const source: NfsExportSource = {
    mount: async (p) => (p === "/images/thin" ? exp() : undefined),
    byKey: async (k) => (k === exp().key ? exp() : undefined),
    list: async () => ["/images/thin"],
  };

  async function start(): Promise<number> {
    const tcp = createServer();
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", () => r()));
    const p = (tcp.address() as AddressInfo).port;
    const udp = createSocket("udp4");
    await new Promise<void>((r) => udp.bind(p, "127.0.0.1", () => r()));
    logger = new MemoryLogger();
    const s = new NfsService({ source, ports: { nfs: p, mount: p, portmap: p }, logger });
    s.attachTcp(tcp);
    s.attachUdp(udp);
    service = s;
    servers.push({ close: () => void s.stop() });
    return p;
  }

  const tcp = async () => {
    const c = await RpcTestClient.tcp(port);
    clients.push(c);
    return c;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "bf-nfs-svc-"));
    makeTestTree(dir);
    chmodSync(join(dir, "etc/Zeta"), 0o600);
    tree = await ImageTree.open(dir);
    port = await start();
  });

  after(async () => {
    for (const c of clients) c.close();
    for (const s of servers) s.close();
    await tree.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function mountRoot(c: RpcTestClient, path = "/images/thin"): Promise<Buffer> {
    const m = decodeMountMntResult(
      results(await c.call({ ...MOUNT, proc: 1 }, (w) => w.string(path))).rest(),
    );
    assert.equal(m.status, 0, `mount ${path}`);
    return m.fh!;
  }

  async function lookup(
    c: RpcTestClient,
    dirFh: Buffer,
    name: string,
  ): Promise<{ status: number; fh?: Buffer }> {
    const r = results(await c.call({ ...NFS, proc: 3 }, (w) => w.opaque(dirFh).string(name)));
    const status = r.uint32("status");
    if (status !== 0) return { status };
    return { status, fh: r.opaque(64, "fh") };
  }

  it("answers the portmapper: GETPORT of its programs, DUMP of all six mappings", async () => {
    const c = await tcp();
    const getport = await c.call({ prog: 100000, vers: 2, proc: 3 }, (w) =>
      w.uint32(100005).uint32(3).uint32(6).uint32(0),
    );
    assert.equal(results(getport).uint32("port"), port);
    const unknown = await c.call({ prog: 100000, vers: 2, proc: 3 }, (w) =>
      w.uint32(100021).uint32(4).uint32(17).uint32(0),
    );
    assert.equal(results(unknown).uint32("port"), 0);
    const dump = decodePortmapList(results(await c.call({ prog: 100000, vers: 2, proc: 4 })).rest());
    assert.equal(dump.length, 6);
  });

  it("mounts an export and folders inside it, never '..', and lists exports", async () => {
    const c = await tcp();
    const root = await mountRoot(c);
    assert.equal(root.length, 16);
    const etc = await mountRoot(c, "/images/thin/etc/");
    assert.deepEqual(await lookup(c, root, "etc"), { status: 0, fh: etc });
    const status = async (path: string) =>
      decodeMountMntResult(results(await c.call({ ...MOUNT, proc: 1 }, (w) => w.string(path))).rest()).status;
    assert.equal(await status("/images/other"), 2);
    assert.equal(await status("/images/thin/etc/hostname"), 20);
    assert.equal(await status("/images/thin/../thin"), 22);
    const list = decodeMountExports(results(await c.call({ ...MOUNT, proc: 5 })).rest());
    assert.deepEqual(list, [{ dir: "/images/thin", groups: ["*"] }]);
  });

  it("looks up, reads attributes and reads files in pieces", async () => {
    const c = await tcp();
    const root = await mountRoot(c);
    const getattr = results(await c.call({ ...NFS, proc: 1 }, fhArg(root)));
    assert.equal(getattr.uint32("status"), 0);
    const attr = readFattr(getattr);
    assert.equal(attr.type, 2);
    assert.equal(attr.fileid, 1n);
    const bin = (await lookup(c, root, "bin")).fh!;
    const bb = (await lookup(c, bin, "busybox")).fh!;
    const pieces: Buffer[] = [];
    for (let offset = 0; ; ) {
      const r = results(
        await c.call({ ...NFS, proc: 6 }, (w) => w.opaque(bb).uint64(BigInt(offset)).uint32(32768)),
      );
      assert.equal(r.uint32("status"), 0);
      postOp(r);
      const count = r.uint32("count");
      const eof = r.bool("eof");
      pieces.push(Buffer.from(r.opaque(1 << 20, "data")));
      offset += count;
      if (eof) break;
    }
    const whole = Buffer.concat(pieces);
    assert.equal(whole.length, BUSYBOX_BYTES);
    assert.equal(whole[40_000], (40_000 * 7) & 0xff);
    assert.deepEqual((await lookup(c, bin, "sh")).fh, bb, "a hard link has the same handle");
  });

  it("keeps '..' of the root at the root and returns symlinks as symlinks", async () => {
    const c = await tcp();
    const root = await mountRoot(c);
    assert.deepEqual((await lookup(c, root, "..")).fh, root);
    const etc = (await lookup(c, root, "etc")).fh!;
    const link = (await lookup(c, etc, "escape")).fh!;
    const rl = results(await c.call({ ...NFS, proc: 5 }, fhArg(link)));
    assert.equal(rl.uint32("status"), 0);
    assert.equal(postOp(rl)?.type, 5);
    assert.equal(rl.string(4096, "path"), "/etc/shadow");
    const read = results(await c.call({ ...NFS, proc: 6 }, (w) => w.opaque(link).uint64(0n).uint32(100)));
    assert.equal(read.uint32("status"), 22, "a symlink is not read through");
    assert.equal((await lookup(c, etc, "nothing")).status, 2);
  });

  it("lists a folder in small pages with READDIR and READDIRPLUS, each name once", async () => {
    const c = await tcp();
    const root = await mountRoot(c);
    const etc = (await lookup(c, root, "etc")).fh!;
    for (const proc of [16, 17]) {
      const names: string[] = [];
      let cookie = 0n;
      let verf = Buffer.alloc(8);
      for (let page = 0; page < 20; page++) {
        const r = results(
          await c.call({ ...NFS, proc }, (w) => {
            w.opaque(etc).uint64(cookie).fixedOpaque(verf);
            if (proc === 16) w.uint32(160);
            else w.uint32(60).uint32(400);
          }),
        );
        assert.equal(r.uint32("status"), 0);
        postOp(r);
        verf = Buffer.from(r.fixedOpaque(8, "verf"));
        while (r.bool("entry")) {
          r.uint64("fileid");
          names.push(r.string(255, "name"));
          cookie = r.uint64("cookie");
          if (proc === 17) {
            assert.ok(postOp(r));
            assert.ok(r.bool("handle follows"));
            assert.equal(r.opaque(64, "fh").length, 16);
          }
        }
        if (r.bool("eof")) break;
      }
      assert.deepEqual(names, [".", "..", "Zeta", "escape", "hostname", "up"], `proc ${proc}`);
    }
  });

  it("answers NFS3ERR_ROFS to every write procedure", async () => {
    const c = await tcp();
    const root = await mountRoot(c);
    for (const proc of [2, 7, 8, 9, 10, 11, 12, 13, 14, 15, 21]) {
      const r = results(await c.call({ ...NFS, proc }, fhArg(root)));
      assert.equal(r.uint32("status"), 30, `proc ${proc}`);
    }
  });

  it("grants access by mode bits and the caller's AUTH_SYS identity", async () => {
    const c = await tcp();
    const root = await mountRoot(c);
    const etc = (await lookup(c, root, "etc")).fh!;
    const zeta = (await lookup(c, etc, "Zeta")).fh!;
    const access = async (uid: number) => {
      const r = results(
        await c.call({ ...NFS, proc: 4, cred: SYS(uid, uid) }, (w) => w.opaque(zeta).uint32(0x3f)),
      );
      assert.equal(r.uint32("status"), 0);
      postOp(r);
      return r.uint32("access");
    };
    assert.equal(await access(0), 0x01, "root reads a 0600 file, never modifies");
    assert.equal(await access(1000), 0, "another user reads nothing of it");
    const read = results(
      await c.call({ ...NFS, proc: 6, cred: SYS(1000, 1000) }, (w) => w.opaque(zeta).uint64(0n).uint32(10)),
    );
    assert.equal(read.uint32("status"), 13);
  });

  it("tells stale and malformed handles apart", async () => {
    const c = await tcp();
    const stale = encodeFileHandle("abababababababab", 1);
    assert.equal(results(await c.call({ ...NFS, proc: 1 }, fhArg(stale))).uint32("status"), 70);
    assert.equal(results(await c.call({ ...NFS, proc: 1 }, fhArg(Buffer.alloc(5)))).uint32("status"), 10001);
  });

  it("refuses what it does not serve with the replies of RFC 5531 section 9", async () => {
    const c = await tcp();
    assert.deepEqual((await c.call({ prog: 100003, vers: 4, proc: 0 })).body, {
      stat: "prog-mismatch",
      low: 3,
      high: 3,
    });
    assert.deepEqual((await c.call({ prog: 100227, vers: 3, proc: 0 })).body, { stat: "prog-unavail" });
    assert.deepEqual((await c.call({ ...NFS, proc: 22 })).body, { stat: "proc-unavail" });
    assert.deepEqual((await c.call({ ...NFS, proc: 1 }, (w) => w.uint32(1000))).body, {
      stat: "garbage-args",
    });
    assert.deepEqual((await c.call({ ...NFS, proc: 0, cred: { flavor: 6, body: Buffer.alloc(0) } })).body, {
      stat: "auth-error",
      authStat: 5,
    });
  });

  it("closes a TCP connection that sends no RPC, and only that one", async () => {
    const good = await tcp();
    const bad = await tcp();
    bad.send(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await bad.closed;
    const huge = await tcp();
    huge.send(Buffer.from([0x80, 0x7f, 0xff, 0xff]));
    await huge.closed;
    assert.equal((await good.call({ ...NFS, proc: 0 })).body.stat, "success");
    assert.ok(logger.records.some((r) => r.msg === "nfs: connection closed, not RPC"));
  });

  it("drops datagrams that are not RPC, logging one line for many, and serves over UDP", async () => {
    const u = await RpcTestClient.udp(port);
    clients.push(u);
    const before = service.malformed;
    for (let i = 0; i < 5; i++) u.send(Buffer.from("not rpc at all"));
    await waitUntil(() => service.malformed === before + 5, "five drops");
    assert.equal(
      logger.records.filter((r) => r.msg === "nfs: datagram that is not an RPC call dropped").length,
      1,
    );
    const root = await mountRoot(u);
    const etc = (await lookup(u, root, "etc")).fh!;
    const host = (await lookup(u, etc, "hostname")).fh!;
    const r = results(
      await u.call({ ...NFS, proc: 6 }, (w) =>
        w
          .opaque(host)
          .uint64(0n)
          .uint32(1 << 20),
      ),
    );
    assert.equal(r.uint32("status"), 0);
    postOp(r);
    assert.equal(r.uint32("count"), 5);
  });

  it("answers later calls on a connection while an earlier READ is still waiting", async () => {
    // A second export over the same tree whose handles resolve only when
    // the test says so: a READ of it stands for one held up by a cold disk.
    const slowKey = treeKey("test:slow@1");
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const slow = new NfsService({
      source: {
        ...source,
        byKey: async (k) => {
          if (k !== slowKey) return source.byKey(k);
          await held;
          return { key: slowKey, tree, description: "slow test" };
        },
      },
      ports: { nfs: 0, mount: 0, portmap: 0 },
      logger: new MemoryLogger(),
    });
    const listener = createServer();
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", () => r()));
    slow.attachTcp(listener);
    const c = await RpcTestClient.tcp((listener.address() as AddressInfo).port);
    try {
      const root = await mountRoot(c);
      const etc = (await lookup(c, root, "etc")).fh!;
      const host = decodeFileHandle((await lookup(c, etc, "hostname")).fh!)!;
      let readDone = false;
      const read = c
        .call({ ...NFS, proc: 6 }, (w) =>
          w.opaque(encodeFileHandle(slowKey, host.fileId)).uint64(0n).uint32(100),
        )
        .then((r) => {
          readDone = true;
          return r;
        });
      const getattr = results(await c.call({ ...NFS, proc: 1 }, fhArg(root)));
      assert.equal(getattr.uint32("status"), 0);
      assert.equal(readDone, false, "the READ is still held while GETATTR was answered");
      release();
      const r = results(await read);
      assert.equal(r.uint32("status"), 0);
      postOp(r);
      assert.equal(r.uint32("count"), 5);
    } finally {
      release();
      c.close();
      await slow.stop();
    }
  });

  it("answers the same handles after a restart over a tree opened again", async () => {
    const c = await tcp();
    const root = await mountRoot(c);
    const etc = (await lookup(c, root, "etc")).fh!;
    const host = (await lookup(c, etc, "hostname")).fh!;
    await service.stop();
    await tree.close();
    tree = await ImageTree.open(dir);
    port = await start();
    const again = await tcp();
    const r = results(await again.call({ ...NFS, proc: 6 }, (w) => w.opaque(host).uint64(0n).uint32(100)));
    assert.equal(r.uint32("status"), 0);
    postOp(r);
    r.uint32("count");
    r.bool("eof");
    assert.equal(r.opaque(100, "data").toString(), "thin\n");
  });
});
