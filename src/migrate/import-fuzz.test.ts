/**
 * Each importer, and the format detection in front of them, fed a few
 * thousand mutations of real configurations (test/fixtures/migrate):
 * spans deleted, duplicated or spliced in from another format's file,
 * lines repeated, keywords, punctuation, Unicode whitespace and odd code
 * points inserted. Every input must either import into a config that
 * `bootfleet check` accepts (with --partial too, errors being comments) or
 * be refused with the importers' own ImportError, never another
 * exception, and the heap must stay bounded over the whole run.
 *
 * Then the real-world corpus of each of the dhcpd and dnsmasq parsers
 * (test/fixtures/migrate/corpus/, SOURCES.md) fed 10,000 mutations each of
 * what damages files in transit and editors: bit flips, truncation, splices
 * of two files, CRLF line ends, Latin-1 bytes read as UTF-8 and the other
 * way round, and nesting hundreds of blocks deep. Every input must import or
 * be refused with errors that each name a place in that input.
 *
 * The mutations come from a seeded generator, so a failure names the case
 * that replays it.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadConfigFromString } from "../config/load-config.js";
import type { ImportFormat } from "./detect-format.js";
import { importConfig } from "./import-config.js";
import { ImportError } from "./import-problem.js";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/migrate");
const CASES_PER_IMPORTER = 600;
/** Heap growth allowed over one importer's run: generous, and far below what a runaway takes. */
const HEAP_GROWTH_BOUND = 256 * 1024 * 1024;

const CORPUS: Readonly<Record<ImportFormat, readonly string[]>> = {
  dhcpd: ["000-dhcpd.conf", "001-dhcpd.conf", "002-dhcpd-host.conf", "003-dhcpd.conf"],
  lts: ["000-lts.conf", "001-lts.conf", "fuzz/lts-like.conf"],
  ltsp: ["fuzz/ltsp.conf"],
  dnsmasq: ["000-dnsmasq.conf", "001-dnsmasq.conf", "fuzz/dnsmasq-ltsp.conf"],
  pxelinux: ["002-pxelinux.cfg-ltsp", "003-pxelinux.cfg-default", "fuzz/pxelinux-menu.cfg"],
};
const TEXTS = new Map(
  Object.values(CORPUS)
    .flat()
    .map((f) => [f, readFileSync(join(FIXTURES, f), "utf8")]),
);
const ALL_TEXTS = [...TEXTS.values()];

/** Punctuation the parsers split on, and whitespace and code points they once tripped over. */
const INSERTED_CHARS = [...'{};#"\\=,[]:*!/-. \n\r\t\u00a0\u2028\u2029\ufeff\u3000\ufffd\u{1f600}', "\ud800"];
/** Keywords of each format, names a plain object answers, values of each kind. */
const INSERTED_WORDS = [
  "host|group|subnet|shared-network|pool|if|elsif|else|option|filename|next-server|range|class",
  "include|hardware ethernet|fixed-address|not authoritative|code 93 = unsigned integer 16|{ }|{{{{|}}}}",
  "constructor|__proto__|toString|LIKE =|INCLUDE=|HOSTNAME=|[Default]|[server]|[*]",
  "LABEL|DEFAULT|KERNEL|APPEND|MENU LABEL|ONTIMEOUT|dhcp-boot=tag:x,|dhcp-host=|dhcp-range=|tag:!|set:",
  "10.0.0.1|52:54:00:12:34:56|255.255.255.0",
].flatMap((line) => line.split("|"));

/** A small seeded generator (mulberry32), so that every case can be replayed. */
class Mutator {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  below(n: number): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  mutate(text: string): string {
    let t = text;
    for (let k = 1 + this.below(8); k > 0; k--) {
      const at = this.below(t.length + 1);
      switch (this.below(7)) {
        case 0:
          t = t.slice(0, at) + t.slice(at + this.below(40));
          break;
        case 1: {
          const from = this.below(t.length + 1);
          t = t.slice(0, at) + t.slice(from, from + this.below(200)) + t.slice(at);
          break;
        }
        case 2:
          t = t.slice(0, at) + this.pick(INSERTED_CHARS) + t.slice(at);
          break;
        case 3:
          t = `${t.slice(0, at)}${this.pick(INSERTED_WORDS)}${this.below(2) ? " " : ""}${t.slice(at)}`;
          break;
        case 4: {
          const other = this.pick(ALL_TEXTS);
          const from = this.below(other.length);
          t = t.slice(0, at) + other.slice(from, from + this.below(300)) + t.slice(at);
          break;
        }
        case 5: {
          const lines = t.split("\n");
          const l = this.below(lines.length);
          lines.splice(l, 0, ...Array<string>(this.below(30)).fill(lines[l]!));
          t = lines.join("\n");
          break;
        }
        case 6:
          t = t.slice(0, at) + String.fromCharCode(this.below(0x10000)) + t.slice(at);
          break;
      }
    }
    return t;
  }
}

/** Imports `text`; "imported" when the config passes check, "refused" on ImportError; anything else fails. */
function outcome(file: string, text: string, format: ImportFormat | undefined, partial: boolean): string {
  let yaml: string;
  try {
    yaml = importConfig([{ file, text, format }], { serverAddress: "10.0.0.1", partial }).yaml;
  } catch (e) {
    if (e instanceof ImportError) return "refused";
    throw e;
  }
  loadConfigFromString(yaml, join(FIXTURES, "imported.yaml"));
  return "imported";
}

/** `as`: the name the input is passed under (a neutral one leaves detection to the content). */
function fuzz(
  seed: number,
  files: readonly string[],
  format: ImportFormat | undefined,
  as?: string,
): Map<string, number> {
  const counts = new Map<string, number>();
  const heapAtStart = process.memoryUsage().heapUsed;
  let heapMost = heapAtStart;
  for (let i = 0; i < CASES_PER_IMPORTER; i++) {
    const m = new Mutator(seed * 100_003 + i);
    const file = m.pick(files);
    const text = m.mutate(TEXTS.get(file)!);
    const partial = m.below(2) === 0;
    let result: string;
    try {
      result = outcome(as ?? file, text, format, partial);
    } catch (e) {
      assert.fail(
        `case ${i} (new Mutator(${seed} * 100_003 + ${i}) on ${file}, format ${format ?? "detected"}, partial ${partial}): ${(e as Error).stack}`,
      );
    }
    counts.set(result, (counts.get(result) ?? 0) + 1);
    heapMost = Math.max(heapMost, process.memoryUsage().heapUsed);
  }
  assert.ok(
    heapMost - heapAtStart < HEAP_GROWTH_BOUND,
    `heap grew by ${((heapMost - heapAtStart) / 1024 / 1024).toFixed(0)} MiB`,
  );
  return counts;
}

describe(`mutated real configurations, ${CASES_PER_IMPORTER} per importer: imported or refused with ImportError, never another exception`, () => {
  const importers: readonly {
    name: string;
    seed: number;
    files: readonly string[];
    format?: ImportFormat;
    as?: string;
  }[] = [
    { name: "dhcpd.conf", seed: 1, files: CORPUS.dhcpd, format: "dhcpd" },
    { name: "lts.conf and ltsp.conf", seed: 2, files: [...CORPUS.lts, ...CORPUS.ltsp], format: "lts" },
    { name: "ltsp.conf", seed: 3, files: CORPUS.ltsp, format: "ltsp" },
    { name: "dnsmasq.conf", seed: 4, files: CORPUS.dnsmasq, format: "dnsmasq" },
    { name: "pxelinux.cfg", seed: 5, files: CORPUS.pxelinux, format: "pxelinux" },
    {
      name: "format detection by content, then the importer",
      seed: 6,
      files: [...TEXTS.keys()],
      as: "input.conf",
    },
  ];
  for (const imp of importers)
    it(imp.name, (t) => {
      const counts = fuzz(imp.seed, imp.files, imp.format, imp.as);
      t.diagnostic(`${counts.get("imported") ?? 0} imported, ${counts.get("refused") ?? 0} refused`);
      // The mutations leave some inputs importable, so the importer itself is exercised, not only the checks.
      assert.ok((counts.get("imported") ?? 0) > 0, JSON.stringify([...counts]));
    });
});

const CORPUS_DIR = join(FIXTURES, "corpus");
const REAL_CASES_PER_PARSER = 10_000;
/** `bootfleet check` on every Nth imported config: it costs twice the import, and the importer is what is fuzzed. */
const CHECK_EVERY = 10;

function corpusTexts(format: "dhcpd" | "dnsmasq"): string[] {
  const dir = join(CORPUS_DIR, format);
  return readdirSync(dir)
    .filter((f) => !f.endsWith(".expect.json"))
    .sort()
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

/** What damages a configuration file on its way: each call applies one to three of them. */
function damage(m: Mutator, text: string, others: readonly string[], format: "dhcpd" | "dnsmasq"): string {
  let t = text;
  for (let k = 1 + m.below(3); k > 0; k--) {
    switch (m.below(7)) {
      case 0: {
        const bytes = Buffer.from(t, "utf8");
        for (let f = 1 + m.below(8); f > 0 && bytes.length; f--) {
          const i = m.below(bytes.length);
          bytes[i] = bytes[i]! ^ (1 << m.below(8));
        }
        t = bytes.toString("utf8");
        break;
      }
      case 1:
        t = t.slice(0, m.below(t.length + 1));
        break;
      case 2: {
        const other = m.pick(others);
        t = t.slice(0, m.below(t.length + 1)) + other.slice(m.below(other.length + 1));
        break;
      }
      case 3:
        t = t.replaceAll("\n", "\r\n");
        break;
      case 4:
        // A Latin-1 file read as UTF-8 (high bytes become U+FFFD), or UTF-8 read as Latin-1.
        t = m.below(2)
          ? Buffer.from(`${t}# r\u00e9seau \u00e0 c\u00f4t\u00e9\n`, "latin1").toString("utf8")
          : Buffer.from(t, "utf8").toString("latin1");
        break;
      case 5: {
        const depth = 50 + m.below(500);
        const at = m.below(t.length + 1);
        const nest =
          format === "dhcpd"
            ? `${"group { ".repeat(depth)}if option arch = 00:07 { filename "x.efi"; }${" }".repeat(m.below(2) ? depth : m.below(depth))}`
            : `${"dhcp-boot=tag:a,".repeat(depth)}x\n${"tag-if=set:a,tag:b\n".repeat(depth)}`;
        t = t.slice(0, at) + nest + t.slice(at);
        break;
      }
      case 6:
        t = m.mutate(t);
        break;
    }
  }
  return t;
}

describe(`the real dhcpd and dnsmasq corpus, ${REAL_CASES_PER_PARSER} damaged files per parser: imported, or refused with errors located in the input`, () => {
  for (const [format, seed] of [
    ["dhcpd", 11],
    ["dnsmasq", 12],
  ] as const)
    it(format, (t) => {
      const texts = corpusTexts(format);
      assert.ok(texts.length >= 8, `the ${format} corpus has ${texts.length} files`);
      let imported = 0;
      let refused = 0;
      for (let i = 0; i < REAL_CASES_PER_PARSER; i++) {
        const m = new Mutator(seed * 100_003 + i);
        const text = damage(m, m.pick(texts), texts, format);
        const file = `corpus-${i}.conf`;
        const replay = `case ${i} (new Mutator(${seed} * 100_003 + ${i}), ${format})`;
        let yaml: string;
        try {
          yaml = importConfig([{ file, text, format }], {
            serverAddress: "10.0.0.1",
            partial: m.below(2) === 0,
          }).yaml;
        } catch (e) {
          if (!(e instanceof ImportError)) assert.fail(`${replay}: ${(e as Error).stack}`);
          for (const p of e.problems)
            assert.ok(
              p.at.file === file && p.at.line >= 1 && p.at.column >= 1,
              `${replay}: an error not located in the input: ${JSON.stringify(p)}`,
            );
          refused++;
          continue;
        }
        if (imported++ % CHECK_EVERY === 0) {
          try {
            loadConfigFromString(yaml, join(FIXTURES, "imported.yaml"));
          } catch (e) {
            assert.fail(`${replay}: the imported config fails bootfleet check: ${(e as Error).message}`);
          }
        }
      }
      t.diagnostic(`${imported} imported, ${refused} refused`);
      assert.ok(imported > 0 && refused > 0, `${imported} imported, ${refused} refused`);
    });
});
