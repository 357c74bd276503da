/**
 * PollLoop (a native worker's own epoll loop) driven in the test's thread,
 * on the real addon over loopback. `run` blocks this thread, and libuv with
 * it, so a node:dgram peer only sends before `run` (its send callback means
 * the datagram is already queued at the loop's socket) and reads after it;
 * the loop's own timers and immediates script what happens inside `run`.
 * The TftpTransfer test needs a client that answers while the loop runs: it
 * is a node:dgram client in a worker thread, with its own libuv.
 */
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, readlinkSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import { encode } from "../../protocols/tftp/tftp-codec.js";
import { Opcode } from "../../protocols/tftp/tftp-packet.js";
import { loadNativeUdp, type NativeUdp } from "./native-udp.js";
import { nextBusyPollUs, PollLoop } from "./poll-loop.js";
import { TftpTransfer, type TransferSummary } from "./tftp-transfer.js";
import { BufferSource, openTransferSourceSync, type TransferSource } from "./transfer-source.js";
import type { UdpRemote } from "./udp-socket.js";

const LOOPBACK = "127.0.0.1";

function addon(): NativeUdp {
  const { udp, reason } = loadNativeUdp();
  if (udp === null) assert.fail(`the native addon is part of the build and did not load: ${reason}`);
  return udp;
}

/** A PollLoop whose clock can be held still while timers are set, so their due times are exact. */
class TestLoop extends PollLoop {
  frozen: number | null = null;
  override now(): number {
    return this.frozen ?? Date.now();
  }
}

/** A loop on the addon with its own waker; `body` gets it, and everything is closed after. */
async function withLoop(
  body: (loop: TestLoop, udp: NativeUdp, waker: number) => Promise<void> | void,
  busyPollUs = 0,
) {
  const udp = addon();
  const waker = udp.wakerCreate();
  const loop = new TestLoop(udp, LOOPBACK, waker, busyPollUs);
  try {
    await body(loop, udp, waker);
  } finally {
    loop.dispose();
    udp.close(waker);
  }
}

/**
 * Runs the loop until the script calls stop. A guard timer ends a loop the
 * script never stops (a failure, reported by the assertion, not a hang).
 */
function runLoop(loop: PollLoop, onWake: () => void = () => {}, guardMs = 3000): void {
  let guardFired = false;
  const guard = loop.setTimeout(() => {
    guardFired = true;
    loop.stop();
  }, guardMs);
  loop.run(onWake);
  loop.clearTimeout(guard);
  assert.equal(guardFired, false, "the loop was not stopped by the test's script");
}

async function bindPeer(): Promise<Socket> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, LOOPBACK, () => resolve());
  });
  return socket;
}

function closePeer(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** Resolves once the datagram has left: on loopback it is then queued at the loop's socket. */
function sendFrom(peer: Socket, text: string, port: number): Promise<void> {
  return new Promise((resolve, reject) =>
    peer.send(Buffer.from(text), port, LOOPBACK, (e) => (e ? reject(e) : resolve())),
  );
}

function peerAddress(peer: Socket): UdpRemote {
  return { address: LOOPBACK, port: peer.address().port };
}

/** epoll fds this process holds (each PollLoop has one). */
function epollFds(): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === "anon_inode:[eventpoll]") n++;
    } catch {
      /* the fd readdir itself used, gone already */
    }
  }
  return n;
}

/** True if a node:dgram socket can bind 127.0.0.1:port (no socket holds it any more). */
async function portIsFree(port: number): Promise<boolean> {
  const socket = createSocket("udp4");
  const free = await new Promise<boolean>((resolve) => {
    socket.once("error", () => resolve(false));
    socket.bind(port, LOOPBACK, () => resolve(true));
  });
  await new Promise<void>((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
  return free;
}

describe("PollLoop: timers and immediates", () => {
  it("timers fire in due order, ties in the order they were set; clearTimeout cancels", () =>
    withLoop((loop) => {
      const fired: string[] = [];
      loop.frozen = Date.now();
      loop.setTimeout(() => fired.push("30"), 30);
      loop.setTimeout(() => fired.push("10a"), 10);
      const cancelled = loop.setTimeout(() => fired.push("cancelled"), 5);
      loop.setTimeout(() => fired.push("10b"), 10);
      loop.setTimeout(() => fired.push("0"), 0);
      loop.setTimeout(() => fired.push("negative, as 0"), -5);
      loop.setTimeout(() => {
        fired.push("40");
        loop.stop();
      }, 40);
      loop.clearTimeout(cancelled);
      loop.frozen = null;
      runLoop(loop);
      assert.deepEqual(fired, ["0", "negative, as 0", "10a", "10b", "30", "40"]);
    }));

  it("many timers in shuffled order come out sorted (the heap), cancelled ones never", () =>
    withLoop((loop) => {
      const expected: { delay: number; i: number }[] = [];
      const fired: number[] = [];
      let x = 12345;
      loop.frozen = Date.now();
      for (let i = 0; i < 200; i++) {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        const delay = x % 25;
        const handle = loop.setTimeout(() => fired.push(i), delay);
        if (i % 7 === 3) loop.clearTimeout(handle);
        else expected.push({ delay, i });
      }
      loop.setTimeout(() => loop.stop(), 30);
      loop.frozen = null;
      runLoop(loop);
      expected.sort((a, b) => a.delay - b.delay || a.i - b.i);
      assert.deepEqual(
        fired,
        expected.map((e) => e.i),
      );
    }));

  it("a timer set by a timer, and clearTimeout from inside a timer", () =>
    withLoop((loop) => {
      const fired: string[] = [];
      let later: unknown = null;
      loop.setTimeout(() => {
        fired.push("first");
        loop.setTimeout(() => {
          fired.push("set by first");
          loop.stop();
        }, 5);
        loop.clearTimeout(later);
      }, 0);
      later = loop.setTimeout(() => fired.push("cancelled by first"), 3);
      runLoop(loop);
      assert.deepEqual(fired, ["first", "set by first"]);
    }));

  it("immediates run before due timers, in order, and an immediate set inside one waits a turn", () =>
    withLoop((loop) => {
      const fired: string[] = [];
      loop.setTimeout(() => {
        fired.push("timer 0");
        loop.stop();
      }, 0);
      loop.setImmediate(() => {
        fired.push("immediate 1");
        loop.setImmediate(() => fired.push("immediate set by 1"));
      });
      loop.setImmediate(() => fired.push("immediate 2"));
      runLoop(loop);
      assert.deepEqual(fired, ["immediate 1", "immediate 2", "timer 0"]);
    }));

  it("an immediate set inside an immediate runs at the next turn, without waiting for a later timer", () =>
    withLoop((loop) => {
      const fired: string[] = [];
      // Nearer than the loop's longest wait (1 s), so that a wait for it would be seen.
      loop.setTimeout(() => fired.push("far"), 300);
      loop.setTimeout(() => {
        fired.push("timer");
        loop.setImmediate(() => {
          fired.push("immediate");
          loop.setImmediate(() => {
            fired.push("immediate set by an immediate");
            loop.stop();
          });
        });
      }, 0);
      runLoop(loop);
      // Had the loop waited for the next timer first, "far" would come before the second immediate.
      assert.deepEqual(fired, ["timer", "immediate", "immediate set by an immediate"]);
    }));

  it("the waker ends a wait and runs onWake once per wake (the waker is drained)", () =>
    withLoop((loop, udp, waker) => {
      const fired: string[] = [];
      loop.setTimeout(() => {
        fired.push("wake");
        udp.wake(waker);
      }, 0);
      loop.setTimeout(() => {
        fired.push("end");
        loop.stop();
      }, 30);
      runLoop(loop, () => fired.push("onWake"));
      assert.deepEqual(fired, ["wake", "onWake", "end"]);
    }));
});

describe("PollLoop: busy polling", () => {
  it("nextBusyPollUs: kept when polling caught the event, doubled when a longer poll would have, halved to 0 when none would", () => {
    const max = 200;
    assert.equal(nextBusyPollUs(200, 30, max), 200, "caught");
    assert.equal(nextBusyPollUs(0, 0, max), 0, "an event already waiting");
    assert.equal(nextBusyPollUs(0, 120, max), 50, "grows from a quarter of the most");
    assert.equal(nextBusyPollUs(50, 120, max), 100);
    assert.equal(nextBusyPollUs(100, 120, max), 200);
    assert.equal(nextBusyPollUs(150, 190, max), 200, "never past the most");
    assert.equal(nextBusyPollUs(200, 250, max), 100, "the answer came later than the most: halve");
    assert.equal(nextBusyPollUs(100, Number.POSITIVE_INFINITY, max), 50, "nothing came at all");
    assert.equal(nextBusyPollUs(50, 1000, max), 25);
    assert.equal(nextBusyPollUs(25, 1000, max), 0, "below an eighth of the most: off");
    assert.equal(nextBusyPollUs(0, 1000, max), 0);
    assert.equal(nextBusyPollUs(0, 10, 0), 0, "busy polling off");
    assert.equal(nextBusyPollUs(80, 10, 0), 0);
  });

  it("a quiet wait shrinks the window, a new transfer's socket restores it, a waiting datagram keeps it", async () => {
    const peer = await bindPeer();
    try {
      await withLoop((loop) => {
        assert.equal(loop.busyPollUs, 200);
        const first = loop.openSocket(peerAddress(peer));
        // Nothing comes for 20 ms: every wait polls, then sleeps, and ends empty.
        loop.setTimeout(() => loop.stop(), 20);
        runLoop(loop);
        assert.ok(loop.busyPollUs < 200, `window ${loop.busyPollUs} after quiet waits`);
        const second = loop.openSocket(peerAddress(peer));
        assert.equal(loop.busyPollUs, 200, "a new client: poll fully again");
        first.close();
        second.close();
      }, 200);
      await withLoop(async (loop) => {
        const socket = loop.openSocket(peerAddress(peer));
        const got: string[] = [];
        socket.on("message", (msg) => {
          got.push(msg.toString());
          loop.stop();
        });
        await sendFrom(peer, "ack", socket.address().port);
        runLoop(loop);
        assert.deepEqual(got, ["ack"]);
        assert.equal(loop.busyPollUs, 200, "the datagram was there at once");
      }, 200);
    } finally {
      await closePeer(peer);
    }
  });

  it("when polling lost the CPU to another task, the loop sleeps instead for a while and still gets its datagram", async () => {
    const peer = await bindPeer();
    const udp = addon();
    let spins = 0;
    // The addon, except that every poll reports the CPU taken away.
    const shared: NativeUdp = {
      ...udp,
      pollerSpin: () => {
        spins++;
        return -1;
      },
    };
    const waker = udp.wakerCreate();
    const loop = new PollLoop(shared, LOOPBACK, waker, 200);
    try {
      const socket = loop.openSocket(peerAddress(peer));
      const got: string[] = [];
      socket.on("message", (msg) => got.push(msg.toString()));
      await sendFrom(peer, "first", socket.address().port);
      // Turn 1 polls (-1), then sleeps and reads "first"; the next waits until the timer only sleep.
      loop.setTimeout(() => loop.stop(), 20);
      runLoop(loop);
      assert.deepEqual(got, ["first"]);
      assert.equal(spins, 1, "no polling during the hold-off");
      assert.equal(loop.busyPollUs, 0);
    } finally {
      loop.dispose();
      udp.close(waker);
      await closePeer(peer);
    }
  });

  it("a loop without busy polling never polls", () =>
    withLoop((loop) => {
      loop.setTimeout(() => loop.stop(), 5);
      runLoop(loop);
      assert.equal(loop.busyPollUs, 0);
    }));
});

describe("PollLoop: sockets", () => {
  it("openSocket: bound on the loop's address, a datagram reaches 'message' with the client as rinfo", () =>
    withLoop(async (loop) => {
      const peer = await bindPeer();
      try {
        const socket = loop.openSocket(peerAddress(peer));
        const local = socket.address();
        assert.equal(local.address, LOOPBACK);
        assert.ok(local.port > 0 && local.port !== peer.address().port);
        await sendFrom(peer, "hello", local.port);
        const got: [string, UdpRemote][] = [];
        socket.on("message", (msg, rinfo) => {
          got.push([msg.toString(), rinfo]);
          loop.stop();
        });
        runLoop(loop);
        assert.deepEqual(got, [["hello", peerAddress(peer)]]);
      } finally {
        await closePeer(peer);
      }
    }));

  it("one datagram per socket per turn: an immediate from the first listener call runs before the second", () =>
    withLoop(async (loop) => {
      const peer = await bindPeer();
      try {
        const socket = loop.openSocket(peerAddress(peer));
        await sendFrom(peer, "one", socket.address().port);
        await sendFrom(peer, "two", socket.address().port);
        const order: string[] = [];
        socket.on("message", (msg) => {
          const text = msg.toString();
          order.push(text);
          if (text === "one") loop.setImmediate(() => order.push("immediate"));
          else loop.stop();
        });
        runLoop(loop);
        assert.deepEqual(order, ["one", "immediate", "two"]);
      } finally {
        await closePeer(peer);
      }
    }));

  it("off removes a listener; the others still get the datagram", () =>
    withLoop(async (loop) => {
      const peer = await bindPeer();
      try {
        const socket = loop.openSocket(peerAddress(peer));
        const got: string[] = [];
        const removed = (msg: Buffer) => got.push(`removed: ${msg}`);
        socket.on("message", removed);
        socket.on("message", (msg) => {
          got.push(`kept: ${msg}`);
          loop.stop();
        });
        socket.off("message", removed);
        await sendFrom(peer, "x", socket.address().port);
        runLoop(loop);
        assert.deepEqual(got, ["kept: x"]);
      } finally {
        await closePeer(peer);
      }
    }));

  it("close inside a listener: that socket gets nothing more, the others go on, its port is freed", () =>
    withLoop(async (loop) => {
      const peer = await bindPeer();
      try {
        const a = loop.openSocket(peerAddress(peer));
        const b = loop.openSocket(peerAddress(peer));
        for (const text of ["a1", "a2"]) await sendFrom(peer, text, a.address().port);
        for (const text of ["b1", "b2"]) await sendFrom(peer, text, b.address().port);
        const got: string[] = [];
        a.on("message", (msg) => {
          got.push(msg.toString());
          a.close();
          a.close(); // twice: no error
        });
        b.on("message", (msg) => {
          got.push(msg.toString());
          // After b2, one more turn: a2 would have come by now if a were still polled.
          if (msg.toString() === "b2") loop.setTimeout(() => loop.stop(), 10);
        });
        runLoop(loop);
        assert.deepEqual(
          got.filter((g) => g.startsWith("a")),
          ["a1"],
        );
        assert.deepEqual(
          got.filter((g) => g.startsWith("b")),
          ["b1", "b2"],
        );
        assert.ok(await portIsFree(a.address().port), "a's port is free after close");
        assert.equal(await portIsFree(b.address().port), false, "b still holds its port");
      } finally {
        await closePeer(peer);
      }
    }));

  it("the client's port closed: an ICMP port unreachable reaches the 'error' listeners (errno -111)", () =>
    withLoop(async (loop) => {
      const peer = await bindPeer();
      const socket = loop.openSocket(peerAddress(peer));
      await closePeer(peer);
      const errors: NodeJS.ErrnoException[] = [];
      const messages: string[] = [];
      socket.on("message", (msg) => messages.push(msg.toString()));
      socket.on("error", (e) => {
        errors.push(e);
        loop.stop();
      });
      loop.setImmediate(() => socket.send(Buffer.from("anyone there?")));
      runLoop(loop);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.message, "recv failed (errno 111)");
      assert.equal(errors[0]!.errno, -111);
      assert.deepEqual(messages, []);
    }));

  it("send: the callback comes from the loop with the byte count; the client gets the datagram", () =>
    withLoop(async (loop) => {
      const peer = await bindPeer();
      try {
        const socket = loop.openSocket(peerAddress(peer));
        const received = new Promise<{ text: string; port: number }>((resolve) =>
          peer.once("message", (msg, rinfo) => resolve({ text: msg.toString(), port: rinfo.port })),
        );
        const results: [Error | null, number][] = [];
        socket.send(Buffer.from("datagram"), (e, n) => {
          results.push([e, n]);
          loop.stop();
        });
        assert.deepEqual(results, [], "not called before the loop runs");
        runLoop(loop);
        assert.deepEqual(results, [[null, 8]]);
        assert.deepEqual(await received, { text: "datagram", port: socket.address().port });
      } finally {
        await closePeer(peer);
      }
    }));

  it("send after close calls the callback with an error (and without one it does not throw)", () =>
    withLoop(async (loop) => {
      const peer = await bindPeer();
      try {
        const socket = loop.openSocket(peerAddress(peer));
        socket.close();
        const results: [string | undefined, number][] = [];
        socket.send(Buffer.from("late"), (e, n) => results.push([e?.message, n]));
        assert.deepEqual(results, [["socket is closed", 0]]);
        socket.send(Buffer.from("late, no callback"));
      } finally {
        await closePeer(peer);
      }
    }));

  it("dispose closes every socket still open and the epoll fd", async () => {
    const udp = addon();
    const waker = udp.wakerCreate();
    const peer = await bindPeer();
    try {
      const before = epollFds();
      const loop = new PollLoop(udp, LOOPBACK, waker);
      assert.equal(epollFds(), before + 1);
      const a = loop.openSocket(peerAddress(peer));
      const b = loop.openSocket(peerAddress(peer));
      b.close();
      assert.equal(await portIsFree(a.address().port), false);
      loop.dispose();
      assert.equal(epollFds(), before, "the epoll fd is closed");
      assert.ok(await portIsFree(a.address().port), "an open socket is closed by dispose");
      // The waker is the caller's: still usable.
      udp.wake(waker);
      udp.wakerDrain(waker);
    } finally {
      udp.close(waker);
      await closePeer(peer);
    }
  });
});

/**
 * A scripted TFTP client in a worker thread (its own libuv, so it answers
 * while the loop blocks this thread): ACK 0 for an OACK, an ACK at the end
 * of each window and for the last block, the ACK for `dropAckOf` "lost"
 * once, and a repeated ACK when the server resends up to the last block it
 * has. Posts its port, then what it received.
 */
const CLIENT = `
const { parentPort, workerData } = require("node:worker_threads");
const { createSocket } = require("node:dgram");
const { blksize, windowsize, dropAckOf } = workerData;
const socket = createSocket("udp4");
const parts = [];
const seen = [];
let expected = 1;
let inWindow = 0;
let dropped = false;
socket.on("message", (msg, rinfo) => {
  const ack = (block, then) =>
    socket.send(Buffer.from([0, 4, block >> 8, block & 255]), rinfo.port, rinfo.address, then);
  const op = msg.readUInt16BE(0);
  if (op === 6) {
    seen.push("OACK");
    ack(0);
    return;
  }
  if (op !== 3) {
    seen.push("opcode " + op);
    parentPort.postMessage({ data: Buffer.concat(parts), seen });
    return;
  }
  const block = msg.readUInt16BE(2);
  seen.push(block);
  if (block !== expected) {
    if (block === expected - 1) ack(block);
    return;
  }
  parts.push(Buffer.from(msg.subarray(4)));
  expected++;
  inWindow++;
  const last = msg.length - 4 < blksize;
  if (last) {
    // Closing before the send has left would drop the last ACK.
    ack(block, () => {
      parentPort.postMessage({ data: Buffer.concat(parts), seen });
      socket.close();
    });
  } else if (inWindow === windowsize) {
    inWindow = 0;
    if (block === dropAckOf && !dropped) dropped = true;
    else ack(block);
  }
});
socket.bind(0, "127.0.0.1", () => parentPort.postMessage({ port: socket.address().port }));
`;

interface ClientResult {
  readonly data: Uint8Array;
  readonly seen: (number | string)[];
}

/** Runs one TftpTransfer on a PollLoop against the worker client; the summary and what the client got. */
async function transferOnPollLoop(params: {
  source: TransferSource;
  blksize: number;
  windowsize: number;
  withOack: boolean;
  dropAckOf: number;
  busyPollUs?: number;
}): Promise<{ summary: TransferSummary; client: ClientResult }> {
  const { source, blksize, windowsize, withOack, dropAckOf, busyPollUs = 0 } = params;
  const worker = new Worker(CLIENT, { eval: true, workerData: { blksize, windowsize, dropAckOf } });
  const messages: unknown[] = [];
  let wake: (() => void) | null = null;
  worker.on("message", (m) => {
    messages.push(m);
    wake?.();
  });
  const workerError = new Promise<never>((_, reject) => worker.once("error", reject));
  const next = async (): Promise<unknown> => {
    while (messages.length === 0) await Promise.race([new Promise<void>((r) => (wake = r)), workerError]);
    return messages.shift();
  };
  try {
    const { port } = (await next()) as { port: number };
    let summary: TransferSummary | null = null;
    await withLoop((loop) => {
      const client = { address: LOOPBACK, port };
      const oack = withOack
        ? encode({
            opcode: Opcode.OACK,
            options: [
              { name: "blksize", value: String(blksize) },
              { name: "windowsize", value: String(windowsize) },
            ],
          })
        : null;
      const transfer = new TftpTransfer({
        socket: loop.openSocket(client),
        client,
        source,
        blksize,
        windowsize,
        oack,
        // The dropped ACK costs one retransmission delay.
        timing: { retransmitMs: 100, maxRetransmitMs: 400, maxRetries: 5, transferTimeoutMs: 5000 },
        clock: loop,
        timers: loop,
        onEnd: (s) => {
          summary = s;
          loop.stop();
        },
      });
      transfer.start();
      runLoop(loop, () => {}, 6000);
    }, busyPollUs);
    assert.ok(summary !== null, "the transfer ended");
    const client = (await next()) as ClientResult;
    return { summary, client };
  } finally {
    await worker.terminate();
  }
}

/** The DATA blocks in the order they first arrived. */
function firstSeen(seen: readonly (number | string)[]): number[] {
  return [...new Set(seen.filter((s): s is number => typeof s === "number"))];
}

describe("TftpTransfer on a PollLoop (the native worker's set-up)", () => {
  it("windowsize 4 from a SyncFileSource across chunk edges; a lost ACK resends the window from its oldest block", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-poll-loop-"));
    try {
      // 9 full blocks of 512 and 392 bytes: blocks 1-4, 5-8, 9-10. Chunks of
      // 1500 bytes end inside blocks 3, 6 and 9.
      const body = Buffer.alloc(5000);
      for (let i = 0; i < body.length; i++) body[i] = (i * 131 + (i >> 9)) & 0xff;
      const path = join(dir, "kernel");
      writeFileSync(path, body);
      const st = statSync(path);
      const source = openTransferSourceSync({
        kind: "file",
        realPath: path,
        size: st.size,
        dev: st.dev,
        ino: st.ino,
        chunkBytes: 1500,
      });
      const { summary, client } = await transferOnPollLoop({
        source,
        blksize: 512,
        windowsize: 4,
        withOack: true,
        dropAckOf: 8,
      });
      assert.deepEqual(summary.result, { kind: "done" }, `the client saw: ${client.seen.join(" ")}`);
      assert.equal(summary.bytes, 5000);
      assert.ok(summary.retransmits >= 1, `retransmits ${summary.retransmits}`);
      assert.ok(Buffer.from(client.data).equals(body), "the client got the file byte-exact");
      const seen = client.seen;
      assert.equal(seen[0], "OACK");
      assert.deepEqual(firstSeen(seen), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // No ACK for 8: the timer resends the window from block 5, the oldest unacknowledged.
      const i = seen.indexOf(8);
      assert.deepEqual(seen.slice(i + 1, i + 5), [5, 6, 7, 8], seen.join(" "));
      assert.deepEqual(seen.slice(-2), [9, 10], seen.join(" "));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const busyPollUs of [0, 200])
    it(`lock-step from a BufferSource without an OACK; a lost ACK resends that one block (busy polling ${busyPollUs} us)`, async () => {
      const body = Buffer.from("0123456789abcdef".repeat(8)); // 128 bytes: blocks of 32, then an empty block 5
      const { summary, client } = await transferOnPollLoop({
        source: new BufferSource(body),
        blksize: 32,
        windowsize: 1,
        withOack: false,
        dropAckOf: 3,
        busyPollUs,
      });
      assert.deepEqual(summary.result, { kind: "done" }, `the client saw: ${client.seen.join(" ")}`);
      assert.equal(summary.bytes, 128);
      assert.ok(summary.retransmits >= 1, `retransmits ${summary.retransmits}`);
      assert.ok(Buffer.from(client.data).equals(body));
      const seen = client.seen;
      assert.deepEqual(firstSeen(seen), [1, 2, 3, 4, 5]);
      assert.equal(seen[seen.indexOf(3) + 1], 3, `block 3 is resent: ${seen.join(" ")}`);
      assert.deepEqual(seen.slice(-2), [4, 5], seen.join(" "));
    });
});
