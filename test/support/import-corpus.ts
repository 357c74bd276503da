/**
 * The corpus of real configuration files under test/fixtures/migrate/corpus/:
 * each file has a `<file>.expect.json` beside it saying where it came from and
 * what the source server (dhcpd, dnsmasq, pxelinux, LTSP) hands out to each
 * machine it describes, derived from the file and that program's documented
 * behaviour (dhcpd.conf(5), dhcp-options(5), dnsmasq(8), syslinux's docs),
 * never from bootfleet's output.
 *
 * A case runs the real command line: `bootfleet import` into a temporary
 * file, then `bootfleet explain --json` for every machine of the table, and
 * compares only the keys the table gives. A refusal must name the place in
 * the source file. The diff says, per machine and key, what the source
 * gives and what bootfleet would.
 *
 * Kernel, initrd and command line are read from explain's `plan`, which
 * the planner makes even before an image version is built. bootfleet boots
 * an image's own kernel and initrd, so a source's kernel or initrd file
 * differs by design: that passes only when the import said so in a located
 * warning naming the source's file, never silently.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { BOOT_FILE_NAMES } from "../../src/migrate/boot-file-names.js";
import {
  configValueBytes,
  DHCP_OPTION_TABLE,
  type DhcpOptionType,
  optionBytes,
} from "../../src/migrate/dhcp-option-table.js";

export const REPO_ROOT = join(import.meta.dirname, "../..");
export const CORPUS_DIR = join(REPO_ROOT, "test/fixtures/migrate/corpus");

/** `expect.loader` for a source that hands out stock iPXE (see CorpusExpectation). */
export const IPXE_CHAIN = "(bootfleet's iPXE chain)";

/** What the source server hands one machine; only the keys given are compared. */
export interface CorpusExpectation {
  /**
   * First-stage file as DHCP sends it (the `file` field / option 67).
   * IPXE_CHAIN: the source hands out a stock iPXE binary (undionly.kpxe,
   * ipxe.efi, ...), which bootfleet replaces by its own iPXE chain: no
   * `filename` of the source's may be left in the machine's config.
   */
  readonly loader?: string | null;
  /** siaddr: where the first stage is fetched from. */
  readonly next_server?: string;
  readonly kernel?: string;
  readonly initrd?: string;
  readonly cmdline?: string;
  /** Option 17. */
  readonly root_path?: string | null;
  /** By code ("3") or dhcpd/dnsmasq name ("routers"); values as the source writes them, or "0x..." bytes. */
  readonly options?: Readonly<Record<string, string | null>>;
  /** false: the source server does not answer this machine (deny unknown-clients, no range, ...). */
  readonly answered?: boolean;
}

export interface CorpusMachine {
  /** What this machine is in the source: "host ws01", "a dynamic BIOS client of 10.0.0.0/24". */
  readonly name: string;
  readonly mac: string;
  /** For a dynamic client: the network its request arrives on. */
  readonly network?: string;
  /** DHCP option 93 (RFC 4578): 0 BIOS, 6 UEFI ia32, 7/9 UEFI x64, 11 ARM64. */
  readonly arch?: number;
  /** The request comes from iPXE (user class "iPXE"). */
  readonly ipxe?: boolean;
  readonly expect: CorpusExpectation;
}

export interface CorpusCase {
  /** The corpus file, absolute. */
  readonly file: string;
  /** The same, relative to the repository (how errors name it). */
  readonly name: string;
  readonly source: string;
  readonly format?: string;
  readonly server_address?: string;
  readonly import: "ok" | { readonly refuse: string; readonly at: string };
  readonly warnings?: readonly string[];
  readonly machines?: readonly CorpusMachine[];
}

/** Every `*.expect.json` under the corpus folder, sorted by path. */
export function corpusCases(dir = CORPUS_DIR): CorpusCase[] {
  const out: CorpusCase[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry.endsWith(".expect.json")) {
        const file = p.slice(0, -".expect.json".length);
        const spec = JSON.parse(readFileSync(p, "utf8")) as Omit<CorpusCase, "file" | "name">;
        if (typeof spec.source !== "string" || !spec.source)
          throw new Error(`${p}: "source" (where the file came from) is required`);
        if (spec.import !== "ok" && (typeof spec.import !== "object" || !spec.import.refuse))
          throw new Error(`${p}: "import" is "ok" or { "refuse": ..., "at": ... }`);
        out.push({ ...spec, file, name: relative(REPO_ROOT, file) });
      }
    }
  };
  walk(dir);
  return out;
}

interface CliResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** `bootfleet ARGS` as a user runs it (through tsx, from the repository root). */
export function bootfleet(args: readonly string[]): CliResult {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: { ...process.env, BOOTFLEET_CONFIG: "" },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * Runs one case and returns every difference, one line each; empty when the
 * import does what the source did.
 */
export function checkCorpusCase(c: CorpusCase): string[] {
  const dir = mkdtempSync(join(tmpdir(), "bf-corpus-"));
  try {
    const output = join(dir, "imported.yaml");
    const args = ["import", c.name, "-o", output];
    if (c.format) args.push("--format", c.format);
    if (c.server_address) args.push("--server-address", c.server_address);
    const imported = bootfleet(args);
    const diffs: string[] = [];
    /** Whether the import gave a warning located in this case's input that contains `text`. */
    const warned = (text: string): boolean =>
      imported.err
        .split("\n")
        .some((l) => /:\d+:\d+: warning: /.test(l) && l.includes(c.name) && l.includes(text));
    for (const w of c.warnings ?? [])
      if (!warned(w)) diffs.push(`import: no located warning containing ${JSON.stringify(w)}`);
    if (c.import !== "ok") {
      const { refuse, at } = c.import;
      if (imported.code === 0)
        diffs.push(`import: succeeded, expected a refusal containing ${JSON.stringify(refuse)}`);
      const errLines = imported.err.split("\n").filter((l) => l.includes(": error: "));
      const located = errLines.some((l) => l.includes(refuse) && l.includes(`${at}:`));
      if (!located)
        diffs.push(
          `import: no error at ${at} containing ${JSON.stringify(refuse)}; stderr:\n${indent(imported.err)}`,
        );
      return diffs;
    }
    if (imported.code !== 0) {
      diffs.push(`import: exit ${imported.code}; stderr:\n${indent(imported.err)}`);
      return diffs;
    }
    const serverAddress = (parseYaml(readFileSync(output, "utf8")) as { server?: { address?: string } })
      ?.server?.address;
    for (const m of c.machines ?? []) diffs.push(...checkMachine(output, serverAddress, m, warned));
    return diffs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ExplainJson {
  readonly known: boolean;
  readonly network?: string;
  readonly values: readonly { readonly key: string; readonly value: unknown }[];
  readonly boot: null | {
    readonly nextServer: string;
    readonly bootFile: string;
    readonly options: Readonly<Record<string, string>>;
  };
  /** What the machine boots once its image is built (src/cli/main.ts, planSummary). */
  readonly plan: null | {
    readonly next_server: string;
    readonly boot_file: string;
    readonly options: Readonly<Record<string, string>>;
    readonly kernel: string | null;
    readonly initrds: readonly string[];
    readonly cmdline: string | null;
  };
}

/**
 * Command-line words that say where the root and the initrd are: bootfleet
 * boots its own image's root with its own initrd (the import's header says
 * so), so these source words have no counterpart by design.
 */
function isRootWord(word: string): boolean {
  return /^(initrd|root|nfsroot|nbdroot)=/.test(word) || word === "boot=nfs";
}

/** Words the loader and bootfleet add themselves: the initrds, BOOTIF (pxelinux's IPAPPEND 2), the client hook's. */
function isBootfleetWord(word: string): boolean {
  return /^(initrd|BOOTIF)=/.test(word) || word.startsWith("bootfleet.");
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

/** explain's named dhcp keys and the option each one is sent as. */
const NAMED_DHCP_KEYS: Readonly<Record<string, { readonly code: number; readonly type: DhcpOptionType }>> = {
  "dhcp.routers": { code: 3, type: "ips" },
  "dhcp.dns": { code: 6, type: "ips" },
  "dhcp.domain": { code: 15, type: "text" },
  "dhcp.ntp": { code: 42, type: "ips" },
  "dhcp.lease_time": { code: 51, type: "u32" },
};

function checkMachine(
  config: string,
  serverAddress: string | undefined,
  m: CorpusMachine,
  warned: (text: string) => boolean,
): string[] {
  const who = `${m.name} (${m.mac}${m.arch !== undefined ? `, arch ${m.arch}` : ""}${m.ipxe ? ", iPXE" : ""})`;
  const args = ["explain", m.mac, "-c", config, "--json"];
  if (m.arch !== undefined) args.push("--arch", String(m.arch));
  if (m.ipxe) args.push("--ipxe");
  if (m.network) args.push("--network", m.network);
  const r = bootfleet(args);
  if (r.code !== 0) return [`${who}: explain exit ${r.code}: ${r.err.trim()}`];
  const e = JSON.parse(r.out) as ExplainJson;
  const values = new Map(e.values.map((v) => [v.key, v.value]));
  const text = (key: string): string | undefined => {
    const v = values.get(key);
    return v === undefined ? undefined : String(v);
  };
  // Before any image is built `boot` is null; `plan` is the same planner's
  // answer with the images standing in. Without either (no image at all, or
  // no first stage installed for the architecture) what DHCP would send is
  // the values the plan would take, with the server's own address as
  // next-server (fleet-boot-planner.ts, #chain).
  const dhcp =
    e.boot ??
    (e.plan ? { nextServer: e.plan.next_server, bootFile: e.plan.boot_file, options: e.plan.options } : null);
  const observed = {
    answered: e.known || values.get("boot_unknown") !== false,
    loader: dhcp?.bootFile ?? text("dhcp.filename") ?? null,
    next_server: dhcp?.nextServer ?? text("dhcp.next_server") ?? serverAddress,
    root_path: dhcp ? (dhcp.options["17"] ?? null) : (text("dhcp.root_path") ?? null),
    kernel: e.plan?.kernel ?? null,
    initrd: e.plan ? e.plan.initrds.join(",") : null,
    cmdline:
      e.plan?.cmdline != null
        ? words(e.plan.cmdline)
            .filter((w) => !isBootfleetWord(w))
            .join(" ")
        : e.values
            .filter((v) => v.key.startsWith("kernel_args["))
            .map((v) => String(v.value))
            .join(" "),
  };
  const diffs: string[] = [];
  const same = (key: string, want: unknown, got: unknown) => {
    if (want !== got) diffs.push(`${who}: ${key}: source gives ${show(want)}, bootfleet ${show(got)}`);
  };
  const x = m.expect;
  if (m.network && e.network !== m.network) same("network", m.network, e.network ?? null);
  if (x.answered !== undefined) same("answered", x.answered, observed.answered);
  if (x.loader === IPXE_CHAIN) {
    if (observed.loader !== null && BOOT_FILE_NAMES.classify(observed.loader) !== "chain")
      same("loader", x.loader, observed.loader);
  } else if (x.loader !== undefined) same("loader", x.loader, observed.loader);
  if (x.next_server !== undefined) same("next_server", x.next_server, observed.next_server ?? null);
  if (x.root_path !== undefined) same("root_path", x.root_path, observed.root_path);
  if (x.cmdline !== undefined)
    same(
      "cmdline (without the root's and initrd's words)",
      words(x.cmdline)
        .filter((w) => !isRootWord(w))
        .join(" "),
      observed.cmdline,
    );
  const said = { kernel: (f: string) => `boots kernel ${f}`, initrd: (f: string) => `with initrd ${f}` };
  for (const key of ["kernel", "initrd"] as const) {
    const want = x[key];
    if (want === undefined || want === observed[key]) continue;
    if (observed[key] === null)
      diffs.push(`${who}: ${key}: source gives ${show(want)}; explain --json plans none`);
    else if (!warned(said[key](want)))
      diffs.push(
        `${who}: ${key}: source gives ${show(want)}, bootfleet ${show(observed[key])}, and the import gave no located warning saying so`,
      );
  }
  for (const [name, want] of Object.entries(x.options ?? {})) {
    const info = /^\d+$/.test(name)
      ? DHCP_OPTION_TABLE.byCode(Number(name))
      : (DHCP_OPTION_TABLE.byName(name) ?? DHCP_OPTION_TABLE.byDnsmasqName(name));
    if (!info && !/^\d+$/.test(name)) {
      diffs.push(`${who}: option ${name}: not a dhcpd or dnsmasq option name bootfleet knows`);
      continue;
    }
    const code = info?.code ?? Number(name);
    const got = observedOption(e, values, code);
    const wantHex = want === null ? null : expectedBytes(want, info?.type).toString("hex");
    if (wantHex !== got)
      diffs.push(`${who}: option ${name} (${code}): source gives ${show(want)}, bootfleet ${showHex(got)}`);
  }
  return diffs;
}

/** The option's bytes as hex, as bootfleet would send them, or null. */
function observedOption(e: ExplainJson, values: ReadonlyMap<string, unknown>, code: number): string | null {
  const options = e.boot?.options ?? e.plan?.options;
  if (options) {
    const v = options[String(code)];
    return v === undefined ? null : configValueBytes(v).toString("hex");
  }
  const custom = values.get(`dhcp.options.${code}`);
  if (custom !== undefined) return configValueBytes(String(custom)).toString("hex");
  if (code === 17) {
    const rp = values.get("dhcp.root_path");
    return rp === undefined ? null : Buffer.from(String(rp)).toString("hex");
  }
  for (const [key, named] of Object.entries(NAMED_DHCP_KEYS)) {
    if (named.code !== code) continue;
    const v = values.get(key);
    // An empty list (dnsmasq's `dhcp-option=option:router` with no value) sends nothing.
    if (v === undefined || String(v) === "") return null;
    return optionBytes(named.type, String(v).split(/\s*,\s*/)).toString("hex");
  }
  return null;
}

/** What the source writes, as bytes: "0x..." hex, or items of the option's type. */
function expectedBytes(want: string, type: DhcpOptionType | undefined): Buffer {
  if (/^0x([0-9a-f]{2})*$/i.test(want)) return Buffer.from(want.slice(2), "hex");
  if (!type || type === "text" || type === "bytes") return configValueBytes(want);
  return optionBytes(type, want.split(/\s*,\s*/));
}

function show(v: unknown): string {
  return v === undefined || v === null ? "nothing" : JSON.stringify(v);
}

function showHex(hex: string | null): string {
  if (hex === null) return "nothing";
  const b = Buffer.from(hex, "hex");
  return /^[\x20-\x7e]*$/.test(b.toString("latin1")) ? JSON.stringify(b.toString("latin1")) : `0x${hex}`;
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}
