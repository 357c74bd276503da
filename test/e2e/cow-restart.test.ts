/**
 * A copy-on-write client loses none of its writes when its server goes
 * away (issue 16). One PC boots from `bootfleet serve` (SeaBIOS, QEMU's
 * iPXE ROM, full DHCP, TCG) with `nbd: { cow: true }`, its root held by the
 * hook's bootfleet-nbd. The image's squashfs is padded with 4 MiB nobody
 * reads, so the client can write a file's bytes to its NBD device without
 * touching its root filesystem. Then, on that one boot:
 *
 *   (a) the client writes with O_DIRECT and no fsync (answered, never
 *       flushed), serve is killed with SIGKILL, 15 s pass, serve starts
 *       again: the client reads the bytes back from the device, also O_DIRECT;
 *   (b) the same with SIGTERM, and both writes are still there.
 *
 * The namespace (198.18.117.0/24) and every process are removed by PID,
 * also on failure (test/support/nbd-outage-lab.ts).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { IO_ERROR, OutageLab } from "../support/nbd-outage-lab.js";
import { storedEvents } from "../support/serve-in-network.js";

const OUTAGE_MS = 15_000;
const MAC = "52:54:00:70:00:01";
const PAD_BYTES = 4 * 1024 * 1024;
/** 4 KiB blocks one write covers. */
const BLOCKS = 16;

describe("copy-on-write writes across server restarts (QEMU TCG)", { timeout: 30 * 60_000 }, () => {
  let lab: OutageLab;
  /** First block of the padding: past every byte of the squashfs. */
  let firstFree = 0;
  let exportName = "";

  before(async () => {
    lab = await OutageLab.create({
      tag: "cowrs",
      sets: ["a"],
      subnet: "198.18.117",
      twoServers: false,
      layer: "  nbd: { cow: true }",
    });
    const imageDir = join(lab.work, "var1", "images", "outage");
    const version = readdirSync(imageDir).find((v) => /^\d/.test(v))!;
    exportName = `outage@${version}`;
    const squashfs = join(imageDir, version, "root.squashfs");
    const size = statSync(squashfs).size;
    truncateSync(squashfs, size + PAD_BYTES);
    firstFree = Math.ceil(size / 4096) + 1;
    await lab.startServer1();
    const text = await lab.boot();
    assert.match(
      text,
      /HELPER ALIVE \d+ @bootfleet\/sbin\/bootfleet-nbd /,
      "bootfleet-nbd did not survive switch_root",
    );
  });

  after(() => lab?.close(Boolean(process.env.BOOTFLEET_KEEP_E2E)));

  /** Runs a shell command on the client; returns its output lines and exit code. */
  async function sh(cmd: string): Promise<{ out: string[]; rc: number }> {
    const lines = (await lab.command(`sh ${cmd}`)).map((l) => l.replace(/^OUT /, ""));
    const rc = Number(/^rc=(\d+)$/.exec(lines.at(-1) ?? "")?.[1] ?? -1);
    return { out: lines.slice(0, -1), rc };
  }

  /** Writes BLOCKS random blocks at `block` with O_DIRECT and no fsync; returns their sha256. */
  async function write(block: number, name: string): Promise<string> {
    const B = "/bin/busybox";
    const r = await sh(
      `${B} dd if=/dev/urandom of=/tmp/${name} bs=4096 count=${BLOCKS} 2>/dev/null && ${B} sha256sum /tmp/${name} && ${B} dd if=/tmp/${name} of=/dev/nbd0 bs=4096 seek=${block} oflag=direct 2>&1`,
    );
    assert.equal(r.rc, 0, r.out.join("\n"));
    const sha = /^([0-9a-f]{64}) /.exec(r.out[0] ?? "")?.[1];
    assert.ok(sha, r.out.join("\n"));
    return sha;
  }

  /** The sha256 of BLOCKS blocks at `block`, read from the device with O_DIRECT (from the server, not a cache). */
  async function readBack(block: number): Promise<string> {
    const B = "/bin/busybox";
    const r = await sh(
      `${B} dd if=/dev/nbd0 bs=4096 skip=${block} count=${BLOCKS} iflag=direct 2>/dev/null | ${B} sha256sum`,
    );
    assert.equal(r.rc, 0, r.out.join("\n"));
    return /^([0-9a-f]{64}) /.exec(r.out[0] ?? "")?.[1] ?? r.out.join("\n");
  }

  async function assertNoIoError(): Promise<void> {
    const log = await lab.kernelLog();
    assert.deepEqual(
      log.filter((l) => IO_ERROR.test(l)),
      [],
      `I/O errors in the client's kernel log:\n${log.join("\n")}`,
    );
  }

  let first = "";

  it("(a) written, answered, not flushed; kill -9 serve, 15 s, start it: the bytes read back", async () => {
    first = await write(firstFree, "first");
    await lab.stopServer1("SIGKILL");
    // The held layer is a file of the server's data folder, not process memory.
    assert.ok(
      existsSync(join(lab.work, "var1", "nbd-cow", exportName, `${MAC.replace(/:/g, "-")}.held.cow`)),
      "the client's layer is not on disk",
    );
    await sleep(OUTAGE_MS);
    await lab.startServer1();
    assert.equal(await readBack(firstFree), first, "the write is lost");
    await assertNoIoError();
    const events = storedEvents(join(lab.work, "serve1.yaml"), MAC);
    assert.ok(
      events.some((e) => e.type === "nbd.cow_reclaimed" && e.detail?.export === exportName),
      "no nbd.cow_reclaimed event",
    );
  });

  it("(b) the same with SIGTERM: both writes read back", async () => {
    const second = await write(firstFree + BLOCKS, "second");
    await lab.stopServer1("SIGTERM");
    await sleep(OUTAGE_MS);
    await lab.startServer1();
    assert.equal(await readBack(firstFree + BLOCKS), second, "the write before SIGTERM is lost");
    assert.equal(await readBack(firstFree), first, "the write before the kill is lost");
    await assertNoIoError();
  });
});
