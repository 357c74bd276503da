import assert from "node:assert/strict";
import { test } from "node:test";
import { CpioError, decodeCpioNewc, encodeCpioNewc } from "./cpio-newc.js";

test("cpio: round trip keeps names, types, modes, mtimes and data", () => {
  const entries = [
    { name: "a", type: "dir" as const, mode: 0o755, mtime: 1700000000 },
    {
      name: "a/b.sh",
      type: "file" as const,
      mode: 0o755,
      mtime: 1700000001,
      data: Buffer.from("#!/bin/sh\n"),
    },
    { name: "a/empty", type: "file" as const, mode: 0o600, mtime: 0, data: Buffer.alloc(0) },
    { name: "a/link", type: "symlink" as const, mode: 0o777, mtime: 5, data: Buffer.from("b.sh") },
  ];
  const back = decodeCpioNewc(encodeCpioNewc(entries));
  assert.deepEqual(
    back.map((e) => [e.name, e.type, e.mode, e.mtime, e.data?.toString()]),
    entries.map((e) => [e.name, e.type, e.mode, e.mtime, e.data?.toString() ?? ""]),
  );
});

test("cpio: every header starts on a 4-byte boundary and the archive ends with the trailer", () => {
  // Names of every length mod 4 and data of every length mod 4.
  const entries = [1, 2, 3, 4, 5].map((n) => ({
    name: "x".repeat(n),
    type: "file" as const,
    mode: 0o644,
    mtime: 1,
    data: Buffer.alloc(n, 0x41),
  }));
  const buf = encodeCpioNewc(entries);
  assert.equal(buf.length % 4, 0);
  let count = 0;
  for (let i = buf.indexOf("070701"); i >= 0; i = buf.indexOf("070701", i + 1)) {
    assert.equal(i % 4, 0, `header at ${i}`);
    count++;
  }
  assert.equal(count, 6);
  assert.ok(buf.includes(Buffer.from("TRAILER!!!\0")));
  // The first header, field by field: magic, ino 1, mode 0o100644, nlink 1, size 1, namesize 2.
  const h = buf.toString("ascii", 0, 110);
  assert.equal(h.slice(0, 6), "070701");
  assert.equal(h.slice(6, 14), "00000001");
  assert.equal(h.slice(14, 22), (0o100644).toString(16).padStart(8, "0"));
  assert.equal(h.slice(38, 46), "00000001");
  assert.equal(h.slice(54, 62), "00000001");
  assert.equal(h.slice(94, 102), "00000002");
});

test("cpio: refuses unsafe or malformed entries with a clear error", () => {
  const file = (name: string) => ({ name, type: "file" as const, mode: 0o644, mtime: 0 });
  assert.throws(() => encodeCpioNewc([file("/etc/passwd")]), {
    name: "CpioError",
    message: /must be relative/,
  });
  assert.throws(() => encodeCpioNewc([file("a/../b")]), /"\." or "\.\." part/);
  assert.throws(() => encodeCpioNewc([file("")]), /empty entry name/);
  assert.throws(() => encodeCpioNewc([file("a"), file("a")]), /duplicate entry "a"/);
  assert.throws(() => encodeCpioNewc([{ ...file("a"), mode: 0o100644 }]), /not permission bits/);
  assert.throws(() => encodeCpioNewc([{ ...file("a"), mtime: -1 }]), /does not fit 32 bits/);
});

test("cpio: the reader checks every length", () => {
  const buf = encodeCpioNewc([
    { name: "f", type: "file", mode: 0o644, mtime: 0, data: Buffer.from("hello") },
  ]);
  assert.throws(() => decodeCpioNewc(buf.subarray(0, 50)), {
    name: "CpioError",
    message: /truncated header at offset 0/,
  });
  assert.throws(() => decodeCpioNewc(buf.subarray(0, 114)), /"f" needs 5 data bytes, 2 left/);
  const bad = Buffer.from(buf);
  bad.write("070707", 0, "ascii");
  assert.throws(() => decodeCpioNewc(bad), /bad magic "070707"/);
  assert.throws(() => decodeCpioNewc(Buffer.alloc(0)), CpioError);
});
