/**
 * A root that needs no server after boot (issue 16, `root: ram`): one PC
 * boots from `bootfleet serve` (SeaBIOS, QEMU's iPXE ROM, full DHCP, TCG);
 * its hook fetches the image's squashfs over HTTP into a tmpfs, checks it
 * against the manifest's sha256 and loop-mounts it. Then serve is stopped,
 * and the client goes on: it runs commands and reads files it never read
 * before (their sha256 equal the image's), with its caches dropped, and its
 * kernel log shows no I/O error. No NBD device was ever connected.
 *
 * The namespace (198.18.118.0/24) and every process are removed by PID,
 * also on failure (test/support/nbd-outage-lab.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { IO_ERROR, OutageLab } from "../support/nbd-outage-lab.js";
import { storedEvents } from "../support/serve-in-network.js";

const MAC = "52:54:00:70:00:01";

describe("a RAM root without its server (QEMU TCG)", { timeout: 30 * 60_000 }, () => {
  let lab: OutageLab;
  let bootText = "";

  before(async () => {
    lab = await OutageLab.create({
      tag: "ramrt",
      sets: ["a", "b"],
      subnet: "198.18.118",
      twoServers: false,
      layer: "  root: ram",
    });
    await lab.startServer1();
    bootText = await lab.boot();
  });

  after(() => lab?.close(Boolean(process.env.BOOTFLEET_KEEP_E2E)));

  async function sh(cmd: string): Promise<{ out: string[]; rc: number }> {
    const lines = (await lab.command(`sh ${cmd}`)).map((l) => l.replace(/^OUT /, ""));
    const rc = Number(/^rc=(\d+)$/.exec(lines.at(-1) ?? "")?.[1] ?? -1);
    return { out: lines.slice(0, -1), rc };
  }

  async function assertSetReads(set: string): Promise<void> {
    const got = await lab.readSet(set);
    const want = lab.sets.get(set)!;
    assert.deepEqual([...got.keys()].sort(), [...want].sort(), lab.serial().slice(-3000));
    for (const path of want)
      assert.equal(got.get(path), lab.digests.get(path), `${path} differs from the image`);
  }

  it("boots from the image fetched into RAM, sha256 checked, with no NBD", async () => {
    assert.match(bootText, /root in RAM: outage@\S+, \d+ MiB, sha256 checked/);
    assert.match(bootText, /ROOT overlay \/ overlay /);
    assert.doesNotMatch(bootText, /HELPER ALIVE/);
    const loop = await sh("/bin/busybox cat /sys/block/loop0/loop/backing_file /sys/block/nbd0/size");
    assert.deepEqual(loop.out, ["/bootfleet/ram/root.squashfs", "0"]);
    await assertSetReads("a");
    const mounted = storedEvents(join(lab.work, "serve1.yaml"), MAC).find(
      (e) => e.type === "client.stage" && e.stage === "root-mounted",
    );
    assert.equal(mounted?.detail?.root, "ram");
  });

  it("keeps running while the server is stopped: commands run, files never read before match the image", async () => {
    await lab.stopServer1("SIGTERM");
    await lab.command("drop");
    const uname = await sh("/bin/busybox uname -r && /bin/busybox ls /data/b | /bin/busybox wc -l");
    assert.equal(uname.rc, 0, uname.out.join("\n"));
    assert.equal(uname.out[1]?.trim(), String(lab.sets.get("b")!.length));
    await assertSetReads("b");
    const log = await lab.kernelLog();
    assert.deepEqual(
      log.filter((l) => IO_ERROR.test(l)),
      [],
      `I/O errors in the client's kernel log:\n${log.join("\n")}`,
    );
  });
});
