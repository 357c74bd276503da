/**
 * The event stream's flow control on a real socket, in process: a client
 * whose socket stays full is disconnected after stallMs (EventSource would
 * reconnect with Last-Event-ID).
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { type HttpHarness, startHttp } from "../../test/fixtures/boot/http-harness.js";
import { waitUntil } from "../../test/support/wait-until.js";

describe("event stream flow control", () => {
  let h: HttpHarness;
  before(async () => {
    h = await startHttp({ extra: { eventStream: { pollMs: 100, heartbeatMs: 50, stallMs: 300 } } });
  });
  after(async () => {
    await h?.close();
  });

  it("a client that stops reading is disconnected once its socket has stayed full for stallMs", async () => {
    const closed: Socket[] = [];
    h.app.server.on("connection", (s: Socket) => s.once("close", () => closed.push(s)));
    const client = connect({ host: "127.0.0.1", port: h.port });
    client.on("error", () => {});
    try {
      client.write("GET /api/v1/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      client.pause();
      const pad = "x".repeat(16 * 1024);
      const disconnected = (): boolean =>
        h.logger.records.some((r) => r.msg === "event stream: client takes nothing, disconnected");
      // Publish until the socket is full and the stall limit has passed.
      await waitUntil(async () => {
        for (let i = 0; i < 200; i++) h.bus.publish({ type: "tftp.rrq", detail: { pad } });
        await h.recorder.flush();
        return disconnected();
      }, "the stalled client to be disconnected");
      await waitUntil(() => closed.length > 0, "the server to close the socket");
      assert.equal(closed.length, 1, "only the stalled stream's connection");
    } finally {
      client.destroy();
    }
  });
});
