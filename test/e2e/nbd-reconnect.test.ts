/**
 * Running clients survive the server (issue 16): one PC boots from
 * `bootfleet serve` (SeaBIOS, QEMU's iPXE ROM, full DHCP, TCG) with the
 * hook's bootfleet-nbd holding its NBD root, then, on that one boot:
 *
 *   (a) caches dropped, serve killed with SIGKILL, 15 s without a server,
 *       serve started again: files the client never read come back with
 *       the image's sha256;
 *   (b) the same with SIGTERM;
 *   (c) a second server with the same image version comes up, the first is
 *       killed for good: the client goes on with the second.
 *
 * After each, the client's kernel log must show no I/O error and one more
 * reconnect by bootfleet-nbd. The namespace (198.18.70.0/24) and every
 * process are removed by PID, also on failure (test/support/nbd-outage-lab.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { IO_ERROR, OutageLab, SERVER_1, SERVER_2 } from "../support/nbd-outage-lab.js";

const OUTAGE_MS = 15_000;

describe("NBD root across server restarts and failover (QEMU TCG)", { timeout: 30 * 60_000 }, () => {
  let lab: OutageLab;

  before(async () => {
    lab = await OutageLab.create({ tag: "nbdrc", sets: ["a", "b", "c"] });
    await lab.startServer1();
    const text = await lab.boot();
    assert.match(
      text,
      /HELPER ALIVE \d+ @bootfleet\/sbin\/bootfleet-nbd /,
      "bootfleet-nbd did not survive switch_root",
    );
    assert.match(text, /ROOT overlay \/ overlay /);
  });

  after(() => lab?.close(Boolean(process.env.BOOTFLEET_KEEP_E2E)));

  /** Reads a set the client never read and compares every file with the image's. */
  async function assertSetReads(set: string): Promise<void> {
    const got = await lab.readSet(set);
    const want = lab.sets.get(set)!;
    assert.deepEqual(
      [...got.keys()].sort(),
      [...want].sort(),
      `files read of set ${set}:\n${lab.serial().slice(-3000)}`,
    );
    for (const path of want)
      assert.equal(got.get(path), lab.digests.get(path), `${path} differs from the image`);
  }

  /** No I/O error in the client's kernel log, and `reconnects` reconnects so far, the last to `server`. */
  async function assertKernelLog(reconnects: number, server: string): Promise<void> {
    let log = await lab.kernelLog();
    // bootfleet-nbd logs its reconnect just after handing the socket over:
    // reads queued behind it may finish first.
    for (let i = 0; i < 3 && log.filter((l) => /reconnected to /.test(l)).length < reconnects; i++) {
      await sleep(2000);
      log = await lab.kernelLog();
    }
    const errors = log.filter((l) => IO_ERROR.test(l));
    assert.deepEqual(errors, [], `I/O errors in the client's kernel log:\n${log.join("\n")}`);
    const done = log.filter((l) => /bootfleet-nbd: reconnected to /.test(l));
    assert.equal(done.length, reconnects, `reconnects in the client's kernel log:\n${log.join("\n")}`);
    assert.match(done.at(-1)!, new RegExp(`reconnected to ${server.replace(/\./g, "\\.")}:10809`));
    assert.ok(
      log.some((l) => /bootfleet-nbd: connection to the server lost/.test(l)),
      log.join("\n"),
    );
  }

  async function outage(signal: "SIGKILL" | "SIGTERM", set: string, reconnects: number): Promise<void> {
    await lab.command("drop");
    await lab.stopServer1(signal);
    await sleep(OUTAGE_MS);
    await lab.startServer1();
    await assertSetReads(set);
    await assertKernelLog(reconnects, SERVER_1);
  }

  it("(a) kill -9 serve, 15 s, start it: new files read correctly, no I/O error", async () => {
    await outage("SIGKILL", "a", 1);
  });

  it("(b) SIGTERM serve, 15 s, start it: new files read correctly, no I/O error", async () => {
    await outage("SIGTERM", "b", 2);
  });

  it("(c) two servers with the same version: the first killed for good, the client goes on with the second", async () => {
    await lab.startServer2();
    await lab.command("drop");
    await lab.stopServer1("SIGKILL");
    await assertSetReads("c");
    await assertKernelLog(3, SERVER_2);
  });
});
