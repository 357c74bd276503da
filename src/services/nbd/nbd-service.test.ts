import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BootEvent, EventBus } from "../../events/event-bus.js";
import { MemoryLogger } from "../../logging/logger.js";
import {
  NBD_CMD_DISC,
  NBD_CMD_FLUSH,
  NBD_CMD_READ,
  NBD_CMD_TRIM,
  NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES,
  NBD_EINVAL,
  NBD_ENOSPC,
  NBD_EPERM,
  NBD_FLAG_C_FIXED_NEWSTYLE,
  NBD_FLAG_CAN_MULTI_CONN,
  NBD_FLAG_READ_ONLY,
  NBD_INFO_BLOCK_SIZE,
  NBD_INFO_DESCRIPTION,
  NBD_INFO_NAME,
  NBD_OPT_ABORT,
  NBD_OPT_EXPORT_NAME,
  NBD_OPT_GO,
  NBD_OPT_INFO,
  NBD_OPT_LIST,
  NBD_OPT_SET_META_CONTEXT,
  NBD_REP_ACK,
  NBD_REP_ERR_INVALID,
  NBD_REP_ERR_POLICY,
  NBD_REP_ERR_UNKNOWN,
  NBD_REP_ERR_UNSUP,
  NBD_REP_INFO,
  NBD_REP_META_CONTEXT,
  NBD_REP_SERVER,
  NBD_REPLY_TYPE_BLOCK_STATUS,
  NBD_REPLY_TYPE_ERROR,
  NBD_REPLY_TYPE_OFFSET_DATA,
  NBD_REPLY_TYPE_OFFSET_HOLE,
} from "../../protocols/nbd/nbd-constants.js";
import {
  encodeClientFlags,
  encodeInfoRequestData,
  encodeMetaContextRequestData,
} from "../../protocols/nbd/nbd-handshake.js";
import type { NbdServerMessage } from "../../protocols/nbd/nbd-reply-framer.js";
import { DirectoryExportSource } from "./directory-export-source.js";
import { NbdExportRefused } from "./nbd-export-source.js";
import { NbdService } from "./nbd-service.js";
import { READ_SLICE_BYTES } from "./nbd-transmission-phase.js";
import { NbdTestClient } from "./nbd-test-client.js";

const DISK_SIZE = 256 * 1024;

let dir: string;
let disk: Buffer;
/** Larger than two read slices, with the middle slice all zero. */
let big: Buffer;
let v1: Buffer;
let v2: Buffer;
let service: NbdService;
let source: DirectoryExportSource;
let port: number;
const events: BootEvent[] = [];
const logger = new MemoryLogger();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "bf-nbd-svc-"));
  disk = randomBytes(DISK_SIZE);
  disk.fill(0, 64 * 1024, 128 * 1024); // a zero region for hole replies
  await writeFile(join(dir, "disk"), disk);
  await writeFile(join(dir, "cowdisk"), disk);
  await writeFile(join(dir, "keptdisk"), disk);
  big = randomBytes(2 * READ_SLICE_BYTES + 12345);
  big.fill(0, READ_SLICE_BYTES, 2 * READ_SLICE_BYTES);
  await writeFile(join(dir, "big"), big);
  await mkdir(join(dir, "img"));
  v1 = randomBytes(8192);
  v2 = randomBytes(16384);
  await writeFile(join(dir, "img", "v1"), v1);
  await writeFile(join(dir, "img", "v2"), v2);
  await symlink("v1", join(dir, "img", "current"));
  source = new DirectoryExportSource({
    root: dir,
    cowFor: (name, client) =>
      name === "cowdisk" ? {} : name === "keptdisk" ? { keepKey: client.address } : undefined,
  });
  const bus = new EventBus();
  bus.subscribe((e) => events.push(e));
  // "refused" stands for an export this client may not have (identity-bound copy-on-write).
  const refusing = {
    open: (name: string, client: { address: string; port: number }) =>
      name === "refused"
        ? Promise.reject(new NbdExportRefused("no machine is proven at this address"))
        : source.open(name, client),
    list: () => source.list(),
  };
  service = new NbdService({
    source: refusing,
    bus,
    logger,
    listen: { port: 0, host: "127.0.0.1" },
    options: { cowDir: join(dir, "cow"), maxInFlight: 4 },
  });
  port = (await service.start()).port;
});

after(async () => {
  await service.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Collects replies for `handles` (structured chunks until DONE). */
async function replies(c: NbdTestClient, count: number): Promise<NbdServerMessage[]> {
  const out: NbdServerMessage[] = [];
  let done = 0;
  while (done < count) {
    const m = await c.next();
    assert.ok(m, "connection closed while waiting for replies");
    out.push(m);
    if (m.kind === "simple-reply" || (m.kind === "structured-chunk" && (m.flags & 1) === 1)) done++;
  }
  return out;
}

const replyType = (m: NbdServerMessage | undefined) => (m?.kind === "option-reply" ? m.replyType : undefined);

async function handshake(): Promise<NbdTestClient> {
  const c = await NbdTestClient.connect(port);
  const greeting = await c.next();
  assert.deepEqual(greeting, { kind: "greeting", handshakeFlags: 3 });
  c.send(encodeClientFlags(NBD_FLAG_C_FIXED_NEWSTYLE));
  return c;
}

describe("NbdService handshake", () => {
  it("lists every export with NBD_OPT_LIST", async () => {
    const c = await handshake();
    const r = await c.option(NBD_OPT_LIST);
    const names = r
      .filter((m) => m.kind === "option-reply" && m.replyType === NBD_REP_SERVER)
      .map((m) =>
        m.kind === "option-reply" ? m.data.subarray(4, 4 + m.data.readUInt32BE(0)).toString() : "",
      );
    assert.deepEqual(names, ["big", "cowdisk", "disk", "img", "img@v1", "img@v2", "keptdisk"]);
    assert.equal(replyType(r.at(-1)), NBD_REP_ACK);
    c.close();
  });

  it("answers NBD_OPT_INFO with export, name, description and block size", async () => {
    const c = await handshake();
    const r = await c.option(
      NBD_OPT_INFO,
      encodeInfoRequestData("img", [NBD_INFO_NAME, NBD_INFO_DESCRIPTION, NBD_INFO_BLOCK_SIZE]),
    );
    const infos = r.filter((m) => m.kind === "option-reply" && m.replyType === NBD_REP_INFO);
    const byType = new Map<number, Buffer>();
    for (const m of infos) if (m.kind === "option-reply") byType.set(m.data.readUInt16BE(0), m.data);
    const exp = byType.get(0) as Buffer;
    assert.equal(exp.readBigUInt64BE(2), 8192n);
    assert.ok(exp.readUInt16BE(10) & NBD_FLAG_READ_ONLY);
    assert.ok(exp.readUInt16BE(10) & NBD_FLAG_CAN_MULTI_CONN);
    assert.equal((byType.get(NBD_INFO_NAME) as Buffer).subarray(2).toString(), "img@v1");
    assert.equal((byType.get(NBD_INFO_DESCRIPTION) as Buffer).subarray(2).toString(), "img version v1");
    const bs = byType.get(NBD_INFO_BLOCK_SIZE) as Buffer;
    assert.deepEqual(
      [bs.readUInt32BE(2), bs.readUInt32BE(6), bs.readUInt32BE(10)],
      [1, 4096, 32 * 1024 * 1024],
    );
    // INFO does not keep the export open.
    assert.equal(source.inUse("img@v1"), 0);
    c.close();
  });

  it("answers unknown exports with NBD_REP_ERR_UNKNOWN and lets the client go on", async () => {
    const c = await handshake();
    const r = await c.option(NBD_OPT_GO, encodeInfoRequestData("nope", []));
    assert.equal(r.length, 1);
    assert.equal(replyType(r[0]), NBD_REP_ERR_UNKNOWN);
    const list = await c.option(NBD_OPT_LIST);
    assert.equal(replyType(list.at(-1)), NBD_REP_ACK);
    c.close();
  });

  it("answers unknown options with NBD_REP_ERR_UNSUP and bad data with NBD_REP_ERR_INVALID", async () => {
    const c = await handshake();
    const unsup = await c.option(0x4242);
    assert.equal(replyType(unsup[0]), NBD_REP_ERR_UNSUP);
    const starttls = await c.option(5);
    assert.equal(replyType(starttls[0]), NBD_REP_ERR_UNSUP);
    const invalid = await c.option(NBD_OPT_GO, Buffer.from("000000ff61", "hex"));
    assert.equal(replyType(invalid[0]), NBD_REP_ERR_INVALID);
    const meta = await c.option(
      NBD_OPT_SET_META_CONTEXT,
      encodeMetaContextRequestData("disk", ["base:allocation"]),
    );
    // Without structured replies first, metadata contexts are refused.
    assert.equal(replyType(meta[0]), NBD_REP_ERR_INVALID);
    const abort = await c.option(NBD_OPT_ABORT);
    assert.equal(replyType(abort[0]), NBD_REP_ACK);
    await c.closedByServer();
  });

  it("enters transmission with NBD_OPT_EXPORT_NAME", async () => {
    const c = await handshake();
    // Client flags without NO_ZEROES: the reply carries 124 zero bytes.
    c.noZeroes = false;
    const r = await c.option(NBD_OPT_EXPORT_NAME, Buffer.from("img@v2"));
    assert.deepEqual(r, [
      {
        kind: "export-name-reply",
        size: 16384n,
        transmissionFlags: r[0]?.kind === "export-name-reply" ? r[0].transmissionFlags : -1,
      },
    ]);
    const h = c.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: 4 });
    const [m] = await replies(c, 1);
    assert.deepEqual(m, { kind: "simple-reply", error: 0, handle: h, data: v2.subarray(0, 4) });
    c.close();
  });

  it("closes a connection that sends garbage, and keeps serving others", async () => {
    const bad = await handshake();
    bad.send(Buffer.from("GET / HTTP/1.1\r\nHost: example\r\n\r\n"));
    await bad.closedByServer();
    const bad2 = await NbdTestClient.connect(port);
    await bad2.next();
    bad2.send(Buffer.from("ffffffff", "hex")); // unknown client flags
    await bad2.closedByServer();
    const good = await NbdTestClient.open(port, "disk");
    const h = good.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: 16 });
    const [reply] = await replies(good, 1);
    assert.deepEqual(reply, { kind: "simple-reply", error: 0, handle: h, data: disk.subarray(0, 16) });
    good.close();
    assert.ok(logger.records.some((r) => r.msg === "nbd: closing connection"));
  });

  it("answers a refused export with NBD_REP_ERR_POLICY and its reason, then closes", async () => {
    const c = await handshake();
    const r = await c.option(NBD_OPT_GO, encodeInfoRequestData("refused", []));
    assert.equal(r.length, 1);
    assert.equal(replyType(r[0]), NBD_REP_ERR_POLICY);
    assert.match(r[0]?.kind === "option-reply" ? r[0].data.toString() : "", /no machine is proven/);
    await c.closedByServer();
    const byName = await handshake();
    byName.send(
      Buffer.concat([
        Buffer.from("49484156454f5054", "hex"),
        Buffer.from("0000000100000007", "hex"),
        Buffer.from("refused"),
      ]),
    );
    await byName.closedByServer();
  });

  it("closes NBD_OPT_EXPORT_NAME for an unknown export (no error reply exists)", async () => {
    const c = await handshake();
    c.send(
      Buffer.concat([
        Buffer.from("49484156454f5054", "hex"),
        Buffer.from("0000000100000004", "hex"),
        Buffer.from("nope"),
      ]),
    );
    await c.closedByServer();
  });
});

describe("NbdService transmission (simple replies)", () => {
  it("answers pipelined reads by handle", async () => {
    const c = await NbdTestClient.open(port, "disk");
    const expected = new Map<bigint, Buffer>();
    for (let i = 0; i < 40; i++) {
      const offset = (i * 7919 * 13) % (DISK_SIZE - 4096);
      const length = 1 + ((i * 977) % 4096);
      const h = c.request({ flags: 0, type: NBD_CMD_READ, offset: BigInt(offset), length });
      expected.set(h, disk.subarray(offset, offset + length));
    }
    const got = await replies(c, 40);
    for (const m of got) {
      assert.equal(m.kind, "simple-reply");
      if (m.kind !== "simple-reply") continue;
      assert.equal(m.error, 0);
      assert.deepEqual(m.data, expected.get(m.handle));
      expected.delete(m.handle);
    }
    assert.equal(expected.size, 0);
    c.close();
  });

  it("refuses reads past the end (EINVAL), writes to a read-only export (EPERM), unknown commands (EINVAL)", async () => {
    const c = await NbdTestClient.open(port, "disk");
    const past = c.request({ flags: 0, type: NBD_CMD_READ, offset: BigInt(DISK_SIZE - 10), length: 11 });
    const huge = c.request({ flags: 0, type: NBD_CMD_READ, offset: 0xffffffffffff0000n, length: 1 });
    const write = c.request({
      flags: 0,
      type: NBD_CMD_WRITE,
      offset: 0n,
      length: 4,
      payload: Buffer.from("abcd"),
    });
    const trim = c.request({ flags: 0, type: NBD_CMD_TRIM, offset: 0n, length: 4096 });
    const unknown = c.request({ flags: 0, type: 99, offset: 0n, length: 0 });
    const badFlag = c.request({ flags: 1 << 9, type: NBD_CMD_READ, offset: 0n, length: 1 });
    const errors = new Map(
      (await replies(c, 6)).map((m) => [
        m.kind === "simple-reply" ? m.handle : 0n,
        m.kind === "simple-reply" ? m.error : -1,
      ]),
    );
    assert.equal(errors.get(past), NBD_EINVAL);
    assert.equal(errors.get(huge), NBD_EINVAL);
    assert.equal(errors.get(write), NBD_EPERM);
    assert.equal(errors.get(trim), NBD_EPERM);
    assert.equal(errors.get(unknown), NBD_EINVAL);
    assert.equal(errors.get(badFlag), NBD_EINVAL);
    // The connection is still usable.
    const ok = c.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: 8 });
    const [r] = await replies(c, 1);
    assert.deepEqual(r, { kind: "simple-reply", error: 0, handle: ok, data: disk.subarray(0, 8) });
    c.close();
  });

  it("answers an oversized read with EINVAL and closes", async () => {
    const c = await NbdTestClient.open(port, "disk");
    const h = c.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: 32 * 1024 * 1024 + 1 });
    const m = await c.next();
    assert.equal(m?.kind === "simple-reply" && m.handle, h);
    assert.equal(m?.kind === "simple-reply" && m.error, NBD_EINVAL);
    await c.closedByServer();
  });

  it("answers an oversized write header with EINVAL and closes without reading its payload", async () => {
    const c = await NbdTestClient.open(port, "cowdisk");
    const h = c.request({ flags: 0, type: NBD_CMD_WRITE, offset: 0n, length: 64 * 1024 * 1024 });
    const m = await c.next();
    assert.equal(m?.kind === "simple-reply" && m.handle, h);
    assert.equal(m?.kind === "simple-reply" && m.error, NBD_EINVAL);
    await c.closedByServer();
  });

  it("publishes nbd.connect and nbd.disconnect with bytes and duration", async () => {
    const before = events.length;
    const c = await NbdTestClient.open(port, "img@v2");
    const clientPort = c.socket.localPort;
    c.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: 1000 });
    await replies(c, 1);
    c.request({ flags: 0, type: NBD_CMD_DISC, offset: 0n, length: 0 });
    await c.closedByServer();
    const mine = () => events.slice(before).filter((e) => e.detail?.client_port === clientPort);
    while (!mine().some((e) => e.type === "nbd.disconnect")) await new Promise((r) => setTimeout(r, 5));
    const connect = mine().find((e) => e.type === "nbd.connect");
    const disconnect = mine().find((e) => e.type === "nbd.disconnect");
    assert.equal(connect?.ip, "127.0.0.1");
    assert.equal(connect?.detail?.export, "img@v2");
    assert.equal(disconnect?.detail?.bytes_read, 1000);
    assert.equal(disconnect?.detail?.bytes_written, 0);
    assert.equal(typeof disconnect?.detail?.duration_ms, "number");
    assert.equal(source.inUse("img@v2"), 0);
  });
});

describe("NbdService reads larger than a slice", () => {
  it("sends one simple reply, and answers the requests around it whole", async () => {
    const c = await NbdTestClient.open(port, "big");
    const before = c.request({ flags: 0, type: NBD_CMD_READ, offset: 10n, length: 100 });
    const whole = c.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: big.length });
    const after = c.request({ flags: 0, type: NBD_CMD_READ, offset: 1000n, length: 5000 });
    const byHandle = new Map<bigint, Buffer>();
    for (const m of await replies(c, 3)) {
      assert.ok(m.kind === "simple-reply" && m.error === 0, m.kind);
      byHandle.set(m.handle, m.data);
    }
    assert.deepEqual(byHandle.get(before), big.subarray(10, 110));
    assert.ok(byHandle.get(whole)?.equals(big), "the sliced reply differs from the file");
    assert.deepEqual(byHandle.get(after), big.subarray(1000, 6000));
    c.close();
  });

  it("sends one chunk per slice with structured replies, a hole for the zero slice, the last one DONE", async () => {
    const c = await NbdTestClient.open(port, "big", { structured: true });
    const h = c.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: big.length });
    const chunks = await replies(c, 1);
    const got = Buffer.alloc(big.length, 0xff);
    const shapes: [number, number, number][] = [];
    for (const m of chunks) {
      assert.ok(m.kind === "structured-chunk" && m.handle === h, m.kind);
      const offset = Number(m.payload.readBigUInt64BE(0));
      if (m.type === NBD_REPLY_TYPE_OFFSET_DATA) {
        m.payload.copy(got, offset, 8);
        shapes.push([m.type, offset, m.flags & 1]);
      } else {
        assert.equal(m.type, NBD_REPLY_TYPE_OFFSET_HOLE);
        got.fill(0, offset, offset + m.payload.readUInt32BE(8));
        shapes.push([m.type, offset, m.flags & 1]);
      }
    }
    assert.deepEqual(shapes, [
      [NBD_REPLY_TYPE_OFFSET_DATA, 0, 0],
      [NBD_REPLY_TYPE_OFFSET_HOLE, READ_SLICE_BYTES, 0],
      [NBD_REPLY_TYPE_OFFSET_DATA, 2 * READ_SLICE_BYTES, 1],
    ]);
    assert.ok(got.equals(big), "the chunks differ from the file");
    c.close();
  });
});

describe("NbdService structured replies and block status", () => {
  it("sends data chunks, hole chunks for zeroes, and error chunks", async () => {
    const c = await NbdTestClient.open(port, "disk", { structured: true });
    const data = c.request({ flags: 0, type: NBD_CMD_READ, offset: 100n, length: 5000 });
    const hole = c.request({ flags: 0, type: NBD_CMD_READ, offset: 65536n, length: 65536 });
    const bad = c.request({ flags: 0, type: NBD_CMD_READ, offset: BigInt(DISK_SIZE), length: 1 });
    const byHandle = new Map<bigint, NbdServerMessage>();
    for (const m of await replies(c, 3)) if (m.kind === "structured-chunk") byHandle.set(m.handle, m);
    const d = byHandle.get(data);
    assert.equal(d?.kind === "structured-chunk" && d.type, NBD_REPLY_TYPE_OFFSET_DATA);
    assert.equal(d?.kind === "structured-chunk" && d.payload.readBigUInt64BE(0), 100n);
    assert.deepEqual(d?.kind === "structured-chunk" && d.payload.subarray(8), disk.subarray(100, 5100));
    const h = byHandle.get(hole);
    assert.equal(h?.kind === "structured-chunk" && h.type, NBD_REPLY_TYPE_OFFSET_HOLE);
    assert.deepEqual(
      h?.kind === "structured-chunk" && [h.payload.readBigUInt64BE(0), h.payload.readUInt32BE(8)],
      [65536n, 65536],
    );
    const e = byHandle.get(bad);
    assert.equal(e?.kind === "structured-chunk" && e.type, NBD_REPLY_TYPE_ERROR);
    assert.equal(e?.kind === "structured-chunk" && e.payload.readUInt32BE(0), NBD_EINVAL);
    c.close();
  });

  it("negotiates base:allocation and answers NBD_CMD_BLOCK_STATUS", async () => {
    const c = await NbdTestClient.connect(port);
    await c.next();
    c.send(encodeClientFlags(NBD_FLAG_C_FIXED_NEWSTYLE));
    await c.option(8);
    const meta = await c.option(
      NBD_OPT_SET_META_CONTEXT,
      encodeMetaContextRequestData("disk", ["base:allocation"]),
    );
    assert.equal(replyType(meta[0]), NBD_REP_META_CONTEXT);
    const id = meta[0]?.kind === "option-reply" ? meta[0].data.readUInt32BE(0) : -1;
    await c.option(NBD_OPT_GO, encodeInfoRequestData("disk", []));
    c.framer.enterTransmission();
    const h = c.request({ flags: 0, type: 7, offset: 4096n, length: 4096 });
    const [m] = await replies(c, 1);
    assert.equal(m?.kind === "structured-chunk" && m.type, NBD_REPLY_TYPE_BLOCK_STATUS);
    assert.equal(m?.kind === "structured-chunk" && m.handle, h);
    assert.equal(m?.kind === "structured-chunk" && m.payload.readUInt32BE(0), id);
    // One extent, status 0, reaching to the end of the export.
    assert.equal(m?.kind === "structured-chunk" && m.payload.readUInt32BE(4), DISK_SIZE - 4096);
    c.close();
  });
});

describe("NbdService image versions", () => {
  it("keeps a connected client on its version after the image is switched", async () => {
    const c = await NbdTestClient.open(port, "img");
    assert.equal(source.inUse("img@v1"), 1);
    // Switch `current` to v2 atomically and remove v1, as an image switch and prune would.
    await symlink("v2", join(dir, "img", "current.new"));
    await rename(join(dir, "img", "current.new"), join(dir, "img", "current"));
    await rm(join(dir, "img", "v1"));
    const h = c.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: 8192 });
    const [r] = await replies(c, 1);
    assert.deepEqual(r, { kind: "simple-reply", error: 0, handle: h, data: v1 });
    const fresh = await NbdTestClient.open(port, "img");
    const h2 = fresh.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: 16384 });
    const [r2] = await replies(fresh, 1);
    assert.deepEqual(r2, { kind: "simple-reply", error: 0, handle: h2, data: v2 });
    c.close();
    fresh.close();
  });
});

describe("NbdService copy-on-write", () => {
  const payloadA = Buffer.alloc(6000, "A");
  const payloadB = Buffer.alloc(6000, "B");

  async function writeThenRead(c: NbdTestClient, payload: Buffer): Promise<Buffer> {
    c.request({ flags: 0, type: NBD_CMD_WRITE, offset: 1000n, length: payload.length, payload });
    const [w] = await replies(c, 1);
    assert.equal(w?.kind === "simple-reply" && w.error, 0);
    c.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: 8192 });
    const [r] = await replies(c, 1);
    assert.ok(r?.kind === "simple-reply");
    return r.data;
  }

  it("gives each client its own writes; the base file is unchanged", async () => {
    const a = await NbdTestClient.open(port, "cowdisk");
    const b = await NbdTestClient.open(port, "cowdisk");
    const readA = await writeThenRead(a, payloadA);
    const readB = await writeThenRead(b, payloadB);
    const expect = (p: Buffer) => Buffer.concat([disk.subarray(0, 1000), p, disk.subarray(7000, 8192)]);
    assert.deepEqual(readA, expect(payloadA));
    assert.deepEqual(readB, expect(payloadB));
    a.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: 8192 });
    const [again] = await replies(a, 1);
    assert.deepEqual(again?.kind === "simple-reply" && again.data, expect(payloadA));
    a.close();
    b.close();
    assert.deepEqual(await readFile(join(dir, "cowdisk")), disk);
    // A discarded layer leaves nothing behind.
    const c = await NbdTestClient.open(port, "cowdisk");
    c.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: 8192 });
    const [fresh] = await replies(c, 1);
    assert.deepEqual(fresh?.kind === "simple-reply" && fresh.data, disk.subarray(0, 8192));
    c.close();
  });

  it("supports zeroes, trim, flush and refuses writes past the end with ENOSPC", async () => {
    const c = await NbdTestClient.open(port, "cowdisk", { structured: true });
    c.request({ flags: 0, type: NBD_CMD_WRITE_ZEROES, offset: 10n, length: 10000 });
    c.request({ flags: 0, type: NBD_CMD_TRIM, offset: 131072n, length: 8192 });
    c.request({ flags: 0, type: NBD_CMD_FLUSH, offset: 0n, length: 0 });
    const past = c.request({
      flags: 0,
      type: NBD_CMD_WRITE,
      offset: BigInt(DISK_SIZE - 1),
      length: 2,
      payload: Buffer.from("xy"),
    });
    const results = await replies(c, 4);
    const failed = results.find((m) => m.kind === "structured-chunk" && m.handle === past);
    assert.equal(failed?.kind === "structured-chunk" && failed.payload.readUInt32BE(0), NBD_ENOSPC);
    const h = c.request({ flags: 0, type: NBD_CMD_READ, offset: 0n, length: 12000 });
    const [r] = await replies(c, 1);
    assert.ok(r?.kind === "structured-chunk" && r.handle === h);
    const expect = Buffer.concat([disk.subarray(0, 10), Buffer.alloc(10000), disk.subarray(10010, 12000)]);
    assert.deepEqual(r.payload.subarray(8), expect);
    c.close();
  });

  it("keeps a per-machine layer across reconnects", async () => {
    const a = await NbdTestClient.open(port, "keptdisk");
    await writeThenRead(a, payloadA);
    a.request({ flags: 0, type: NBD_CMD_DISC, offset: 0n, length: 0 });
    await a.closedByServer();
    while (source.inUse("keptdisk") > 0) await new Promise((r) => setTimeout(r, 5));
    const b = await NbdTestClient.open(port, "keptdisk");
    b.request({ flags: 0, type: NBD_CMD_READ, offset: 1000n, length: 6000 });
    const [r] = await replies(b, 1);
    assert.deepEqual(r?.kind === "simple-reply" && r.data, payloadA);
    b.close();
    assert.deepEqual(await readFile(join(dir, "keptdisk")), disk);
  });
});
