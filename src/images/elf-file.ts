/**
 * Just enough of ELF (the System V gABI, "Object Files" chapter) to copy a
 * program into an initramfs: its interpreter (PT_INTERP), the libraries it
 * needs (DT_NEEDED) and where it says to look (DT_RUNPATH/DT_RPATH), and a
 * named section (.modinfo of a kernel module, for its `depends=`). Reading
 * this ourselves instead of running ldd means binaries of the image are never
 * executed on the build host.
 *
 * Every offset and length read from the file is checked against the buffer
 * before use; a malformed file raises ElfError with the exact fault.
 */

export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ElfError";
  }
}

export const EM_386 = 3;
export const EM_ARM = 40;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;

export interface ElfInfo {
  readonly bits: 32 | 64;
  readonly littleEndian: boolean;
  /** e_type: 1 relocatable (.ko), 2 executable, 3 shared object / PIE. */
  readonly type: number;
  readonly machine: number;
  /** PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2; absent for static programs. */
  readonly interpreter?: string | undefined;
  readonly needed: readonly string[];
  /** DT_RUNPATH, else DT_RPATH, split on ':' (may contain $ORIGIN). */
  readonly runpath: readonly string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_RPATH = 15;
const DT_RUNPATH = 29;

class Reader {
  readonly buf: Buffer;
  readonly le: boolean;
  readonly bits: 32 | 64;

  constructor(buf: Buffer, le: boolean, bits: 32 | 64) {
    this.buf = buf;
    this.le = le;
    this.bits = bits;
  }

  check(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.buf.length) {
      throw new ElfError(
        `${what} at offset ${offset} (+${length}) is outside the file (${this.buf.length} bytes)`,
      );
    }
  }

  u16(o: number, what: string): number {
    this.check(o, 2, what);
    return this.le ? this.buf.readUInt16LE(o) : this.buf.readUInt16BE(o);
  }

  u32(o: number, what: string): number {
    this.check(o, 4, what);
    return this.le ? this.buf.readUInt32LE(o) : this.buf.readUInt32BE(o);
  }

  /** A word: 4 bytes in ELF32, 8 in ELF64 (values above 2^53 are rejected). */
  word(o: number, what: string): number {
    if (this.bits === 32) return this.u32(o, what);
    this.check(o, 8, what);
    const v = this.le ? this.buf.readBigUInt64LE(o) : this.buf.readBigUInt64BE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} value ${v} is too large`);
    return Number(v);
  }

  cstring(o: number, limit: number, what: string): string {
    this.check(o, 0, what);
    const end = this.buf.indexOf(0, o);
    if (end < 0 || end >= limit) throw new ElfError(`${what} at offset ${o} is not NUL-terminated`);
    return this.buf.toString("utf8", o, end);
  }
}

interface Segment {
  readonly type: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
}

interface Header {
  readonly r: Reader;
  readonly type: number;
  readonly machine: number;
  readonly phoff: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shoff: number;
  readonly shentsize: number;
  readonly shnum: number;
  readonly shstrndx: number;
}

export function isElf(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46;
}

function header(buf: Buffer): Header {
  // e_ident is 16 bytes; the smallest header (ELF32) is 52.
  if (buf.length < 52) throw new ElfError(`file is ${buf.length} bytes, shorter than an ELF header (52)`);
  if (!isElf(buf)) throw new ElfError("no ELF magic (7f 45 4c 46) at offset 0");
  const cls = buf[4];
  if (cls !== 1 && cls !== 2) throw new ElfError(`unknown ELF class ${cls} (1 = 32-bit, 2 = 64-bit)`);
  const data = buf[5];
  if (data !== 1 && data !== 2) throw new ElfError(`unknown ELF data encoding ${data} (1 = LE, 2 = BE)`);
  const bits = cls === 2 ? 64 : 32;
  const r = new Reader(buf, data === 1, bits);
  if (bits === 64 && buf.length < 64)
    throw new ElfError(`file is ${buf.length} bytes, shorter than an ELF64 header (64)`);
  const at = bits === 64 ? { ph: 32, sh: 40, sizes: 54 } : { ph: 28, sh: 32, sizes: 42 };
  return {
    r,
    type: r.u16(16, "e_type"),
    machine: r.u16(18, "e_machine"),
    phoff: r.word(at.ph, "e_phoff"),
    shoff: r.word(at.sh, "e_shoff"),
    phentsize: r.u16(at.sizes, "e_phentsize"),
    phnum: r.u16(at.sizes + 2, "e_phnum"),
    shentsize: r.u16(at.sizes + 4, "e_shentsize"),
    shnum: r.u16(at.sizes + 6, "e_shnum"),
    shstrndx: r.u16(at.sizes + 8, "e_shstrndx"),
  };
}

function segments(h: Header): Segment[] {
  const { r } = h;
  const min = r.bits === 64 ? 56 : 32;
  if (h.phnum > 0 && h.phentsize < min) throw new ElfError(`e_phentsize ${h.phentsize} is below ${min}`);
  const out: Segment[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const o = h.phoff + i * h.phentsize;
    r.check(o, min, `program header ${i}`);
    out.push(
      r.bits === 64
        ? {
            type: r.u32(o, "p_type"),
            offset: r.word(o + 8, "p_offset"),
            vaddr: r.word(o + 16, "p_vaddr"),
            filesz: r.word(o + 32, "p_filesz"),
          }
        : {
            type: r.u32(o, "p_type"),
            offset: r.word(o + 4, "p_offset"),
            vaddr: r.word(o + 8, "p_vaddr"),
            filesz: r.word(o + 16, "p_filesz"),
          },
    );
  }
  return out;
}

export function parseElf(buf: Buffer): ElfInfo {
  const h = header(buf);
  const { r } = h;
  const segs = segments(h);
  let interpreter: string | undefined;
  const needed: string[] = [];
  let runpath: string[] = [];
  const interp = segs.find((s) => s.type === PT_INTERP);
  if (interp) {
    r.check(interp.offset, interp.filesz, "PT_INTERP");
    interpreter = r.cstring(interp.offset, interp.offset + interp.filesz, "PT_INTERP");
  }
  const dyn = segs.find((s) => s.type === PT_DYNAMIC);
  if (dyn) {
    r.check(dyn.offset, dyn.filesz, "PT_DYNAMIC");
    const entry = r.bits === 64 ? 16 : 8;
    const tags: Array<[number, number]> = [];
    for (let o = dyn.offset; o + entry <= dyn.offset + dyn.filesz; o += entry) {
      const tag = r.bits === 64 ? r.word(o, "d_tag") : r.u32(o, "d_tag");
      if (tag === DT_NULL) break;
      tags.push([tag, r.word(o + entry / 2, "d_val")]);
    }
    const strtabAddr = tags.find(([t]) => t === DT_STRTAB)?.[1];
    const strsz = tags.find(([t]) => t === DT_STRSZ)?.[1] ?? 0;
    if (strtabAddr !== undefined) {
      // DT_STRTAB is a virtual address: map it through the PT_LOAD that holds it.
      const load = segs.find(
        (s) => s.type === PT_LOAD && strtabAddr >= s.vaddr && strtabAddr < s.vaddr + s.filesz,
      );
      if (!load)
        throw new ElfError(`DT_STRTAB address 0x${strtabAddr.toString(16)} is in no PT_LOAD segment`);
      const strtab = strtabAddr - load.vaddr + load.offset;
      r.check(strtab, strsz, "DT_STRTAB");
      const str = (v: number, what: string) => {
        if (v >= strsz) throw new ElfError(`${what} string offset ${v} is beyond DT_STRSZ ${strsz}`);
        return r.cstring(strtab + v, strtab + strsz, what);
      };
      let rpath: string[] = [];
      for (const [tag, val] of tags) {
        if (tag === DT_NEEDED) needed.push(str(val, "DT_NEEDED"));
        else if (tag === DT_RUNPATH) runpath = str(val, "DT_RUNPATH").split(":").filter(Boolean);
        else if (tag === DT_RPATH) rpath = str(val, "DT_RPATH").split(":").filter(Boolean);
      }
      // ld.so ignores DT_RPATH when DT_RUNPATH is present.
      if (runpath.length === 0) runpath = rpath;
    }
  }
  return { bits: r.bits, littleEndian: r.le, type: h.type, machine: h.machine, interpreter, needed, runpath };
}

/** The bytes of a named section (e.g. `.modinfo`), or undefined when there is none. */
export function readElfSection(buf: Buffer, name: string): Buffer | undefined {
  const h = header(buf);
  const { r } = h;
  if (h.shnum === 0) return undefined;
  const min = r.bits === 64 ? 64 : 40;
  if (h.shentsize < min) throw new ElfError(`e_shentsize ${h.shentsize} is below ${min}`);
  if (h.shstrndx >= h.shnum) throw new ElfError(`e_shstrndx ${h.shstrndx} is not below e_shnum ${h.shnum}`);
  const section = (i: number) => {
    const o = h.shoff + i * h.shentsize;
    r.check(o, min, `section header ${i}`);
    return r.bits === 64
      ? { name: r.u32(o, "sh_name"), offset: r.word(o + 24, "sh_offset"), size: r.word(o + 32, "sh_size") }
      : { name: r.u32(o, "sh_name"), offset: r.word(o + 16, "sh_offset"), size: r.word(o + 20, "sh_size") };
  };
  const names = section(h.shstrndx);
  r.check(names.offset, names.size, "section name table");
  for (let i = 0; i < h.shnum; i++) {
    const s = section(i);
    if (s.name >= names.size) continue;
    if (r.cstring(names.offset + s.name, names.offset + names.size, "section name") === name) {
      r.check(s.offset, s.size, `section ${name}`);
      return buf.subarray(s.offset, s.offset + s.size);
    }
  }
  return undefined;
}

/** The Debian multiarch triplet for a machine, where libraries live (/usr/lib/<triplet>). */
export function multiarchTriplet(machine: number, bits: 32 | 64): string | undefined {
  switch (machine) {
    case EM_X86_64:
      return bits === 64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
    case EM_386:
      return "i386-linux-gnu";
    case EM_AARCH64:
      return "aarch64-linux-gnu";
    case EM_ARM:
      return "arm-linux-gnueabihf";
    case EM_RISCV:
      return "riscv64-linux-gnu";
    default:
      return undefined;
  }
}
