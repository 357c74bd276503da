import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { EM_X86_64, ElfError, isElf, multiarchTriplet, parseElf, readElfSection } from "./elf-file.js";

/**
 * A minimal ELF64 little-endian file, laid out by the System V gABI:
 * header (64 bytes), program headers (56 each), then the data they point at,
 * then section headers (64 each). One PT_LOAD maps the whole file at vaddr
 * 0x400000, so DT_STRTAB addresses map back to file offsets.
 */
function elf64(opts: {
  interp?: string;
  needed?: string[];
  runpath?: string;
  sections?: Record<string, Buffer>;
  type?: number;
}): Buffer {
  const base = 0x400000;
  const strtab: string[] = [""];
  const str = (s: string) => {
    const off = Buffer.byteLength(strtab.join("\0")) + 1;
    strtab.push(s);
    return off;
  };
  const dyn: Array<[number, number]> = [];
  for (const n of opts.needed ?? []) dyn.push([1, str(n)]);
  if (opts.runpath) dyn.push([29, str(opts.runpath)]);
  const strBytes = Buffer.from(`${strtab.join("\0")}\0`);
  const phs: Array<{ type: number; off: number; size: number }> = [];
  const nPh = 1 + (opts.interp ? 1 : 0) + (dyn.length ? 1 : 0);
  let off = 64 + 56 * nPh;
  const blobs: Buffer[] = [];
  const place = (b: Buffer) => {
    const at = off;
    blobs.push(b);
    off += b.length;
    return at;
  };
  if (opts.interp) {
    const b = Buffer.from(`${opts.interp}\0`);
    phs.push({ type: 3, off: place(b), size: b.length });
  }
  if (dyn.length) {
    const strAt = place(strBytes);
    const entries = [...dyn, [5, base + strAt], [10, strBytes.length], [0, 0]] as Array<[number, number]>;
    const d = Buffer.alloc(16 * entries.length);
    entries.forEach(([t, v], i) => {
      d.writeBigUInt64LE(BigInt(t), i * 16);
      d.writeBigUInt64LE(BigInt(v), i * 16 + 8);
    });
    phs.push({ type: 2, off: place(d), size: d.length });
  }
  // Sections: [null, ...named, .shstrtab]
  const names = Object.keys(opts.sections ?? {});
  const shstr = Buffer.from(`\0${[...names, ".shstrtab"].join("\0")}\0`);
  const secData = names.map((n) => ({
    name: n,
    at: place(opts.sections![n]!),
    size: opts.sections![n]!.length,
  }));
  const shstrAt = place(shstr);
  const shoff = off;
  const shnum = names.length ? names.length + 2 : 0;
  const fileSize = shoff + 64 * shnum;
  const h = Buffer.alloc(64 + 56 * nPh);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  h.writeUInt16LE(opts.type ?? 3, 16);
  h.writeUInt16LE(EM_X86_64, 18);
  h.writeBigUInt64LE(64n, 32); // e_phoff
  h.writeBigUInt64LE(BigInt(shnum ? shoff : 0), 40); // e_shoff
  h.writeUInt16LE(64, 52);
  h.writeUInt16LE(56, 54);
  h.writeUInt16LE(nPh, 56);
  h.writeUInt16LE(64, 58);
  h.writeUInt16LE(shnum, 60);
  h.writeUInt16LE(shnum ? shnum - 1 : 0, 62);
  const allPh = [{ type: 1, off: 0, size: fileSize }, ...phs];
  allPh.forEach((p, i) => {
    const o = 64 + i * 56;
    h.writeUInt32LE(p.type, o);
    h.writeBigUInt64LE(BigInt(p.off), o + 8);
    h.writeBigUInt64LE(BigInt(base + p.off), o + 16);
    h.writeBigUInt64LE(BigInt(p.size), o + 32);
    h.writeBigUInt64LE(BigInt(p.size), o + 40);
  });
  const sh = Buffer.alloc(64 * shnum);
  let nameOff = 1;
  const withNames = shnum ? [...secData, { name: ".shstrtab", at: shstrAt, size: shstr.length }] : [];
  withNames.forEach((s, i) => {
    const o = 64 * (i + 1);
    sh.writeUInt32LE(nameOff, o);
    nameOff += s.name.length + 1;
    sh.writeUInt32LE(1, o + 4);
    sh.writeBigUInt64LE(BigInt(s.at), o + 24);
    sh.writeBigUInt64LE(BigInt(s.size), o + 32);
  });
  return Buffer.concat([h, ...blobs, sh]);
}

describe("ELF reader", () => {
  it("reads the interpreter, DT_NEEDED and DT_RUNPATH", () => {
    const info = parseElf(
      elf64({
        interp: "/lib64/ld-linux-x86-64.so.2",
        needed: ["libgnutls.so.30", "libc.so.6"],
        runpath: "$ORIGIN/../lib:/opt/x",
      }),
    );
    assert.equal(info.bits, 64);
    assert.equal(info.machine, EM_X86_64);
    assert.equal(info.interpreter, "/lib64/ld-linux-x86-64.so.2");
    assert.deepEqual(info.needed, ["libgnutls.so.30", "libc.so.6"]);
    assert.deepEqual(info.runpath, ["$ORIGIN/../lib", "/opt/x"]);
  });

  it("a static program has no interpreter and needs nothing", () => {
    const info = parseElf(elf64({}));
    assert.equal(info.interpreter, undefined);
    assert.deepEqual(info.needed, []);
  });

  it("reads a named section (a module's .modinfo)", () => {
    const modinfo = Buffer.from("license=GPL\0depends=virtio,virtio_ring\0name=virtio_net\0");
    const ko = elf64({ type: 1, sections: { ".text": Buffer.from([0x90]), ".modinfo": modinfo } });
    assert.deepEqual(readElfSection(ko, ".modinfo"), modinfo);
    assert.equal(readElfSection(ko, ".nothere"), undefined);
  });

  it("reads the node binary running this test like ldd would", () => {
    const node = readFileSync(process.execPath);
    assert.equal(isElf(node), true);
    const info = parseElf(node);
    if (info.interpreter)
      assert.ok(
        info.needed.some((n) => n.startsWith("libc.so")),
        info.needed.join(","),
      );
    assert.equal(multiarchTriplet(EM_X86_64, 64), "x86_64-linux-gnu");
  });

  it("rejects malformed files with the exact fault", () => {
    assert.throws(() => parseElf(Buffer.alloc(10)), /file is 10 bytes, shorter than an ELF header \(52\)/);
    assert.throws(() => parseElf(Buffer.alloc(64)), /no ELF magic \(7f 45 4c 46\) at offset 0/);
    const good = elf64({ interp: "/lib/ld.so", needed: ["libc.so.6"] });
    const badClass = Buffer.from(good);
    badClass[4] = 7;
    assert.throws(() => parseElf(badClass), /unknown ELF class 7/);
    const truncated = good.subarray(0, 100);
    assert.throws(
      () => parseElf(truncated),
      (e: unknown) => e instanceof ElfError && /outside the file/.test(String(e)),
    );
    const hugePh = Buffer.from(good);
    hugePh.writeBigUInt64LE(0xffffffn, 32);
    assert.throws(() => parseElf(hugePh), /program header 0 at offset \d+ \(\+56\) is outside the file/);
    const noNul = elf64({ interp: "/lib/ld.so" });
    const interpAt = noNul.indexOf("/lib/ld.so");
    noNul[interpAt + "/lib/ld.so".length] = 0x41; // overwrite the terminating NUL
    assert.throws(() => parseElf(noNul), /PT_INTERP at offset \d+ is not NUL-terminated/);
  });
});
