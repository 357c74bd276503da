/**
 * sendfile from the addon's thread to TCP peers over loopback: whole files
 * and ranges arrive byte for byte, many at once; a peer that stops reading
 * is dropped after the idle limit, one that hangs up or a socket closed
 * here ends the send early, and the event loop goes on. The addon is part
 * of the build (`npm test` builds it), so a missing addon fails here with
 * the reason instead of skipping.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SocketFileSender } from "./socket-file-sender.js";

function sender(): SocketFileSender {
  const { sender, reason } = SocketFileSender.create();
  if (sender === null) assert.fail(`the native addon is part of the build and did not load: ${reason}`);
  return sender;
}

/** A listening server whose accepted sockets are handed to `onSocket`, and a connected client. */
async function pair(): Promise<{ server: Server; ours: Socket; peer: Socket }> {
  let accepted: (s: Socket) => void = () => {};
  const got = new Promise<Socket>((resolve) => {
    accepted = resolve;
  });
  const server = createServer((s) => accepted(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as { port: number };
  const peer = connect(port, "127.0.0.1");
  const ours = await got;
  // Hang-ups and resets are what some cases test: their errors are expected.
  for (const socket of [ours, peer]) socket.on("error", () => {});
  return { server, ours, peer };
}

function readAll(peer: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    peer.on("data", (c: Buffer) => chunks.push(c));
    peer.on("end", () => resolve(Buffer.concat(chunks)));
    peer.once("error", reject);
  });
}

describe("SocketFileSender (sendfile on the addon's thread)", () => {
  let dir: string;
  let path: string;
  let data: Buffer;
  let fd: number;
  let s: SocketFileSender;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "bf-sendfile-"));
    path = join(dir, "vmlinuz");
    // Larger than a slice (8 MiB) and than loopback's socket buffers.
    data = randomBytes(9 * 1024 * 1024 + 13);
    writeFileSync(path, data);
    fd = openSync(path, "r");
    s = sender();
  });
  after(() => {
    s.close();
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends a whole file and a range byte for byte", async () => {
    for (const [offset, length] of [
      [0, data.length],
      [1_000_003, 4 * 1024 * 1024],
      [data.length - 1, 1],
    ] as const) {
      const { server, ours, peer } = await pair();
      const body = readAll(peer);
      const r = await s.send(ours, fd, offset, length, 10_000);
      assert.deepEqual(r, { sent: length, error: null });
      ours.end();
      assert.ok((await body).equals(data.subarray(offset, offset + length)), `${offset}+${length}`);
      server.close();
    }
  });

  it("serves 40 sockets at once, each its own bytes", async () => {
    const runs = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const { server, ours, peer } = await pair();
        const body = readAll(peer);
        const offset = i * 65_537;
        const length = data.length - offset;
        const r = await s.send(ours, fd, offset, length, 10_000);
        ours.end();
        const got = await body;
        server.close();
        return { r, ok: got.equals(data.subarray(offset)), length };
      }),
    );
    for (const { r, ok, length } of runs) {
      assert.deepEqual(r, { sent: length, error: null });
      assert.ok(ok);
    }
  });

  it("drops a peer that stops reading after the idle limit, and the loop keeps running", async () => {
    const { server, ours, peer } = await pair();
    peer.pause();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const r = await s.send(ours, fd, 0, data.length, 300);
    clearInterval(timer);
    assert.equal(r.error, "ETIMEDOUT");
    assert.ok(r.sent > 0 && r.sent < data.length, `sent ${r.sent}`);
    assert.ok(ticks > 5, "the event loop ran while the sender waited");
    ours.destroy();
    peer.destroy();
    server.close();
  });

  it("ends early when the peer hangs up or the socket is closed here", async () => {
    {
      const { server, ours, peer } = await pair();
      peer.once("data", () => peer.destroy());
      const r = await s.send(ours, fd, 0, data.length, 10_000);
      assert.ok(r.error !== null && r.sent < data.length, JSON.stringify(r));
      ours.destroy();
      server.close();
    }
    {
      const { server, ours, peer } = await pair();
      peer.pause();
      const sending = s.send(ours, fd, 0, data.length, 10_000);
      setTimeout(() => ours.destroy(), 100);
      const r = await sending;
      assert.ok(r.error !== null && r.sent < data.length, JSON.stringify(r));
      peer.destroy();
      server.close();
    }
  });

  it("refuses a closed socket, a file descriptor that is not open, and sends after close", async () => {
    const { server, ours, peer } = await pair();
    ours.destroy();
    assert.deepEqual(await s.send(ours, fd, 0, 10, 1_000), { sent: 0, error: "socket closed" });
    peer.destroy();
    server.close();

    const second = await pair();
    const r = await s.send(second.ours, 1_000_000, 0, 10, 1_000);
    assert.equal(r.sent, 0);
    assert.match(r.error ?? "", /dup/);
    second.ours.destroy();
    second.peer.destroy();
    second.server.close();

    const closed = sender();
    closed.close();
    const third = await pair();
    assert.deepEqual(await closed.send(third.ours, fd, 0, 10, 1_000), { sent: 0, error: "sender closed" });
    third.ours.destroy();
    third.peer.destroy();
    third.server.close();
  });
});
