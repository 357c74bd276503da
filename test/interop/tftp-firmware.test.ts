/**
 * The requests real boot firmware makes, replayed over loopback against the
 * server with a scripted client (no Debian package speaks exactly like a PXE
 * ROM): iPXE asks `blksize=1432,tsize`, pxelinux `tsize,blksize=1408`, and
 * OVMF (EDK2's PxeBcTftpGetFileSize then PxeBcTftpReadFile) sends
 * `tsize=0,blksize=1468,windowsize=4`, aborts with an ERROR once it has the
 * size, and asks again from the same port. Also: per-machine files from the
 * boot planner, with their tsize and the MAC in the events.
 */
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decode, encode } from "../../src/protocols/tftp/tftp-codec.js";
import { Opcode, type TftpOption, type TftpPacket } from "../../src/protocols/tftp/tftp-packet.js";
import { waitUntil } from "../support/wait-until.js";
import { LOOPBACK, pseudoRandom, startServer, type TestServer } from "./tftp-harness.js";

/** A UDP socket with a queue of received packets. */
class Peer {
  readonly socket: Socket = createSocket("udp4");
  readonly #queue: { packet: TftpPacket; port: number }[] = [];
  #waiter: (() => void) | null = null;

  async open(): Promise<void> {
    await new Promise<void>((r) => this.socket.bind(0, LOOPBACK, () => r()));
    this.socket.on("message", (msg, rinfo) => {
      this.#queue.push({ packet: decode(msg), port: rinfo.port });
      this.#waiter?.();
    });
  }

  /** Resolves once the datagram has left (closing before that would drop it). */
  send(packet: TftpPacket, port: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(encode(packet), port, LOOPBACK, (e) => (e ? reject(e) : resolve())),
    );
  }

  async next(ms = 3000): Promise<{ packet: TftpPacket; port: number }> {
    const deadline = Date.now() + ms;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail("no packet from the server");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#waiter = null;
    }
    return this.#queue.shift()!;
  }

  close(): void {
    this.socket.close();
  }
}

const opts = (...pairs: [string, string][]): TftpOption[] => pairs.map(([name, value]) => ({ name, value }));

/** Reads a whole file after the OACK (or from DATA 1), acknowledging each window. */
async function readAll(
  peer: Peer,
  tid: number,
  blksize: number,
  windowsize: number,
  first?: TftpPacket,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let expected = 1;
  let inWindow = 0;
  let pending = first;
  for (;;) {
    const p = pending ?? (await peer.next()).packet;
    pending = undefined;
    assert.equal(p.opcode, Opcode.DATA, JSON.stringify(p));
    if (p.opcode !== Opcode.DATA) break;
    assert.equal(p.block, expected & 0xffff);
    parts.push(Buffer.from(p.data));
    expected++;
    inWindow++;
    const last = p.data.length < blksize;
    if (last || inWindow === windowsize) {
      await peer.send({ opcode: Opcode.ACK, block: p.block }, tid);
      inWindow = 0;
    }
    if (last) return Buffer.concat(parts);
  }
  return Buffer.concat(parts);
}

const kernel = pseudoRandom(3 * 1024 * 1024 + 123, 5);
const MAC = "52:54:00:ab:cd:ef";
const menu = Buffer.from("DEFAULT linux\nLABEL linux\n  KERNEL vmlinuz\n  APPEND initrd=initrd.img\n");

/** Where the transfers run; with workers, the kernel is also streamed from disk in chunks (not cached). */
const SERVERS: readonly {
  readonly workers: number;
  readonly io: "node" | "native";
  readonly label: string;
}[] = [
  { workers: 0, io: "node", label: "transfers in the service's thread" },
  { workers: 2, io: "node", label: "2 transfer worker threads on node:dgram, big files streamed" },
  {
    workers: 2,
    io: "native",
    label: "2 native transfer workers (own epoll loop, busy polling), big files streamed",
  },
];

for (const { workers, io, label } of SERVERS) {
  describe(`tftp interop: what boot firmware sends (${label})`, () => {
    let dir: string;
    let server: TestServer;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "bf-tftp-firmware-"));
      mkdirSync(join(dir, "boot"));
      writeFileSync(join(dir, "boot", "vmlinuz"), kernel);
      server = await startServer(
        dir,
        // With workers, the kernel is also streamed from disk in chunks (not cached), in the worker.
        workers ? { cacheMaxFileBytes: 1 << 20, readChunkBytes: 256 << 10 } : {},
        (path) =>
          path === "pxelinux.cfg/01-52-54-00-ab-cd-ef"
            ? { body: menu, contentType: "text/plain", mtime: 0 }
            : null,
        workers,
        io,
      );
    });

    after(async () => {
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("iPXE: blksize=1432,tsize", async () => {
      const peer = new Peer();
      await peer.open();
      try {
        peer.send(
          {
            opcode: Opcode.RRQ,
            filename: "/boot/vmlinuz",
            mode: "octet",
            options: opts(["blksize", "1432"], ["tsize", "0"]),
          },
          server.port,
        );
        const { packet, port } = await peer.next();
        assert.notEqual(port, server.port, "the transfer runs on its own port");
        assert.deepEqual(packet, {
          opcode: Opcode.OACK,
          options: opts(["blksize", "1432"], ["tsize", String(kernel.length)]),
        });
        peer.send({ opcode: Opcode.ACK, block: 0 }, port);
        assert.ok((await readAll(peer, port, 1432, 1)).equals(kernel));
      } finally {
        peer.close();
      }
    });

    it("pxelinux: tsize,blksize=1408 for its per-machine config, generated by the planner", async () => {
      const peer = new Peer();
      await peer.open();
      try {
        peer.send(
          {
            opcode: Opcode.RRQ,
            filename: "pxelinux.cfg/01-52-54-00-ab-cd-ef",
            mode: "octet",
            options: opts(["tsize", "0"], ["blksize", "1408"]),
          },
          server.port,
        );
        const { packet, port } = await peer.next();
        assert.deepEqual(packet, {
          opcode: Opcode.OACK,
          options: opts(["tsize", String(menu.length)], ["blksize", "1408"]),
        });
        peer.send({ opcode: Opcode.ACK, block: 0 }, port);
        assert.ok((await readAll(peer, port, 1408, 1)).equals(menu));
        const doneEvents = () =>
          server.events.filter(
            (e) => e.type === "tftp.done" && e.detail?.file === "pxelinux.cfg/01-52-54-00-ab-cd-ef",
          );
        // The event follows the last ACK: wait for it rather than a fixed time.
        await waitUntil(() => doneEvents().length > 0, "the tftp.done event");
        const done = doneEvents();
        assert.equal(done.length, 1);
        assert.equal(done[0]!.mac, MAC);
        assert.equal(done[0]!.detail?.bytes, menu.length);
      } finally {
        peer.close();
      }
    });

    it("OVMF: tsize=0,blksize=1468,windowsize=4, ERROR after the OACK, then the same RRQ from the same port", async () => {
      const peer = new Peer();
      await peer.open();
      const rrq: TftpPacket = {
        opcode: Opcode.RRQ,
        filename: "/boot/vmlinuz",
        mode: "octet",
        options: opts(["tsize", "0"], ["blksize", "1468"], ["windowsize", "4"]),
      };
      const errorsBefore = server.events.filter((e) => e.type === "tftp.error").length;
      const probes = () =>
        server.log.records.filter(
          (r) =>
            r.msg === "tftp: client ended after the OACK (size probe)" &&
            (r.obj as { file?: string }).file === "/boot/vmlinuz",
        ).length;
      const kernelsSent = () =>
        server.events.filter((e) => e.type === "tftp.done" && e.detail?.file === "/boot/vmlinuz").length;
      const [probesBefore, sentBefore] = [probes(), kernelsSent()];
      try {
        peer.send(rrq, server.port);
        const probe = await peer.next();
        assert.deepEqual(probe.packet, {
          opcode: Opcode.OACK,
          options: opts(["tsize", String(kernel.length)], ["blksize", "1468"], ["windowsize", "4"]),
        });
        // EDK2 aborts the size probe and asks again at once.
        peer.send({ opcode: Opcode.ERROR, code: 8, message: "Aborted by the client" }, probe.port);
        peer.send(rrq, server.port);
        const read = await peer.next();
        assert.equal(read.packet.opcode, Opcode.OACK);
        assert.notEqual(read.port, probe.port, "a new transfer, on a new port");
        peer.send({ opcode: Opcode.ACK, block: 0 }, read.port);
        assert.ok((await readAll(peer, read.port, 1468, 4)).equals(kernel));
        // Both transfers have ended, and been told apart, once the probe's
        // log line and the second transfer's tftp.done are there: only then
        // can "no error event" mean anything.
        await waitUntil(
          () => probes() > probesBefore && kernelsSent() > sentBefore,
          "the size probe's end and the kernel's tftp.done",
        );
        assert.equal(
          server.events.filter((e) => e.type === "tftp.error").length,
          errorsBefore,
          "no error event",
        );
        assert.equal(server.service.stats().active, 0);
      } finally {
        peer.close();
      }
    });

    it("a client that loses ACK 0 gets the OACK again, once per timeout (no duplicate transfers)", async () => {
      const peer = new Peer();
      await peer.open();
      try {
        peer.send(
          { opcode: Opcode.RRQ, filename: "boot/vmlinuz", mode: "octet", options: opts(["blksize", "1432"]) },
          server.port,
        );
        const first = await peer.next();
        // Say nothing: the server retransmits the OACK after its 1 s timeout, from the same port.
        const again = await peer.next(2500);
        assert.equal(again.packet.opcode, Opcode.OACK);
        assert.equal(again.port, first.port);
        peer.send({ opcode: Opcode.ACK, block: 0 }, first.port);
        assert.ok((await readAll(peer, first.port, 1432, 1)).equals(kernel));
      } finally {
        peer.close();
      }
    });
  });
}
