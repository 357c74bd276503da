/**
 * The pxelinux.cfg and lts.conf/ltsp.conf importers fed 10,000 byte-level
 * mutations each of the real files in test/fixtures/migrate/corpus/:
 * bytes flipped, the file cut short, spans of another corpus file spliced
 * in, line ends turned to CRLF, text re-encoded as Latin-1 and read back as
 * UTF-8 (as readImportFiles reads it), directives that open blocks (TEXT
 * HELP, MENU BEGIN, [a|b]) inserted, and pxelinux INCLUDE chains far
 * deeper than NESTING_LIMIT, with loops. Every input must import, or be
 * refused with an ImportError whose every problem names a file, a line
 * and a column; no other exception, ever.
 *
 * The generator is seeded, so a failure names the case that replays it.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import type { ImportFormat } from "./detect-format.js";
import { importConfig } from "./import-config.js";
import { ImportError } from "./import-problem.js";
import { NESTING_LIMIT } from "./nesting-limit.js";
import type { PxelinuxTree, PxelinuxTreeFile } from "./pxelinux/pxelinux-tree.js";

const CASES = 10_000;
const CORPUS = join(import.meta.dirname, "../../test/fixtures/migrate/corpus");

/** Every corpus file under `dir`, as bytes, by path relative to it. */
function corpusFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!name.endsWith(".expect.json")) out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const PXELINUX = corpusFiles(join(CORPUS, "pxelinux"));
const LTS = corpusFiles(join(CORPUS, "lts"));
const ALL = [...PXELINUX.values(), ...LTS.values()];

/** Lines that open or close a block, or name another file, in either format. */
const INSERTED_LINES = [
  "TEXT HELP",
  "ENDTEXT",
  "MENU BEGIN x",
  "MENU END",
  "MENU DEFAULT",
  "INCLUDE pxelinux.cfg/default",
  "MENU INCLUDE ../../etc/passwd",
  "DEFAULT local",
  "ONTIMEOUT menu.c32",
  "LABEL ^x",
  "LOCALBOOT 0",
  "APPEND root=/dev/nfs nfsroot=:/ boot=nfs",
  "[b8:27:eb:*|]",
  "[a|b|*]",
  "[|]",
  "INCLUDE=clients",
  "LIKE = Default",
  "ROOTFS=nfs",
  "HOSTNAME=x y",
];

/** xorshift32: small, seeded, and enough to reach every branch of a mutation. */
class Mutator {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0 || 1;
  }

  below(n: number): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state % n;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** One to four mutations of `bytes`, read back as readImportFiles reads a file: UTF-8. */
  mutate(bytes: Buffer): string {
    let b = bytes;
    for (let k = 1 + this.below(4); k > 0; k--) {
      const at = this.below(b.length + 1);
      switch (this.below(7)) {
        case 0: {
          // Flip one bit of a few bytes.
          const c = Buffer.from(b);
          for (let n = 1 + this.below(8); n > 0 && c.length > 0; n--)
            c[this.below(c.length)]! ^= 1 << this.below(8);
          b = c;
          break;
        }
        case 1:
          b = b.subarray(0, at);
          break;
        case 2: {
          const other = this.pick(ALL);
          const from = this.below(other.length + 1);
          b = Buffer.concat([
            b.subarray(0, at),
            other.subarray(from, from + this.below(400)),
            b.subarray(at),
          ]);
          break;
        }
        case 3:
          b = Buffer.from(b.toString("latin1").replaceAll("\n", "\r\n"), "latin1");
          break;
        case 4:
          // Latin-1 text (a file saved by an old editor): é, ü, ß as single bytes, invalid UTF-8.
          b = Buffer.concat([
            b.subarray(0, at),
            Buffer.from(this.pick(["é", "Grüße", "ß\u00a0"]), "latin1"),
            b.subarray(at),
          ]);
          break;
        case 5:
          b = Buffer.concat([
            b.subarray(0, at),
            Buffer.from(`\n${this.pick(INSERTED_LINES)}\n`),
            b.subarray(at),
          ]);
          break;
        case 6: {
          // A line repeated: long menus, thousands of sections.
          const lines = b.toString("latin1").split("\n");
          const l = this.below(lines.length);
          lines.splice(l, 0, ...Array<string>(this.below(200)).fill(lines[l]!));
          b = Buffer.from(lines.join("\n"), "latin1");
          break;
        }
      }
    }
    return b.toString("utf8");
  }
}

/** Imports the inputs; "imported" or "refused" with every problem located; anything else throws. */
function outcome(
  inputs: readonly { file: string; text: string; format: ImportFormat; pxelinuxTree?: PxelinuxTree }[],
): "imported" | "refused" {
  try {
    importConfig(inputs, { serverAddress: "198.18.0.1" });
    return "imported";
  } catch (e) {
    if (!(e instanceof ImportError)) throw e;
    for (const p of e.problems)
      assert.ok(
        p.at.file !== "" && p.at.line >= 1 && p.at.column >= 1,
        `a problem without a place: ${JSON.stringify(p)}`,
      );
    return "refused";
  }
}

/** A pxelinux case: one file of a corpus tree mutated (the root or one it includes), or a deep INCLUDE chain. */
function pxelinuxCase(m: Mutator) {
  const keys = [...PXELINUX.keys()];
  const entry = m.pick(keys);
  const treeRoot = entry.slice(0, entry.indexOf("pxelinux.cfg/"));
  const files = new Map<string, PxelinuxTreeFile>();
  for (const [k, bytes] of PXELINUX)
    if (k.startsWith(treeRoot) && k.includes("pxelinux.cfg/"))
      files.set(k.slice(treeRoot.length), { file: `tftp/${k}`, text: bytes.toString("utf8") });
  const rootKey = entry.slice(treeRoot.length);
  const mutated = m.below(4) === 0 ? m.pick([...files.keys()]) : rootKey;
  files.set(mutated, {
    file: `tftp/${treeRoot}${mutated}`,
    text: m.mutate(PXELINUX.get(`${treeRoot}${mutated}`)!),
  });
  if (m.below(10) === 0) {
    // A chain past the nesting limit, sometimes closing on itself.
    const depth = NESTING_LIMIT + m.below(3 * NESTING_LIMIT);
    for (let i = 0; i < depth; i++)
      files.set(`pxelinux.cfg/chain${i}`, {
        file: `tftp/pxelinux.cfg/chain${i}`,
        text: `LABEL c${i}\n  KERNEL k${i}\nINCLUDE pxelinux.cfg/chain${m.below(8) === 0 ? m.below(depth) : i + 1}\n`,
      });
    const root = files.get(rootKey)!;
    files.set(rootKey, { ...root, text: `INCLUDE /pxelinux.cfg/chain0\n${root.text}` });
  }
  const tree: PxelinuxTree = { files, inConfigFolder: true };
  const file = files.get(rootKey)!;
  return [{ file: file.file, text: file.text, format: "pxelinux" as const, pxelinuxTree: tree }];
}

function ltsCase(m: Mutator) {
  const name = m.pick([...LTS.keys()]);
  return [{ file: `lts/${name}`, text: m.mutate(LTS.get(name)!), format: m.pick(["lts", "ltsp"] as const) }];
}

describe(`pxelinux.cfg and lts.conf/ltsp.conf, ${CASES} mutated real files each: imported, or refused at a place`, () => {
  for (const [name, seed, make] of [
    ["pxelinux.cfg", 18, pxelinuxCase],
    ["lts.conf and ltsp.conf", 21, ltsCase],
  ] as const)
    it(name, (t) => {
      const counts = { imported: 0, refused: 0 };
      for (let i = 0; i < CASES; i++) {
        const m = new Mutator(seed * 1_000_003 + i);
        const inputs = make(m);
        try {
          counts[outcome(inputs)]++;
        } catch (e) {
          assert.fail(`case ${i} (new Mutator(${seed} * 1_000_003 + ${i})): ${(e as Error).stack}`);
        }
      }
      t.diagnostic(`${counts.imported} imported, ${counts.refused} refused`);
      // Some mutations leave the file importable, so the importer runs, not only its checks.
      assert.ok(counts.imported > 0 && counts.refused > 0, JSON.stringify(counts));
    });
});
