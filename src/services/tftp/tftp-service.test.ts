import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { GeneratedFile } from "../../boot/boot-planner.js";
import { type BootEvent, EventBus } from "../../events/event-bus.js";
import { MemoryLogger } from "../../logging/logger.js";
import { toNetascii } from "../../protocols/tftp/netascii.js";
import { decode, encode } from "../../protocols/tftp/tftp-codec.js";
import { Opcode, type TftpOption, type TftpPacket } from "../../protocols/tftp/tftp-packet.js";
import type { Timers } from "./timers.js";
import { TftpService, type TftpServiceOptions } from "./tftp-service.js";
import type { UdpRemote, UdpSocket } from "./udp-socket.js";

/** A UDP socket that records what is sent and lets the test deliver datagrams. */
class FakeSocket implements UdpSocket {
  readonly sent: { packet: TftpPacket; raw: Buffer; to: UdpRemote }[] = [];
  readonly #listeners = new Map<string, Set<(...a: never[]) => void>>();
  closed = false;
  /** A transfer socket is connected to its client: `send(msg)` goes there. */
  constructor(
    readonly port: number,
    readonly peer?: UdpRemote,
  ) {}
  send(msg: Buffer, port?: unknown, address?: unknown): void {
    const raw = Buffer.from(msg);
    const to = typeof port === "number" ? { address: String(address), port } : this.peer!;
    this.sent.push({ packet: decode(raw), raw, to });
  }
  on(event: string, listener: (...a: never[]) => void): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }
  off(event: string, listener: (...a: never[]) => void): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }
  close(): void {
    this.closed = true;
  }
  address(): UdpRemote {
    return { address: "127.0.0.1", port: this.port };
  }
  deliver(msg: Buffer, from: UdpRemote): void {
    for (const l of this.#listeners.get("message") ?? []) (l as (m: Buffer, r: UdpRemote) => void)(msg, from);
  }
  take(): TftpPacket[] {
    return this.sent.splice(0).map((s) => s.packet);
  }
}

/** Manual clock and timers: nothing fires until `advance`. */
class FakeTime implements Timers {
  now = 1_000_000;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #immediate: (() => void)[] = [];
  #id = 0;
  readonly clock = { now: () => this.now };
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#id;
    this.#timers.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }
  setImmediate(fn: () => void): void {
    this.#immediate.push(fn);
  }
  runImmediates(): void {
    for (const fn of this.#immediate.splice(0)) fn();
  }
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const t = this.#timers[0];
      if (!t || t.at > end) break;
      this.#timers.shift();
      this.now = t.at;
      t.fn();
    }
    this.now = end;
  }
  get pending(): number {
    return this.#timers.length;
  }
}

const CLIENT: UdpRemote = { address: "198.18.20.7", port: 2070 };

function rrq(filename: string, ...options: [string, string][]): Buffer {
  return encode({
    opcode: Opcode.RRQ,
    filename,
    mode: "octet",
    options: options.map(([name, value]): TftpOption => ({ name, value })),
  });
}
const ack = (block: number): Buffer => encode({ opcode: Opcode.ACK, block: block & 0xffff });

async function until(cond: () => boolean, what: string): Promise<void> {
  // File system calls go through libuv's thread pool: poll for up to 10 s.
  const deadline = Date.now() + 10_000;
  for (let i = 0; Date.now() < deadline; i++) {
    if (cond()) return;
    await new Promise((r) => (i < 100 ? setImmediate(r) : setTimeout(r, 1)));
  }
  assert.fail(`timed out waiting for ${what}`);
}

interface Harness {
  service: TftpService;
  main: FakeSocket;
  transfers: FakeSocket[];
  time: FakeTime;
  events: BootEvent[];
  log: MemoryLogger;
  /** The transfer socket of the n-th transfer, once it exists. */
  transfer(n?: number): Promise<FakeSocket>;
}

function harness(
  root: string,
  options: Partial<TftpServiceOptions> = {},
  generated: (path: string) => GeneratedFile | null = () => null,
): Harness {
  const main = new FakeSocket(69);
  const transfers: FakeSocket[] = [];
  const time = new FakeTime();
  const bus = new EventBus(time.clock);
  const events: BootEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const log = new MemoryLogger();
  const service = new TftpService({
    socket: main,
    createTransferSocket: async (client) => {
      const s = new FakeSocket(40000 + transfers.length, client);
      transfers.push(s);
      return s;
    },
    root,
    options,
    planner: { generatedFile: async (path) => generated(path) },
    bus,
    logger: log,
    clock: time.clock,
    timers: time,
  });
  service.start();
  return {
    service,
    main,
    transfers,
    time,
    events,
    log,
    transfer: async (n = 0) => {
      await until(() => transfers[n] !== undefined && transfers[n].sent.length > 0, `transfer ${n}`);
      return transfers[n]!;
    },
  };
}

/** Plays a well-behaved lock-step client to the end; returns the reassembled bytes and the wire block numbers. */
function drain(sock: FakeSocket, from: UdpRemote = CLIENT): { data: Buffer; blocks: number[] } {
  const parts: Buffer[] = [];
  const blocks: number[] = [];
  let blksize = 512;
  for (;;) {
    const out = sock.take();
    if (out.length === 0) break;
    for (const p of out) {
      if (p.opcode === Opcode.OACK) {
        const b = p.options.find((o) => o.name === "blksize");
        if (b) blksize = Number(b.value);
        sock.deliver(ack(0), from);
      } else if (p.opcode === Opcode.DATA) {
        parts.push(Buffer.from(p.data));
        blocks.push(p.block);
        sock.deliver(ack(p.block), from);
        if (p.data.length < blksize) return { data: Buffer.concat(parts), blocks };
      } else {
        assert.fail(`unexpected ${JSON.stringify(p)}`);
      }
    }
  }
  return { data: Buffer.concat(parts), blocks };
}

let root: string;
const file = (n: number, seed = 1): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
};

before(() => {
  root = mkdtempSync(join(tmpdir(), "bf-tftp-unit-"));
  for (const n of [0, 511, 512, 513, 5000]) writeFileSync(join(root, `f${n}`), file(n));
  writeFileSync(join(root, "big"), file(600_000, 3));
  writeFileSync(join(root, "text.cfg"), "default linux\nlabel linux\r\n  kernel vmlinuz\n");
  mkdirSync(join(root, "sub"));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe("tftp service: transfers", () => {
  for (const n of [0, 511, 512, 513, 5000]) {
    it(`sends a ${n}-byte file lock-step without options`, async () => {
      const h = harness(root);
      h.main.deliver(rrq(`f${n}`), CLIENT);
      const t = await h.transfer();
      const first = t.sent[0]!;
      assert.deepEqual(first.to, CLIENT);
      const { data, blocks } = drain(t);
      assert.deepEqual(data, file(n));
      assert.equal(blocks.length, Math.floor(n / 512) + 1);
      assert.ok(t.closed);
      const done = h.events.find((e) => e.type === "tftp.done");
      assert.equal(done?.ip, CLIENT.address);
      assert.deepEqual(
        { ...done?.detail, duration_ms: 0 },
        {
          file: `f${n}`,
          bytes: n,
          duration_ms: 0,
          blksize: 512,
          windowsize: 1,
          retransmits: 0,
          generated: false,
        },
      );
      assert.equal(h.service.stats().active, 0);
    });
  }

  it("answers iPXE's blksize=1432,tsize with an OACK and waits for ACK 0", async () => {
    const h = harness(root);
    h.main.deliver(rrq("f5000", ["blksize", "1432"], ["tsize", "0"]), CLIENT);
    const t = await h.transfer();
    assert.deepEqual(t.take(), [
      {
        opcode: Opcode.OACK,
        options: [
          { name: "blksize", value: "1432" },
          { name: "tsize", value: "5000" },
        ],
      },
    ]);
    t.deliver(ack(0), CLIENT);
    const p = t.take();
    assert.equal(p.length, 1);
    const d = p[0]!;
    assert.equal(d.opcode === Opcode.DATA && d.data.length, 1432);
  });

  it("ignores unknown options; with none accepted it starts with DATA 1", async () => {
    const h = harness(root);
    h.main.deliver(rrq("f513", ["x-unknown", "1"], ["blksize", "3"]), CLIENT);
    const t = await h.transfer();
    const [p] = t.take();
    assert.equal(p?.opcode, Opcode.DATA);
  });

  it("never retransmits on a duplicate ACK in lock-step (no Sorcerer's Apprentice)", async () => {
    const h = harness(root);
    h.main.deliver(rrq("f5000"), CLIENT);
    const t = await h.transfer();
    t.take();
    t.deliver(ack(1), CLIENT);
    assert.equal(t.take().length, 1); // DATA 2
    t.deliver(ack(1), CLIENT);
    t.deliver(ack(1), CLIENT);
    assert.deepEqual(t.take(), []);
    t.deliver(ack(2), CLIENT);
    const p = t.take();
    assert.equal(p.length, 1);
    const d = p[0]!;
    assert.equal(d.opcode === Opcode.DATA && d.block, 3);
  });

  it("retransmits on timeout with doubling delays, then gives up with an ERROR and tftp.error", async () => {
    const h = harness(root, { retransmitMs: 1000, maxRetransmitMs: 4000, maxRetries: 4 });
    h.main.deliver(rrq("f5000"), CLIENT);
    const t = await h.transfer();
    t.take();
    const times: number[] = [];
    const start = h.time.now;
    while (h.time.now - start < 14_000) {
      h.time.advance(250);
      for (const _ of t.take()) times.push(h.time.now - start);
    }
    // Four retransmissions (1s, +2s, +4s, +4s) then the ERROR 15 s in.
    assert.deepEqual(times, [1000, 3000, 7000, 11000]);
    assert.ok(!t.closed);
    h.time.advance(1000);
    assert.ok(t.closed);
    assert.deepEqual(t.take(), [{ opcode: Opcode.ERROR, code: 0, message: "Timeout" }]);
    const err = h.events.find((e) => e.type === "tftp.error");
    assert.equal(err?.detail?.error, "no answer after 4 retransmissions");
  });

  it("resets the delay after progress", async () => {
    const h = harness(root, { retransmitMs: 1000 });
    h.main.deliver(rrq("f5000"), CLIENT);
    const t = await h.transfer();
    t.take();
    h.time.advance(1000);
    h.time.advance(2000);
    assert.equal(t.take().length, 2);
    t.deliver(ack(1), CLIENT);
    t.take();
    h.time.advance(999);
    assert.equal(t.take().length, 0);
    h.time.advance(1);
    assert.equal(t.take().length, 1);
  });

  it("uses the client's RFC 2349 timeout for retransmission", async () => {
    const h = harness(root);
    h.main.deliver(rrq("f5000", ["timeout", "3"]), CLIENT);
    const t = await h.transfer();
    t.take();
    h.time.advance(2999);
    assert.equal(t.take().length, 0);
    h.time.advance(1);
    assert.equal(t.take()[0]?.opcode, Opcode.OACK);
  });

  it("sends windows (RFC 7440) and restarts after the block the client acknowledged", async () => {
    const h = harness(root);
    h.main.deliver(rrq("f5000", ["blksize", "512"], ["windowsize", "4"]), CLIENT);
    const t = await h.transfer();
    assert.equal(t.take()[0]?.opcode, Opcode.OACK);
    t.deliver(ack(0), CLIENT);
    const blocks = () => t.take().map((p) => (p.opcode === Opcode.DATA ? p.block : -1));
    assert.deepEqual(blocks(), [1, 2, 3, 4]);
    // The client lost block 3: it acknowledges 2; the window restarts at 3.
    t.deliver(ack(2), CLIENT);
    assert.deepEqual(blocks(), [3, 4, 5, 6]);
    // It lost block 3 again: it repeats ACK 2 (once resends, twice is ignored).
    t.deliver(ack(2), CLIENT);
    assert.deepEqual(blocks(), [3, 4, 5, 6]);
    t.deliver(ack(2), CLIENT);
    assert.deepEqual(blocks(), []);
    t.deliver(ack(6), CLIENT);
    assert.deepEqual(blocks(), [7, 8, 9, 10]);
    t.deliver(ack(10), CLIENT);
    assert.deepEqual(blocks(), []); // 5000 bytes: 10 blocks, the 10th short
    assert.ok(t.closed);
    assert.equal(h.events.find((e) => e.type === "tftp.done")?.detail?.windowsize, 4);
  });

  it("rolls block numbers over from 65535 to 0 (files over 65535 blocks)", async () => {
    const h = harness(root);
    h.main.deliver(rrq("big", ["blksize", "8"]), CLIENT);
    const t = await h.transfer();
    const { data, blocks } = drain(t);
    assert.deepEqual(data, file(600_000, 3));
    assert.equal(blocks.length, 75_001);
    assert.deepEqual(blocks.slice(65533, 65539), [65534, 65535, 0, 1, 2, 3]);
    assert.equal(h.events.find((e) => e.type === "tftp.done")?.detail?.bytes, 600_000);
  });

  it("ignores a stale ACK from before the rollover", async () => {
    const h = harness(root);
    h.main.deliver(rrq("big", ["blksize", "8"]), CLIENT);
    const t = await h.transfer();
    t.deliver(ack(0), CLIENT);
    for (let b = 1; b <= 65540; b++) {
      t.take();
      t.deliver(ack(b), CLIENT);
    }
    t.take();
    t.deliver(ack(65535), CLIENT); // block 65535 of the first round: old
    t.deliver(ack(3), CLIENT); // 65539 again: duplicate
    assert.deepEqual(t.take(), []);
  });

  it("streams files larger than the cache limit from disk in chunks", async () => {
    const h = harness(root, { cacheMaxFileBytes: 1000, readChunkBytes: 4096 });
    h.main.deliver(rrq("big", ["blksize", "1468"], ["windowsize", "3"]), CLIENT);
    const t = await h.transfer();
    const parts: Buffer[] = [];
    t.take();
    t.deliver(ack(0), CLIENT);
    let last = 0;
    for (let guard = 0; guard < 10_000 && !t.closed; guard++) {
      await until(() => t.sent.length > 0 || t.closed, "a window");
      for (const p of t.take()) {
        assert.equal(p.opcode, Opcode.DATA);
        if (p.opcode !== Opcode.DATA) continue;
        parts.push(Buffer.from(p.data));
        last = p.block;
      }
      t.deliver(ack(last), CLIENT);
    }
    assert.deepEqual(Buffer.concat(parts), file(600_000, 3));
  });

  it("ignores a stranger on the transfer port and carries on", async () => {
    const h = harness(root);
    h.main.deliver(rrq("f5000"), CLIENT);
    const t = await h.transfer();
    t.take();
    t.deliver(ack(1), { address: CLIENT.address, port: CLIENT.port + 1 });
    assert.deepEqual(t.take(), []);
    t.deliver(ack(1), CLIENT);
    assert.equal(t.take()[0]?.opcode, Opcode.DATA);
  });

  it("does not answer a repeated RRQ at once nor start a second transfer; the timer resends", async () => {
    const h = harness(root);
    h.main.deliver(rrq("f5000", ["tsize", "0"]), CLIENT);
    const t = await h.transfer();
    t.take();
    h.main.deliver(rrq("f5000", ["tsize", "0"]), CLIENT);
    h.time.runImmediates();
    // What runs after the deferred check is promise-only (the in-process
    // runner answers stillRunning at once): one turn of the event loop runs
    // it to its end. A second transfer would have been counted as started
    // right then, before any file is opened.
    await new Promise((r) => setImmediate(r));
    assert.equal(h.service.stats().started, 1);
    assert.deepEqual(t.take(), []);
    assert.equal(h.transfers.length, 1);
    h.time.advance(1000);
    assert.equal(t.take()[0]?.opcode, Opcode.OACK);
  });
});

describe("tftp service: OVMF's size probe", () => {
  it("handles tsize=0,blksize=1468,windowsize=4, ERROR after the OACK, then the same RRQ again", async () => {
    const h = harness(root);
    const ovmf = rrq("f5000", ["tsize", "0"], ["blksize", "1468"], ["windowsize", "4"]);
    h.main.deliver(ovmf, CLIENT);
    const t1 = await h.transfer(0);
    assert.deepEqual(t1.take(), [
      {
        opcode: Opcode.OACK,
        options: [
          { name: "tsize", value: "5000" },
          { name: "blksize", value: "1468" },
          { name: "windowsize", value: "4" },
        ],
      },
    ]);
    // The new RRQ reaches the listening port before the ERROR is read from the transfer port.
    h.main.deliver(ovmf, CLIENT);
    t1.deliver(encode({ opcode: Opcode.ERROR, code: 8, message: "User aborted" }), CLIENT);
    assert.ok(t1.closed);
    h.time.runImmediates();
    const t2 = await h.transfer(1);
    assert.equal(t2.take()[0]?.opcode, Opcode.OACK);
    t2.deliver(ack(0), CLIENT);
    assert.deepEqual(
      t2.take().map((p) => p.opcode === Opcode.DATA && p.data.length),
      [1468, 1468, 1468, 596],
    );
    t2.deliver(ack(4), CLIENT);
    assert.ok(t2.closed);
    assert.deepEqual(
      h.events.map((e) => e.type),
      ["tftp.rrq", "tftp.rrq", "tftp.done"],
    );
    assert.equal(
      h.log.records.filter((r) => r.level === "warn" || r.level === "error").length,
      0,
      "a size probe is not an error",
    );
  });
});

describe("tftp service: refusals", () => {
  it("refuses WRQ with Access violation, one log line and a tftp.error", async () => {
    const h = harness(root);
    h.main.deliver(encode({ opcode: Opcode.WRQ, filename: "f0", mode: "octet", options: [] }), CLIENT);
    assert.deepEqual(h.main.take(), [{ opcode: Opcode.ERROR, code: 2, message: "Access violation" }]);
    assert.equal(h.log.records.filter((r) => r.level === "warn").length, 1);
    assert.equal(h.events[0]?.type, "tftp.error");
    assert.equal(h.transfers.length, 0);
  });

  it("answers a missing file with File not found", async () => {
    const h = harness(root);
    h.main.deliver(rrq("nope"), CLIENT);
    await until(() => h.main.sent.length > 0, "error");
    assert.deepEqual(h.main.take(), [{ opcode: Opcode.ERROR, code: 1, message: "File not found" }]);
    assert.deepEqual(
      h.events.map((e) => e.type),
      ["tftp.rrq", "tftp.error"],
    );
  });

  it("a flood of RRQs for missing files: a burst of lines and events, then one of each with the count", async () => {
    // In rounds below max_transfers, and with no per-client limit: requests
    // beyond either would wait for a slot (dropped, retried), not be refused.
    const h = harness(root, { maxTransfersPerClient: 1000 });
    for (let round = 0; round < 10; round++) {
      for (let i = round * 100; i < (round + 1) * 100; i++)
        h.main.deliver(rrq(`nope-${i}`), { address: CLIENT.address, port: 10000 + i });
      await until(() => h.main.sent.length === (round + 1) * 100, `${(round + 1) * 100} errors`);
    }
    // Lookups of one round finish in any order: the summary names the request refused last.
    const lastRefused = `nope-${h.main.sent.at(-1)!.to.port - 10000}`;
    // Every request is still answered; only the lines and events are bounded.
    assert.ok(h.main.take().every((p) => p.opcode === Opcode.ERROR && p.code === 1));
    const lines = (): string[] => h.log.records.map((r) => r.msg ?? "");
    assert.equal(lines().length, 10);
    assert.equal(h.events.filter((e) => e.type === "tftp.rrq").length, 10);
    assert.equal(h.events.filter((e) => e.type === "tftp.error").length, 10);
    h.service.close();
    assert.equal(lines().length, 11);
    assert.match(lines()[10]!, /^990 requests for missing files from 198\.18\.20\.7 in the last \d+ s$/);
    const summary = h.events.at(-1);
    assert.equal(summary?.type, "tftp.error");
    assert.equal(summary?.ip, CLIENT.address);
    assert.equal(summary?.detail?.repeated, 990);
    assert.equal(summary?.detail?.file, lastRefused);
  });

  it("refuses the mail mode with Illegal TFTP operation", async () => {
    const h = harness(root);
    h.main.deliver(encode({ opcode: Opcode.RRQ, filename: "f0", mode: "mail", options: [] }), CLIENT);
    await until(() => h.main.sent.length > 0, "error");
    const [p] = h.main.take();
    assert.equal(p?.opcode === Opcode.ERROR && p.code, 4);
  });

  for (const name of ["../f0", "/../f0", "//etc/passwd", "sub", "a\\b", "sub/../../f0"]) {
    it(`refuses ${JSON.stringify(name)} with Access violation`, async () => {
      const h = harness(root);
      h.main.deliver(rrq(name), CLIENT);
      await until(() => h.main.sent.length > 0, "error");
      assert.deepEqual(h.main.take(), [{ opcode: Opcode.ERROR, code: 2, message: "Access violation" }]);
      assert.equal(h.log.records.filter((r) => r.msg === "tftp: access violation").length, 1);
    });
  }

  it("logs and drops a malformed datagram without answering", () => {
    const h = harness(root);
    h.main.deliver(Buffer.from([0, 1, 0x61]), CLIENT);
    h.main.deliver(Buffer.from([9]), CLIENT);
    assert.equal(h.main.sent.length, 0);
    assert.equal(h.log.records.filter((r) => r.msg === "tftp: malformed packet dropped").length, 2);
  });

  it("drops RRQs beyond maxTransfers; the client's retry is served once a slot frees", async () => {
    const h = harness(root, { maxTransfers: 1 });
    const other = { address: "198.18.20.8", port: 3000 };
    h.main.deliver(rrq("f513"), CLIENT);
    const t = await h.transfer(0);
    h.main.deliver(rrq("f513"), other);
    h.main.deliver(rrq("f513"), { address: "198.18.20.9", port: 3000 });
    assert.equal(h.service.stats().busyDrops, 2);
    // The admin sees it, once per flood: a warning that names the setting.
    const warned = h.log.records.filter((r) => r.msg?.includes("max_transfers running"));
    assert.equal(warned.length, 1);
    assert.equal(warned[0]?.level, "warn");
    assert.match(warned[0]?.msg ?? "", /services\.tftp\.max_transfers/);
    drain(t);
    h.main.deliver(rrq("f513"), other);
    const t2 = await h.transfer(1);
    assert.deepEqual(drain(t2, other).data, file(513));
  });
});

describe("tftp service: per-client limit", () => {
  it("an address that never acknowledges holds maxTransfersPerClient slots, each until its retransmissions run out", async () => {
    const h = harness(root, {
      maxTransfers: 16,
      maxTransfersPerClient: 8,
      retransmitMs: 1000,
      maxRetransmitMs: 8000,
      maxRetries: 6,
    });
    const abuser = (port: number) => ({ address: "198.18.20.66", port });
    // Half with options (the first packet is an OACK), half without (DATA 1).
    for (let i = 0; i < 16; i++)
      h.main.deliver(i % 2 === 0 ? rrq("f5000", ["blksize", "1432"]) : rrq("f5000"), abuser(5000 + i));
    await h.transfer(7);
    assert.equal(h.service.stats().active, 8);
    assert.equal(h.service.stats().clientDrops, 8);
    const warnings = h.log.records.filter((r) => r.msg?.includes("max_transfers_per_client"));
    assert.equal(warnings.length, 1, "one warning line for the lot");

    // Another machine is served at once.
    h.main.deliver(rrq("f513"), CLIENT);
    const served = await h.transfer(8);
    assert.deepEqual(drain(served).data, file(513));

    // The first packets are retransmitted 1, 2, 4, 8, 8, 8 s apart, and 8 s
    // after the last the transfers give up: not the 30 min transfer deadline.
    const start = h.time.now;
    h.time.advance(38_999);
    assert.equal(h.service.stats().active, 8);
    h.time.advance(1);
    assert.equal(h.service.stats().active, 0);
    for (const t of h.transfers.slice(0, 8)) {
      const sent = t.take();
      assert.equal(sent.length, 1 + 6 + 1, "first packet, six retransmissions, the ERROR");
      assert.deepEqual(sent.at(-1), { opcode: Opcode.ERROR, code: 0, message: "Timeout" });
    }
    assert.equal(h.time.now - start, 39_000);

    // The address's slots are free again.
    h.main.deliver(rrq("f513"), abuser(6000));
    assert.deepEqual(drain(await h.transfer(9), abuser(6000)).data, file(513));
  });
});

describe("tftp service: generated files and modes", () => {
  const mac = "52:54:00:12:34:56";
  const cfg = Buffer.from("DEFAULT bootfleet\nLABEL bootfleet\n  KERNEL vmlinuz\n");
  const planner = (path: string): GeneratedFile | null =>
    path === "pxelinux.cfg/01-52-54-00-12-34-56" ? { body: cfg, contentType: "text/plain", mtime: 0 } : null;

  it("serves the planner's file before the disk, with the right tsize and the MAC in events", async () => {
    const h = harness(root, {}, planner);
    h.main.deliver(rrq("/pxelinux.cfg/01-52-54-00-12-34-56", ["tsize", "0"], ["blksize", "1408"]), CLIENT);
    const t = await h.transfer();
    const oack = t.sent[0]?.packet;
    assert.deepEqual(oack?.opcode === Opcode.OACK && oack.options[0], {
      name: "tsize",
      value: String(cfg.length),
    });
    assert.deepEqual(drain(t).data, cfg);
    const done = h.events.find((e) => e.type === "tftp.done");
    assert.equal(done?.mac, mac);
    assert.equal(done?.detail?.generated, true);
    // Later requests from that IP carry the MAC too.
    h.main.deliver(rrq("f0"), { address: CLIENT.address, port: 5555 });
    const t2 = await h.transfer(1);
    drain(t2, { address: CLIENT.address, port: 5555 });
    assert.equal(h.events.filter((e) => e.type === "tftp.done")[1]?.mac, mac);
  });

  it("a default the planner offers (unlessOnDisk) yields to the administrator's file at that path", async () => {
    const offered = Buffer.from("# bootfleet's default\n");
    const h = harness(root, {}, (path) =>
      path === "text.cfg" || path === "grub/grub.cfg"
        ? { body: offered, contentType: "text/plain", mtime: 0, unlessOnDisk: true }
        : null,
    );
    h.main.deliver(rrq("text.cfg"), CLIENT); // on disk: the administrator's wins
    assert.deepEqual(
      drain(await h.transfer(0)).data,
      Buffer.from("default linux\nlabel linux\r\n  kernel vmlinuz\n"),
    );
    h.main.deliver(rrq("grub/grub.cfg"), { address: CLIENT.address, port: 5556 }); // not on disk
    assert.deepEqual(drain(await h.transfer(1), { address: CLIENT.address, port: 5556 }).data, offered);
    const done = h.events.filter((e) => e.type === "tftp.done").map((e) => e.detail?.generated);
    assert.deepEqual(done, [false, true]);
  });

  it("converts netascii and announces the converted size", async () => {
    const h = harness(root);
    h.main.deliver(
      encode({
        opcode: Opcode.RRQ,
        filename: "text.cfg",
        mode: "NETASCII",
        options: [{ name: "tsize", value: "0" }],
      }),
      CLIENT,
    );
    const t = await h.transfer();
    const want = toNetascii(Buffer.from("default linux\nlabel linux\r\n  kernel vmlinuz\n"));
    const oack = t.sent[0]?.packet;
    assert.deepEqual(oack?.opcode === Opcode.OACK && oack.options[0], {
      name: "tsize",
      value: String(want.length),
    });
    assert.deepEqual(drain(t).data, want);
  });

  it("stops every transfer on close", async () => {
    const h = harness(root);
    h.main.deliver(rrq("f5000"), CLIENT);
    const t = await h.transfer();
    h.service.close();
    assert.ok(t.closed);
    assert.equal(h.time.pending, 0);
  });
});
