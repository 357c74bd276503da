/**
 * `bootfleet explain`: every effective value of one machine and the layer and
 * file:line it came from, like `git config --show-origin`. Secrets are shown,
 * marked "(secret)": whoever runs it reads the config file they are written
 * in anyway; the API is what hides them.
 */
import { relative } from "node:path";
import type { Origin, ResolvedMachine, Valued } from "./model.js";

export interface ExplainedValue {
  readonly key: string;
  readonly value: string | number | boolean | readonly string[] | Readonly<Record<string, string>>;
  readonly layer: string;
  readonly name: string;
  /** file:line:column, relative to the working folder when under it. */
  readonly at?: string | undefined;
  /** A secret setting or file: the API hides it without the token (this command reads the config itself). */
  readonly secret?: true | undefined;
}

export interface Explanation {
  readonly mac: string;
  readonly hostname?: string | undefined;
  readonly ip?: string | undefined;
  readonly known: boolean;
  readonly network?: string | undefined;
  readonly groups: readonly string[];
  readonly values: readonly ExplainedValue[];
  /** What DHCP would hand it, when a planner is there to ask. */
  /** Why DHCP would not answer it, when it would not. */
  readonly not_booted?: string | undefined;
  /** The loaders and transfers from the firmware to the root, in one line (describeChain). */
  readonly chain?: string | undefined;
  readonly boot?:
    | {
        readonly nextServer: string;
        readonly bootFile: string;
        readonly options: Readonly<Record<string, string>>;
      }
    | null
    | undefined;
}

export function explainMachine(m: ResolvedMachine, cwd = process.cwd()): Explanation {
  const values: ExplainedValue[] = [];
  const add = (
    key: string,
    v: Valued<unknown> | undefined,
    render?: (x: unknown) => ExplainedValue["value"],
  ) => {
    if (!v) return;
    values.push({
      key,
      value: render ? render(v.value) : (v.value as ExplainedValue["value"]),
      ...where(v.origin, cwd),
      ...(v.secret ? { secret: v.secret } : {}),
    });
  };
  add("image", m.image);
  add("boot_unknown", m.boot_unknown);
  add("loader", m.loader);
  add("console", m.console);
  add("menu", m.menu, (x) => JSON.stringify(x));
  for (const [i, k] of m.kernel_args.entries()) add(`kernel_args[${i}]`, k);
  add("root", m.root);
  add("nbd.cow", m.nbd.cow);
  add("nbd.cow_keep", m.nbd.cow_keep);
  add("servers", m.servers, (x) => (x as readonly string[]).join(", "));
  for (const [k, v] of Object.entries(m.dhcp)) {
    if (k === "options")
      for (const [code, val] of Object.entries(v.value as Record<string, string>))
        add(`dhcp.options.${code}`, { value: val, origin: v.origin });
    else add(`dhcp.${k}`, v as Valued<unknown>, (x) => (Array.isArray(x) ? x.join(", ") : (x as string)));
  }
  for (const k of Object.keys(m.settings).sort()) add(`settings.${k}`, m.settings[k]);
  for (const p of Object.keys(m.files).sort()) {
    const f = m.files[p]!;
    add(`files.${p}`, f, () => describeFile(f.value.content, f.value.mode));
  }
  return {
    mac: m.mac,
    hostname: m.hostname,
    ip: m.ip,
    known: m.known,
    network: m.network?.subnet.text,
    groups: m.groups,
    values,
  };
}

function describeFile(content: Buffer, mode: number): string {
  const text = content.toString("utf8");
  const printable = /^[\x20-\x7e\t\n]*$/.test(text) && content.length <= 60;
  const shown = printable ? JSON.stringify(text) : `${content.length} bytes`;
  return `${shown} (mode ${mode.toString(8).padStart(4, "0")})`;
}

function where(o: Origin, cwd: string): Pick<ExplainedValue, "layer" | "name" | "at"> {
  const at = o.at ? `${shortPath(o.at.file, cwd)}:${o.at.line}:${o.at.column}` : undefined;
  return { layer: o.layer, name: o.name, at };
}

function shortPath(file: string, cwd: string): string {
  const r = relative(cwd, file);
  return r.startsWith("..") ? file : r;
}

export function formatExplanation(e: Explanation): string {
  const lines: string[] = [];
  lines.push(
    `machine  ${e.mac || "(no MAC declared)"}${e.hostname ? `  ${e.hostname}` : ""}${e.ip ? `  ${e.ip}` : ""}${e.known ? "" : "  (not declared)"}`,
  );
  lines.push(`network  ${e.network ?? "(none)"}`);
  lines.push(`groups   ${e.groups.length ? e.groups.join(", ") : "(none)"}`);
  if (e.boot !== undefined) {
    if (e.boot === null)
      lines.push(`boot     not answered: ${e.not_booted ?? "boot_unknown is false, or no image"}`);
    else {
      if (e.chain) lines.push(`chain    ${e.chain}`);
      lines.push(`boot     next-server ${e.boot.nextServer}  file ${e.boot.bootFile}`);
      for (const [code, v] of Object.entries(e.boot.options)) lines.push(`         option ${code} = ${v}`);
    }
  }
  lines.push("");
  const rows = e.values.map((v) => [
    v.key,
    `${typeof v.value === "string" ? v.value : JSON.stringify(v.value)}${v.secret ? "  (secret)" : ""}`,
    `${v.layer === v.name ? v.layer : `${v.layer} ${v.name}`}`,
    v.at ?? "",
  ]);
  const widths = [0, 1, 2].map((i) => Math.min(48, Math.max(...rows.map((r) => r[i]!.length), 0)));
  for (const r of rows)
    lines.push(
      `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padEnd(widths[2]!)}  ${r[3]}`.trimEnd(),
    );
  return `${lines.join("\n")}\n`;
}
