import assert from "node:assert/strict";
import type { Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { dgramBinder } from "./dhcp-udp-socket.js";

describe("DHCP sockets", () => {
  it("ask the kernel for a 4 MiB receive buffer (Linux caps it at net.core.rmem_max and doubles it)", async () => {
    const socket = (await dgramBinder("127.0.0.1", 0)) as unknown as Socket;
    try {
      const max = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
      assert.equal(socket.getRecvBufferSize(), 2 * Math.min(4 * 1024 * 1024, max));
    } finally {
      socket.close();
    }
  });
});
