/**
 * Connections refused at accept (the service is full): a client that
 * reconnects in a loop gets one log line, then one summary line per 10 s,
 * never a line per attempt.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EventBus } from "../../events/event-bus.js";
import { MemoryLogger } from "../../logging/logger.js";
import { DirectoryExportSource } from "./directory-export-source.js";
import { NbdService } from "./nbd-service.js";

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.once("error", reject);
  });
}

/** Resolves when the server has closed the socket. */
function closedByServer(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    s.on("error", () => {});
    s.once("close", () => resolve());
    s.resume();
  });
}

describe("nbd service: refused connections", () => {
  let dir: string;
  let service: NbdService;
  let port: number;
  const logger = new MemoryLogger();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "bf-nbd-refused-"));
    service = new NbdService({
      source: new DirectoryExportSource({ root: dir }),
      bus: new EventBus(),
      logger,
      listen: { port: 0, host: "127.0.0.1" },
      options: { cowDir: join(dir, "cow"), maxConnections: 1 },
    });
    port = (await service.start()).port;
  });

  after(async () => {
    await service.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("a client reconnecting 50 times while the service is full gets one line, then one summary", async () => {
    const holder = await open(port);
    try {
      for (let i = 0; i < 50; i++) await closedByServer(await open(port));
      assert.equal(service.stats().refused, 50);
      const refusals = (): string[] =>
        logger.records.map((r) => r.msg ?? "").filter((m) => m.includes("refus"));
      assert.deepEqual(refusals(), ["nbd: connection refused, over a limit"]);
      holder.destroy();
      await service.stop();
      assert.equal(refusals().length, 2);
      assert.match(refusals()[1]!, /^49 refused connections from 127\.0\.0\.1 in the last \d+ s$/);
    } finally {
      holder.destroy();
    }
  });
});
