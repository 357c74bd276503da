import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CpioNewcWriter } from "./cpio-newc-writer.js";

interface Entry {
  name: string;
  mode: number;
  nlink: number;
  mtime: number;
  size: number;
  rdevmajor: number;
  rdevminor: number;
  data: Buffer;
  offset: number;
}

/** A reader written from buffer-format.rst, checking magic, sizes and 4-byte alignment. */
function readNewc(buf: Buffer): Entry[] {
  const out: Entry[] = [];
  let o = 0;
  for (;;) {
    assert.equal(o % 4, 0, `header at ${o} is aligned`);
    assert.ok(o + 110 <= buf.length, "header within the archive");
    assert.equal(buf.toString("ascii", o, o + 6), "070701");
    const f = (i: number) => Number.parseInt(buf.toString("ascii", o + 6 + i * 8, o + 14 + i * 8), 16);
    const namesize = f(11);
    const size = f(6);
    const name = buf.toString("utf8", o + 110, o + 110 + namesize - 1);
    assert.equal(buf[o + 110 + namesize - 1], 0, "name NUL-terminated");
    const dataAt = o + 110 + namesize + ((4 - ((110 + namesize) % 4)) % 4);
    const entry = {
      name,
      mode: f(1),
      nlink: f(4),
      mtime: f(5),
      size,
      rdevmajor: f(9),
      rdevminor: f(10),
      data: buf.subarray(dataAt, dataAt + size),
      offset: o,
    };
    o = dataAt + size + ((4 - (size % 4)) % 4);
    if (name === "TRAILER!!!") {
      assert.equal(o, buf.length, "nothing after the trailer");
      return out;
    }
    out.push(entry);
  }
}

describe("cpio newc writer", () => {
  it("writes files, folders, symlinks and device nodes the kernel can unpack", () => {
    const buf = new CpioNewcWriter({ mtime: 1_700_000_000 })
      .file("init", "#!/bin/sh\n", 0o755)
      .symlink("bin/sh", "busybox")
      .charDevice("dev/console", 5, 1)
      .file("/etc/odd-length", "abcde")
      .finish();
    const entries = readNewc(buf);
    assert.deepEqual(
      entries.map((e) => e.name),
      ["init", "bin", "bin/sh", "dev", "dev/console", "etc", "etc/odd-length"],
    );
    const by = Object.fromEntries(entries.map((e) => [e.name, e]));
    assert.equal(by.init!.mode, 0o100755);
    assert.equal(by.init!.data.toString(), "#!/bin/sh\n");
    assert.equal(by.init!.mtime, 1_700_000_000);
    assert.equal(by.bin!.mode, 0o040755);
    assert.equal(by["bin/sh"]!.mode, 0o120777);
    assert.equal(by["bin/sh"]!.data.toString(), "busybox");
    assert.equal(by["dev/console"]!.mode, 0o020600);
    assert.deepEqual([by["dev/console"]!.rdevmajor, by["dev/console"]!.rdevminor], [5, 1]);
    assert.equal(by["etc/odd-length"]!.data.toString(), "abcde");
  });

  it("adds each parent folder once, before what is in it", () => {
    const entries = readNewc(
      new CpioNewcWriter().file("a/b/c/d", "x").file("a/b/e", "y").dir("a/b").finish(),
    );
    assert.deepEqual(
      entries.map((e) => e.name),
      ["a", "a/b", "a/b/c", "a/b/c/d", "a/b/e"],
    );
  });

  it("refuses paths that climb out", () => {
    assert.throws(
      () => new CpioNewcWriter().file("../etc/passwd", "x"),
      /invalid cpio path '..\/etc\/passwd'/,
    );
    assert.throws(() => new CpioNewcWriter().file("a/./b", "x"), /invalid cpio path/);
    assert.throws(() => new CpioNewcWriter().file("/", "x"), /invalid cpio path/);
  });

  it("an empty archive is just the trailer", () => {
    assert.deepEqual(readNewc(new CpioNewcWriter().finish()), []);
  });
});
