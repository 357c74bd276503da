import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ImageError } from "./image-error.js";
import { bzImageVersion, compareKernelVersions, findKernel } from "./kernel-image.js";

/** The x86 boot protocol header: "HdrS" at 0x202, kernel_version pointer (minus 0x200) at 0x20e. */
function bzImage(release: string): Buffer {
  const buf = Buffer.alloc(0x800);
  buf.write("HdrS", 0x202, "latin1");
  buf.writeUInt16LE(0x600 - 0x200, 0x20e);
  buf.write(`${release} (debian-kernel@lists.debian.org) #1 SMP Debian\0`, 0x600, "latin1");
  return buf;
}

describe("kernel in /boot", () => {
  it("reads the release from a bzImage header", () => {
    assert.equal(bzImageVersion(bzImage("6.1.0-56-amd64")), "6.1.0-56-amd64");
    assert.equal(bzImageVersion(Buffer.alloc(0x800)), undefined);
    assert.equal(bzImageVersion(Buffer.alloc(16)), undefined);
  });

  it("orders releases the way people read them", () => {
    const v = ["6.1.0-9-amd64", "6.1.0-10-amd64", "5.10.0-30-amd64"];
    assert.deepEqual([...v].sort(compareKernelVersions), [
      "5.10.0-30-amd64",
      "6.1.0-9-amd64",
      "6.1.0-10-amd64",
    ]);
  });

  it("picks the newest kernel and its initrd, through merged-/usr style symlinks", async () => {
    const root = mkdtempSync(join(tmpdir(), "bf-img-kernel-"));
    try {
      mkdirSync(join(root, "usr/boot"), { recursive: true });
      symlinkSync("usr/boot", join(root, "boot"));
      writeFileSync(join(root, "usr/boot/vmlinuz-6.1.0-9-amd64"), bzImage("6.1.0-9-amd64"));
      writeFileSync(join(root, "usr/boot/vmlinuz-6.1.0-10-amd64"), bzImage("6.1.0-10-amd64"));
      writeFileSync(join(root, "usr/boot/initrd.img-6.1.0-10-amd64"), "x");
      const k = await findKernel(root);
      assert.equal(k.version, "6.1.0-10-amd64");
      assert.equal(k.kernel, join(root, "usr/boot/vmlinuz-6.1.0-10-amd64"));
      assert.equal(k.initrd, join(root, "usr/boot/initrd.img-6.1.0-10-amd64"));
      const old = await findKernel(root, "6.1.0-9-amd64");
      assert.equal(old.initrd, undefined);
      await assert.rejects(
        findKernel(root, "7.0"),
        /no kernel 7.0 in .*: it has 6.1.0-9-amd64, 6.1.0-10-amd64/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("says how to get a kernel when there is none", async () => {
    const root = mkdtempSync(join(tmpdir(), "bf-img-kernel-"));
    try {
      await assert.rejects(
        findKernel(root),
        (e: unknown) =>
          e instanceof ImageError &&
          e.code === "NO_KERNEL" &&
          /apt-get install linux-image-amd64/.test(e.message) &&
          /debootstrap:SUITE/.test(e.message),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
