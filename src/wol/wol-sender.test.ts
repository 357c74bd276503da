import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { it } from "node:test";
import { type WolSocket, WolSender } from "./wol-sender.js";

class FakeSocket extends EventEmitter implements WolSocket {
  readonly calls: string[] = [];
  bound = false;
  failBind = false;
  bind(port: number, address: string | undefined, cb: () => void): void {
    this.calls.push(`bind ${port} ${address}`);
    if (this.failBind) queueMicrotask(() => this.emit("error", new Error("EADDRNOTAVAIL")));
    else
      queueMicrotask(() => {
        this.bound = true;
        cb();
      });
  }
  setBroadcast(flag: boolean): void {
    // node:dgram throws EBADF when the socket is not bound yet.
    if (!this.bound) throw new Error("setBroadcast before bind");
    this.calls.push(`broadcast ${flag}`);
  }
  send(msg: Buffer, port: number, address: string, cb: (e: Error | null) => void): void {
    this.calls.push(`send ${msg.length} ${address}:${port}`);
    queueMicrotask(() => cb(null));
  }
  close(): void {
    this.calls.push("close");
  }
}

it("binds, sets SO_BROADCAST, sends to the subnet broadcast on port 9, reuses the socket", async () => {
  const sockets: FakeSocket[] = [];
  const sender = new WolSender({
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    bindAddress: "198.18.40.1",
    repeat: 2,
  });
  const r = await sender.wake({ mac: "52:54:00:12:34:56", subnet: "198.18.40.0/24" });
  assert.deepEqual(r, { mac: "52:54:00:12:34:56", address: "198.18.40.255", port: 9, bytes: 102 });
  await sender.wake({ mac: "52:54:00:12:34:57", subnet: "198.18.41.0/25", password: "1.2.3.4" });
  sender.close();
  await new Promise((r) => setImmediate(r));
  assert.equal(sockets.length, 1);
  assert.deepEqual(sockets[0]!.calls, [
    "bind 0 198.18.40.1",
    "broadcast true",
    "send 102 198.18.40.255:9",
    "send 102 198.18.40.255:9",
    "send 106 198.18.41.127:9",
    "send 106 198.18.41.127:9",
    "close",
  ]);
});

it("a failed bind rejects, and the next wake tries a new socket", async () => {
  let n = 0;
  const sender = new WolSender({
    createSocket: () => {
      const s = new FakeSocket();
      s.failBind = n++ === 0;
      return s;
    },
  });
  await assert.rejects(sender.wake({ mac: "52:54:00:12:34:56", subnet: "198.18.40.0/24" }), {
    message: "EADDRNOTAVAIL",
  });
  assert.equal((await sender.wake({ mac: "52:54:00:12:34:56", subnet: "198.18.40.0/24" })).bytes, 102);
  sender.close();
});
