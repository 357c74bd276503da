/**
 * The native addon (native/bootfleet_udp.c) itself, over loopback: the few
 * UDP, epoll and eventfd calls a native transfer worker makes, their errno
 * returns, and the TypeErrors bad arguments get. The addon is part of the
 * build (`npm test` builds it), so a missing addon fails here with the
 * reason instead of skipping.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { networkInterfaces } from "node:os";
import { describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import { EAGAIN, loadNativeUdp, type NativeUdp, nativeUdpPath } from "./native-udp.js";

const LOOPBACK = "127.0.0.1";
const ECONNREFUSED = -111;

function addon(): NativeUdp {
  const { udp, reason } = loadNativeUdp();
  if (udp === null) assert.fail(`the native addon is part of the build and did not load: ${reason}`);
  return udp;
}

/** A node:dgram socket bound on loopback: the client the native socket is connected to. */
async function bindPeer(type: "udp4" | "udp6" = "udp4", address = LOOPBACK): Promise<Socket> {
  const socket = createSocket(type);
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, address, () => resolve());
  });
  return socket;
}

function closePeer(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

function nextMessage(socket: Socket): Promise<{ msg: Buffer; port: number; address: string }> {
  return new Promise((resolve) =>
    socket.once("message", (msg, rinfo) => resolve({ msg, port: rinfo.port, address: rinfo.address })),
  );
}

/** Resolves once the datagram has left (on loopback it is then in the receiver's queue). */
function sendFrom(socket: Socket, msg: Buffer, port: number, address = LOOPBACK): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(msg, port, address, (e) => (e ? reject(e) : resolve())),
  );
}

/** Blocks until `fd` is readable (or has an error), at most `ms`; how many fds epoll reported. */
function waitReadable(udp: NativeUdp, fd: number, ms = 2000): number {
  const epfd = udp.pollerCreate();
  try {
    udp.pollerAdd(epfd, fd);
    return udp.pollerWait(epfd, ms, new Int32Array(4));
  } finally {
    udp.close(epfd);
  }
}

describe("native udp addon", () => {
  it("loads (it is part of the build)", () => {
    const { udp, reason } = loadNativeUdp();
    assert.notEqual(udp, null, reason);
    assert.equal(reason, "");
  });

  it("open returns an fd and the port the kernel picked, connected to the client", async () => {
    const udp = addon();
    const peer = await bindPeer();
    try {
      const [fd, port] = udp.open(LOOPBACK, LOOPBACK, peer.address().port);
      try {
        assert.ok(Number.isInteger(fd) && fd > 2, `fd ${fd}`);
        assert.ok(Number.isInteger(port) && port > 0 && port < 65536, `port ${port}`);
        assert.notEqual(port, peer.address().port);
        const got = nextMessage(peer);
        assert.equal(udp.send(fd, Buffer.from("hello")), 5);
        const { msg, port: from, address } = await got;
        assert.equal(msg.toString(), "hello");
        assert.equal(from, port, "the datagram comes from the port open returned");
        assert.equal(address, LOOPBACK);
      } finally {
        udp.close(fd);
      }
    } finally {
      await closePeer(peer);
    }
  });

  it("send and recv round trip; recv gives EAGAIN when nothing waits", async () => {
    const udp = addon();
    const peer = await bindPeer();
    const [fd, port] = udp.open(LOOPBACK, LOOPBACK, peer.address().port);
    try {
      const buf = Buffer.alloc(64);
      assert.equal(udp.recv(fd, buf), EAGAIN);
      assert.equal(EAGAIN, -11);

      await sendFrom(peer, Buffer.from("ping"), port);
      assert.equal(waitReadable(udp, fd), 1);
      assert.equal(udp.recv(fd, buf), 4);
      assert.equal(buf.subarray(0, 4).toString(), "ping");
      assert.equal(udp.recv(fd, buf), EAGAIN, "one datagram, one recv");

      const got = nextMessage(peer);
      assert.equal(udp.send(fd, Buffer.from("pong")), 4);
      assert.equal((await got).msg.toString(), "pong");
    } finally {
      udp.close(fd);
      await closePeer(peer);
    }
  });

  it("send and recv honour a view's offset and length (a subarray of a bigger buffer)", async () => {
    const udp = addon();
    const peer = await bindPeer();
    const [fd, port] = udp.open(LOOPBACK, LOOPBACK, peer.address().port);
    try {
      const got = nextMessage(peer);
      assert.equal(udp.send(fd, Buffer.from("0123456789").subarray(2, 5)), 3);
      assert.equal((await got).msg.toString(), "234");

      await sendFrom(peer, Buffer.from("abcdefghij"), port);
      assert.equal(waitReadable(udp, fd), 1);
      const buf = Buffer.alloc(16, ".");
      // A datagram longer than the buffer is cut to it (the rest is dropped, as recv(2) does).
      assert.equal(udp.recv(fd, buf.subarray(4, 10)), 6);
      assert.equal(buf.toString(), "....abcdef......");
    } finally {
      udp.close(fd);
      await closePeer(peer);
    }
  });

  it("after the client's port closes, a send brings ICMP port unreachable: recv gives -ECONNREFUSED", async () => {
    const udp = addon();
    const peer = await bindPeer();
    const [fd] = udp.open(LOOPBACK, LOOPBACK, peer.address().port);
    try {
      await closePeer(peer);
      assert.equal(udp.send(fd, Buffer.from("anyone?")), 7, "the send itself succeeds");
      assert.equal(waitReadable(udp, fd), 1, "epoll reports the socket error");
      const buf = Buffer.alloc(64);
      assert.equal(udp.recv(fd, buf), ECONNREFUSED);
      assert.equal(udp.recv(fd, buf), EAGAIN, "the error is reported once");
    } finally {
      udp.close(fd);
    }
  });

  it("IPv6: open on ::1 and a round trip", async (t) => {
    const hasV6Loopback = Object.values(networkInterfaces()).some((addrs) =>
      addrs?.some((a) => a.family === "IPv6" && a.address === "::1"),
    );
    if (!hasV6Loopback) {
      t.skip("::1 is not configured on this machine (IPv6 disabled on lo)");
      return;
    }
    const udp = addon();
    const peer = await bindPeer("udp6", "::1");
    const [fd, port] = udp.open("::1", "::1", peer.address().port);
    try {
      const got = nextMessage(peer);
      assert.equal(udp.send(fd, Buffer.from("v6")), 2);
      const m = await got;
      assert.equal(m.msg.toString(), "v6");
      assert.equal(m.port, port);
      assert.equal(m.address, "::1");
      await sendFrom(peer, Buffer.from("back"), port, "::1");
      assert.equal(waitReadable(udp, fd), 1);
      const buf = Buffer.alloc(16);
      assert.equal(udp.recv(fd, buf), 4);
      assert.equal(buf.subarray(0, 4).toString(), "back");
    } finally {
      udp.close(fd);
      await closePeer(peer);
    }
  });

  it("pollerWait with timeout 0 on an empty or quiet set returns 0", async () => {
    const udp = addon();
    const epfd = udp.pollerCreate();
    const peer = await bindPeer();
    const [fd] = udp.open(LOOPBACK, LOOPBACK, peer.address().port);
    try {
      const out = new Int32Array(8);
      assert.equal(udp.pollerWait(epfd, 0, out), 0);
      udp.pollerAdd(epfd, fd);
      assert.equal(udp.pollerWait(epfd, 0, out), 0);
      udp.pollerRemove(epfd, fd);
      assert.equal(udp.pollerWait(epfd, 0, out), 0);
    } finally {
      udp.close(fd);
      udp.close(epfd);
      await closePeer(peer);
    }
  });

  it("pollerWait reports each readable socket's fd; pollerRemove takes one out", async () => {
    const udp = addon();
    const peer = await bindPeer();
    const epfd = udp.pollerCreate();
    const [a, portA] = udp.open(LOOPBACK, LOOPBACK, peer.address().port);
    const [b, portB] = udp.open(LOOPBACK, LOOPBACK, peer.address().port);
    try {
      udp.pollerAdd(epfd, a);
      udp.pollerAdd(epfd, b);
      await sendFrom(peer, Buffer.from("to a"), portA);
      await sendFrom(peer, Buffer.from("to b"), portB);
      const out = new Int32Array(8).fill(-1);
      const n = udp.pollerWait(epfd, 1000, out);
      assert.equal(n, 2);
      assert.deepEqual([...out.subarray(0, n)].sort(), [a, b].sort());
      // Level-triggered: still readable until read.
      assert.equal(udp.pollerWait(epfd, 0, out), 2);
      udp.pollerRemove(epfd, b);
      assert.equal(udp.pollerWait(epfd, 0, out), 1);
      assert.equal(out[0], a);
      assert.equal(udp.recv(a, Buffer.alloc(16)), 4);
      assert.equal(udp.pollerWait(epfd, 0, out), 0);
    } finally {
      udp.close(a);
      udp.close(b);
      udp.close(epfd);
      await closePeer(peer);
    }
  });

  it("waker: wake makes pollerWait report it, wakerDrain makes it quiet again", () => {
    const udp = addon();
    const epfd = udp.pollerCreate();
    const waker = udp.wakerCreate();
    try {
      udp.pollerAdd(epfd, waker);
      const out = new Int32Array(4);
      assert.equal(udp.pollerWait(epfd, 0, out), 0);
      udp.wake(waker);
      udp.wake(waker);
      assert.equal(udp.pollerWait(epfd, 1000, out), 1);
      assert.equal(out[0], waker);
      udp.wakerDrain(waker);
      assert.equal(udp.pollerWait(epfd, 0, out), 0, "one drain takes every wake");
      udp.wakerDrain(waker); // nothing to drain: no error
      assert.equal(udp.pollerWait(epfd, 0, out), 0);
    } finally {
      udp.close(waker);
      udp.close(epfd);
    }
  });

  it("pollerSpin: a waiting datagram returns at once, silence returns 0 (or -1), no spin for 0 or less", async () => {
    const udp = addon();
    const peer = await bindPeer();
    const epfd = udp.pollerCreate();
    const [fd, port] = udp.open(LOOPBACK, LOOPBACK, peer.address().port);
    try {
      udp.pollerAdd(epfd, fd);
      const out = new Int32Array(4).fill(-1);
      await sendFrom(peer, Buffer.from("ack"), port);
      assert.equal(udp.pollerSpin(epfd, 200, out), 1);
      assert.equal(out[0], fd);
      assert.equal(udp.recv(fd, Buffer.alloc(16)), 3);
      // Nothing comes: 200 us of polling end with 0, or with -1 if this
      // machine's other work took the CPU during a yield.
      const quiet = udp.pollerSpin(epfd, 200, out);
      assert.ok(quiet === 0 || quiet === -1, `pollerSpin on a quiet set: ${quiet}`);
      assert.equal(udp.pollerSpin(epfd, 0, out), 0);
      assert.equal(udp.pollerSpin(epfd, -5, out), 0);
    } finally {
      udp.close(fd);
      udp.close(epfd);
      await closePeer(peer);
    }
  });

  it("pollerSpin: a wake from another thread ends the spin (or the sleep after it)", async () => {
    const udp = addon();
    const epfd = udp.pollerCreate();
    const waker = udp.wakerCreate();
    // The other thread writes the eventfd as wake does (8 bytes) after 20 ms.
    const worker = new Worker(
      `const { writeSync } = require("node:fs");
       const { workerData } = require("node:worker_threads");
       setTimeout(() => writeSync(workerData.fd, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0])), 20);`,
      { eval: true, workerData: { fd: waker } },
    );
    try {
      udp.pollerAdd(epfd, waker);
      const out = new Int32Array(4).fill(-1);
      let n = udp.pollerSpin(epfd, 2_000_000, out);
      if (n === -1) n = udp.pollerWait(epfd, 5000, out); // the CPU was shared: the loop sleeps instead
      assert.equal(n, 1);
      assert.equal(out[0], waker);
    } finally {
      await worker.terminate();
      udp.close(waker);
      udp.close(epfd);
    }
  });

  it("pollerSpin returns -1 when a yield hands the CPU to another task (a busy one on the same CPU)", () => {
    // A process pinned to one CPU starts a busy child on the same CPU and
    // polls a quiet set for up to 2 s: its first yield gives the CPU to the
    // child for a whole time slice.
    const script = `
      const { spawn } = require("node:child_process");
      const udp = require(${JSON.stringify(nativeUdpPath())});
      const busy = spawn(process.execPath, ["-e", "for (;;);"], { stdio: "ignore" });
      setTimeout(() => {
        const epfd = udp.pollerCreate();
        const n = udp.pollerSpin(epfd, 2000000, new Int32Array(4));
        busy.kill("SIGKILL");
        process.stdout.write(String(n));
      }, 200);`;
    const r = spawnSync("taskset", ["-c", "0", process.execPath, "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "-1");
  });

  describe("bad arguments", () => {
    const openMessage = {
      name: "TypeError",
      message: "bootfleet_udp.open: expected two addresses of one family and a port",
    };

    it("open: not an address, mixed families, a port out of range, not a string", () => {
      const udp = addon();
      assert.throws(() => udp.open("not an ip", LOOPBACK, 69), openMessage);
      assert.throws(() => udp.open(LOOPBACK, "not an ip", 69), openMessage);
      assert.throws(() => udp.open("", LOOPBACK, 69), openMessage);
      assert.throws(() => udp.open(LOOPBACK, "::1", 69), openMessage);
      assert.throws(() => udp.open("::1", LOOPBACK, 69), openMessage);
      assert.throws(() => udp.open(LOOPBACK, LOOPBACK, 0), openMessage);
      assert.throws(() => udp.open(LOOPBACK, LOOPBACK, -1), openMessage);
      assert.throws(() => udp.open(LOOPBACK, LOOPBACK, 70000), openMessage);
      assert.throws(() => udp.open(LOOPBACK, `${LOOPBACK}${" ".repeat(80)}`, 69), openMessage);
      const loose = udp as unknown as Record<string, (...a: unknown[]) => unknown>;
      assert.throws(() => loose.open!(2130706433, LOOPBACK, 69), openMessage);
      assert.throws(() => loose.open!(LOOPBACK, LOOPBACK, "69"), {
        name: "TypeError",
        message: "bootfleet_udp: expected a number",
      });
    });

    it("send and recv: bytes must be a Uint8Array or Buffer", async () => {
      const udp = addon();
      const peer = await bindPeer();
      const [fd] = udp.open(LOOPBACK, LOOPBACK, peer.address().port);
      const loose = udp as unknown as Record<string, (...a: unknown[]) => unknown>;
      const bytes = { name: "TypeError", message: "bootfleet_udp: expected a Uint8Array or Buffer" };
      try {
        assert.throws(() => loose.send!(fd, "a string"), bytes);
        assert.throws(() => loose.send!(fd, new Uint16Array(4)), bytes);
        assert.throws(() => loose.send!(fd, new ArrayBuffer(4)), bytes);
        assert.throws(() => loose.recv!(fd, [0, 0, 0]), bytes);
        assert.throws(() => loose.recv!(fd, null), bytes);
        assert.throws(() => loose.send!("3", Buffer.alloc(1)), {
          name: "TypeError",
          message: "bootfleet_udp: expected a number",
        });
      } finally {
        udp.close(fd);
        await closePeer(peer);
      }
    });

    it("pollerWait and pollerSpin: the output must be a non-empty Int32Array", () => {
      const udp = addon();
      const epfd = udp.pollerCreate();
      const loose = udp as unknown as Record<string, (...a: unknown[]) => unknown>;
      const array = { name: "TypeError", message: "bootfleet_udp.pollerWait: expected an Int32Array" };
      try {
        assert.throws(() => loose.pollerWait!(epfd, 0, new Uint32Array(4)), array);
        assert.throws(() => loose.pollerWait!(epfd, 0, [0, 0]), array);
        assert.throws(() => loose.pollerWait!(epfd, 0, new Int32Array(0)), array);
        assert.throws(() => loose.pollerWait!(epfd, "0", new Int32Array(4)), {
          name: "TypeError",
          message: "bootfleet_udp: expected a number",
        });
        assert.throws(() => loose.pollerSpin!(epfd, "200", new Int32Array(4)), {
          name: "TypeError",
          message: "bootfleet_udp: expected a number",
        });
        assert.throws(() => loose.pollerSpin!(epfd, 200, new Uint8Array(4)), {
          name: "TypeError",
          message: "bootfleet_udp.pollerSpin: expected an Int32Array",
        });
      } finally {
        udp.close(epfd);
      }
    });

    it("too few arguments throw a TypeError", () => {
      const udp = addon();
      const loose = udp as unknown as Record<string, (...a: unknown[]) => unknown>;
      const few = { name: "TypeError", message: "bootfleet_udp: too few arguments" };
      assert.throws(() => loose.open!(LOOPBACK, LOOPBACK), few);
      assert.throws(() => loose.open!(), few);
      assert.throws(() => loose.send!(3), few);
      assert.throws(() => loose.recv!(3), few);
      assert.throws(() => loose.close!(), few);
      assert.throws(() => loose.pollerAdd!(3), few);
      assert.throws(() => loose.pollerRemove!(3), few);
      assert.throws(() => loose.pollerWait!(3, 0), few);
      assert.throws(() => loose.pollerSpin!(3, 0), few);
      assert.throws(() => loose.wake!(), few);
      assert.throws(() => loose.wakerDrain!(), few);
    });

    it("set-up calls that the kernel refuses throw an Error naming the call and strerror", () => {
      const udp = addon();
      const epfd = udp.pollerCreate();
      try {
        assert.throws(() => udp.close(-1), { name: "Error", message: "close: Bad file descriptor" });
        assert.throws(() => udp.pollerAdd(epfd, -1), {
          name: "Error",
          message: "epoll_ctl: Bad file descriptor",
        });
        // 192.0.2.1 (TEST-NET-1) is on no interface here: bind fails, nothing is sent.
        assert.throws(() => udp.open("192.0.2.1", LOOPBACK, 69), {
          name: "Error",
          message: "bind: Cannot assign requested address",
        });
        // send/recv do not throw for the kernel's errors: they return -errno.
        assert.equal(udp.send(-1, Buffer.alloc(1)), -9);
        assert.equal(udp.recv(-1, Buffer.alloc(1)), -9);
      } finally {
        udp.close(epfd);
      }
    });
  });
});
