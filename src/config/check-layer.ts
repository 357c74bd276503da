/**
 * What every layer may set (defaults, networks, groups, hosts, addresses):
 * the images it names exist, its files go inside the client's root, its
 * setting names are ones a shell can read, its DHCP options are valid. Also
 * records where each key was written, for `bootfleet explain`, and which
 * settings the layer marks secret (`KEY: { value, secret }`).
 */
import type { LayerContext } from "./check-context.js";
import { checkAddressList, checkDhcpOptions } from "./check-dhcp-options.js";
import { compact } from "./compact.js";
import type { RawLayer } from "./config-schema.js";
import { readLayerFile } from "./layer-file.js";
import type { LayerFile, LayerSpec, SourceLocation } from "./model.js";
import type { KeyPath } from "./source-map.js";

/** Keys located for `at_keys`; DHCP keys a network writes on itself are told apart as `dhcp.<key>`. */
const LOCATED_KEYS = [
  "image",
  "boot_unknown",
  "loader",
  "kernel_args",
  "console",
  "menu",
  "root",
  "servers",
  "routers",
  "dns",
  "domain",
] as const;
const NETWORK_DHCP_KEYS: readonly string[] = ["routers", "dns", "domain"];

export function checkLayer(ctx: LayerContext, raw: RawLayer | Partial<RawLayer>, path: KeyPath): LayerSpec {
  const { problems } = ctx;
  ctx.images.check([...path, "image"], raw.image);
  for (const name of raw.menu?.images ?? []) ctx.images.check([...path, "menu", "images"], name);
  const files: Record<string, LayerFile> = {};
  for (const [target, entry] of Object.entries(raw.files ?? {})) {
    const fp = [...path, "files", target];
    if (!target.startsWith("/") || target.split("/").includes("..")) {
      problems.report(
        fp,
        `'${target}' must be an absolute path inside the client's root`,
        "e.g. /etc/motd",
        true,
      );
      continue;
    }
    const file = readLayerFile(ctx, fp, entry);
    if (file) files[target] = file;
  }
  const dhcp = raw.dhcp ? checkDhcpOptions(ctx, [...path, "dhcp"], raw.dhcp) : undefined;
  for (const key of Object.keys(raw.settings ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key))
      problems.report(
        [...path, "settings", key],
        `'${key}' is not a valid setting name`,
        "lts.conf style: letters, digits and _",
        true,
      );
  }
  const { settings, secretSettings } = splitSettings(raw.settings);
  return compact({
    at_keys: keyLocations(ctx, raw, path),
    image: raw.image,
    boot_unknown: raw.boot_unknown,
    loader: raw.loader,
    kernel_args: raw.kernel_args,
    console: raw.console,
    menu: raw.menu,
    settings,
    secret_settings: secretSettings,
    files: Object.keys(files).length ? files : undefined,
    dhcp,
    nbd: raw.nbd,
    root: raw.root,
    servers: raw.servers ? checkAddressList(ctx, [...path, "servers"], raw.servers) : undefined,
  }) as LayerSpec;
}

/** `KEY: value` and `KEY: { value, secret }` -> the values, and the marks where the config wrote one. */
function splitSettings(raw: RawLayer["settings"]): {
  settings: Record<string, string> | undefined;
  secretSettings: Record<string, boolean> | undefined;
} {
  if (raw === undefined) return { settings: undefined, secretSettings: undefined };
  const settings: Record<string, string> = {};
  const marks: Record<string, boolean> = {};
  for (const [key, entry] of Object.entries(raw)) {
    if (typeof entry === "string") settings[key] = entry;
    else {
      settings[key] = entry.value;
      if (entry.secret !== undefined) marks[key] = entry.secret;
    }
  }
  return { settings, secretSettings: Object.keys(marks).length ? marks : undefined };
}

/** Where each key of the layer was written: "image", "settings.XKBLAYOUT", "files./etc/motd", "dhcp.routers". */
function keyLocations(
  ctx: LayerContext,
  raw: RawLayer | Partial<RawLayer>,
  path: KeyPath,
): Record<string, SourceLocation> {
  const { map } = ctx;
  const at: Record<string, SourceLocation> = {};
  for (const k of LOCATED_KEYS)
    if ((raw as Record<string, unknown>)[k] !== undefined)
      at[NETWORK_DHCP_KEYS.includes(k) ? `dhcp.${k}` : k] = map.locate([...path, k]);
  for (const k of Object.keys(raw.settings ?? {})) at[`settings.${k}`] = map.locate([...path, "settings", k]);
  for (const k of Object.keys(raw.files ?? {})) at[`files.${k}`] = map.locate([...path, "files", k], true);
  for (const k of Object.keys(raw.dhcp ?? {})) at[`dhcp.${k}`] = map.locate([...path, "dhcp", k]);
  for (const k of Object.keys(raw.nbd ?? {})) at[`nbd.${k}`] = map.locate([...path, "nbd", k]);
  return at;
}
