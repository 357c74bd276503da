/**
 * How machines, their effective config and their boot plan look in the API
 * (snake_case, like the config keys an administrator writes). Buffers become
 * text when they are UTF-8, base64 otherwise.
 *
 * Secret settings and files (config/secret-defaults.ts) carry `secret: true`;
 * without the token their value and content read "(secret)", with
 * `redacted: true` and a hint at the top of the config saying the token
 * shows them. The boot plan holds no secret to hide: the planner keeps
 * secrets off the kernel command line.
 */
import type { LayerFile, Origin, ResolvedMachine, Valued } from "../config/model.js";
import type { PlanResult } from "../boot/fleet-boot-planner.js";
import type { EventRow, MachineRow } from "../store/store.js";

export interface OriginView {
  readonly layer: string;
  readonly name: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

export function originView(o: Origin): OriginView {
  return {
    layer: o.layer,
    name: o.name,
    ...(o.at ? { file: o.at.file, line: o.at.line, column: o.at.column } : {}),
  };
}

function valued<T>(v: Valued<T> | undefined): { value: T; origin: OriginView } | null {
  return v ? { value: v.value, origin: originView(v.origin) } : null;
}

const FILE_TEXT_LIMIT = 64 * 1024;

function content(buf: Buffer): { content?: string; content_base64?: string; truncated?: boolean } {
  const slice = buf.subarray(0, FILE_TEXT_LIMIT);
  const text = slice.toString("utf8");
  const truncated = buf.length > FILE_TEXT_LIMIT ? { truncated: true } : {};
  // A round trip that changes the bytes means it was not UTF-8.
  if (Buffer.from(text, "utf8").equals(slice) && !text.includes("\0")) return { content: text, ...truncated };
  return { content_base64: slice.toString("base64"), ...truncated };
}

/** What a redacted value or file content reads instead. */
export const REDACTED = "(secret)";
export const REDACTED_HINT =
  "secret values read (secret): send the API token (Authorization: Bearer <token>) to see them";

export interface ConfigViewOptions {
  /** Show secret values (the request carries the token). */
  readonly secrets: boolean;
}

function settingView(v: Valued<string>, options: ConfigViewOptions): Record<string, unknown> {
  if (!v.secret) return { value: v.value, origin: originView(v.origin) };
  if (options.secrets) return { value: v.value, secret: true, origin: originView(v.origin) };
  return { value: REDACTED, secret: true, redacted: true, origin: originView(v.origin) };
}

function fileView(v: Valued<LayerFile>, options: ConfigViewOptions): Record<string, unknown> {
  const mode = `0${v.value.mode.toString(8)}`;
  const source = v.value.sourcePath ? { source_path: v.value.sourcePath } : {};
  // Not even the size: a short file's length says much about a password.
  if (v.secret && !options.secrets)
    return { mode, ...source, secret: true, redacted: true, content: REDACTED, origin: originView(v.origin) };
  return {
    mode,
    size: v.value.content.length,
    ...source,
    ...(v.secret ? { secret: true } : {}),
    ...content(v.value.content),
    origin: originView(v.origin),
  };
}

export function effectiveConfigView(m: ResolvedMachine, options: ConfigViewOptions): Record<string, unknown> {
  const hidden =
    !options.secrets &&
    (Object.values(m.settings).some((v) => v.secret) || Object.values(m.files).some((v) => v.secret));
  const dhcp: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(m.dhcp)) dhcp[key] = valued(v as Valued<unknown>);
  return {
    mac: m.mac,
    hostname: m.hostname ?? null,
    ip: m.ip ?? null,
    known: m.known,
    host: m.host?.name ?? null,
    network: m.network?.subnet.text ?? null,
    groups: m.groups,
    image: valued(m.image),
    boot_unknown: valued(m.boot_unknown),
    loader: valued(m.loader),
    console: valued(m.console),
    menu: valued(m.menu),
    kernel_args: m.kernel_args.map((k) => valued(k)),
    settings: Object.fromEntries(Object.entries(m.settings).map(([k, v]) => [k, settingView(v, options)])),
    files: Object.fromEntries(Object.entries(m.files).map(([path, v]) => [path, fileView(v, options)])),
    dhcp,
    nbd: { cow: valued(m.nbd.cow), cow_keep: valued(m.nbd.cow_keep) },
    root: valued(m.root),
    ...(hidden ? { redacted: REDACTED_HINT } : {}),
  };
}

export function bootView(result: PlanResult): Record<string, unknown> {
  if (result.plan === null) return { bootable: false, reason: result.reason };
  const p = result.plan;
  return {
    bootable: true,
    arch: p.arch.label,
    loader: p.chain.loader,
    boot_file: p.dhcp.bootFile,
    next_server: p.dhcp.nextServer,
    config_path: p.chain.configPath,
    dhcp_options: Object.fromEntries(
      [...p.dhcp.options].map(([code, value]) => [String(code), value.toString("hex")]),
    ),
    entries: p.entries.map((e) => ({
      image: e.image.name,
      version: e.image.version,
      label: e.label,
      kernel: e.kernel.url,
      initrds: e.initrds.map((f) => f.url),
      cmdline: e.args.join(" "),
      root: e.root,
    })),
    menu: p.menu,
    warnings: p.warnings,
  };
}

export interface MachineSummary {
  readonly mac: string | null;
  readonly hostname: string | null;
  readonly ip: string | null;
  readonly declared: boolean;
  readonly groups: readonly string[];
  readonly image: string | null;
  readonly state: string;
  readonly arch: number | null;
  readonly first_seen: number | null;
  readonly last_seen: number | null;
}

export function summary(
  row: MachineRow | null,
  m: ResolvedMachine | null,
  declared: boolean,
): MachineSummary {
  return {
    mac: row?.mac ?? m?.mac ?? null,
    hostname: m?.hostname ?? row?.hostname ?? null,
    ip: row?.ip ?? m?.ip ?? null,
    declared,
    groups: m?.groups ?? [],
    image: m?.image?.value ?? null,
    state: row?.state ?? "off",
    arch: row?.arch ?? null,
    first_seen: row?.firstSeen ?? null,
    last_seen: row?.lastSeen ?? null,
  };
}

export function eventView(e: EventRow): Record<string, unknown> {
  return {
    id: e.id,
    at: e.at,
    type: e.type,
    protocol: e.protocol,
    mac: e.mac,
    ip: e.ip,
    stage: e.stage,
    detail: e.detail,
  };
}
