/**
 * TftpTransfer's packet slots, driven directly with a fake socket and fake
 * timers: every block is copied from its source once, the next block is
 * made ready while a burst travels, and resent blocks are the same bytes.
 * (The protocol behaviour is tested through TftpService in tftp-service.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decode, encode } from "../../protocols/tftp/tftp-codec.js";
import { Opcode } from "../../protocols/tftp/tftp-packet.js";
import type { Timers } from "./timers.js";
import { TftpTransfer, type TransferSummary } from "./tftp-transfer.js";
import { BufferSource } from "./transfer-source.js";
import type { TransferSocket, UdpRemote } from "./udp-socket.js";

const CLIENT: UdpRemote = { address: "198.18.20.7", port: 2070 };

/** A BufferSource that counts the block copies it serves. */
class CountingSource extends BufferSource {
  copies = 0;
  override copy(target: Buffer, targetStart: number, start: number, end: number): boolean {
    this.copies++;
    return super.copy(target, targetStart, start, end);
  }
}

/** A connected transfer socket that keeps copies of what was sent. */
class FakeSocket implements TransferSocket {
  readonly sent: Buffer[] = [];
  #listener: ((msg: Buffer, rinfo: UdpRemote) => void) | null = null;
  send(msg: Buffer): void {
    this.sent.push(Buffer.from(msg));
  }
  on(event: string, listener: (...a: never[]) => void): this {
    if (event === "message") this.#listener = listener as (msg: Buffer, rinfo: UdpRemote) => void;
    return this;
  }
  off(): this {
    this.#listener = null;
    return this;
  }
  close(): void {}
  address(): UdpRemote {
    return { address: "127.0.0.1", port: 40000 };
  }
  ack(block: number): void {
    this.#listener?.(encode({ opcode: Opcode.ACK, block: block & 0xffff }), CLIENT);
  }
  /** The DATA blocks sent so far, as [block, bytes]. */
  data(): [number, Buffer][] {
    return this.sent.map((raw) => {
      const p = decode(raw);
      assert.equal(p.opcode, Opcode.DATA);
      return [p.block, Buffer.from(p.data)];
    });
  }
}

/** Timers that fire only when the test says. */
class ManualTimers implements Timers {
  now = 0;
  #due: { at: number; fn: () => void }[] = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const t = { at: this.now + ms, fn };
    this.#due.push(t);
    return t;
  }
  clearTimeout(handle: unknown): void {
    this.#due = this.#due.filter((t) => t !== handle);
  }
  setImmediate(fn: () => void): void {
    fn();
  }
  advance(ms: number): void {
    this.now += ms;
    for (const t of this.#due.filter((t) => t.at <= this.now)) {
      this.#due = this.#due.filter((x) => x !== t);
      t.fn();
    }
  }
}

function start(body: Buffer, blksize: number, windowsize: number) {
  const source = new CountingSource(body);
  const socket = new FakeSocket();
  const timers = new ManualTimers();
  let summary: TransferSummary | null = null;
  const transfer = new TftpTransfer({
    socket,
    client: CLIENT,
    source,
    blksize,
    windowsize,
    oack: null,
    timing: { retransmitMs: 1000, maxRetransmitMs: 4000, maxRetries: 5, transferTimeoutMs: 60_000 },
    clock: { now: () => timers.now },
    timers,
    onEnd: (s) => {
      summary = s;
    },
  });
  transfer.start();
  return { source, socket, timers, summary: () => summary };
}

const body = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 37 + 11) & 0xff));
const blockOf = (n: number, blksize: number) => body.subarray((n - 1) * blksize, n * blksize);

describe("TftpTransfer packet slots", () => {
  it("lock-step: the next block is ready before its ACK, each block is copied once, a resend is the same bytes", () => {
    // 100 bytes at 32: blocks 1-3 full, block 4 of 4 bytes.
    const t = start(body, 32, 1);
    assert.deepEqual(
      t.socket.data().map(([b]) => b),
      [1],
    );
    assert.equal(t.source.copies, 2, "block 1 sent, block 2 made ready while 1 travels");
    t.socket.ack(1);
    t.timers.advance(1000); // ACK 2 lost: the timer resends block 2
    t.socket.ack(2);
    t.socket.ack(2); // a duplicate: nothing in lock-step
    t.socket.ack(3);
    t.socket.ack(4);
    const sent = t.socket.data();
    assert.deepEqual(
      sent.map(([b]) => b),
      [1, 2, 2, 3, 4],
    );
    for (const [block, data] of sent) assert.ok(data.equals(blockOf(block, 32)), `block ${block} byte-exact`);
    assert.equal(t.source.copies, 4, "4 blocks, 4 copies: the resend came from its slot");
    assert.deepEqual(t.summary()?.result, { kind: "done" });
  });

  it("windowsize 2: an ACK inside the window restarts from the lost block, its slot still holding it", () => {
    const t = start(body, 16, 2); // 100 bytes at 16: blocks 1-6 full, block 7 of 4 bytes
    t.socket.ack(1); // block 2 lost: resend from 2
    t.socket.ack(3);
    t.socket.ack(5);
    t.socket.ack(7);
    const sent = t.socket.data();
    assert.deepEqual(
      sent.map(([b]) => b),
      [1, 2, 2, 3, 4, 5, 6, 7],
    );
    for (const [block, data] of sent) assert.ok(data.equals(blockOf(block, 16)), `block ${block} byte-exact`);
    assert.equal(t.source.copies, 7, "7 blocks, 7 copies");
    assert.deepEqual(t.summary()?.result, { kind: "done" });
  });

  it("a file that ends on a block edge: the empty last block is prepared and sent, and nothing past it", () => {
    const t = start(body.subarray(0, 64), 32, 1); // blocks 1, 2 full, block 3 empty
    t.socket.ack(1);
    t.socket.ack(2);
    assert.equal(t.source.copies, 3);
    t.socket.ack(3);
    assert.deepEqual(
      t.socket.data().map(([b, d]) => [b, d.length]),
      [
        [1, 32],
        [2, 32],
        [3, 0],
      ],
    );
    assert.equal(t.source.copies, 3, "no block past the last");
    assert.deepEqual(t.summary()?.result, { kind: "done" });
  });
});
