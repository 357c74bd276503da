/**
 * The per-machine layer initrd: a newc cpio appended after the image's own
 * initrd. The kernel unpacks every initrd into the same initramfs, so the
 * files land at /bootfleet/layers/<path> there, where the client hook
 * (src/client-hook/) copies them over the overlay root, the way Gentoo's
 * heterogeneous-diskless scripts copied base -> network -> lab -> host -> IP
 * layers: one image, with each machine's differences laid over it.
 *
 * Holds: every resolved `files` entry (already merged over the layers, the
 * last layer winning), the directories above them, and the machine's
 * settings as /etc/bootfleet/settings.env and /etc/lts.conf unless the
 * config gives those paths itself.
 */
import type { ResolvedMachine } from "../config/model.js";
import { type CpioEntry, CpioError, checkEntryName, encodeCpioNewc } from "./cpio-newc.js";
import { renderLtsConf, renderSettingsEnv } from "./settings-files.js";

/** Where the files sit inside the initramfs; the client hook reads this folder. */
export const LAYER_PREFIX = "bootfleet/layers";
export const SETTINGS_ENV_PATH = "/etc/bootfleet/settings.env";
export const LTS_CONF_PATH = "/etc/lts.conf";

export class LayerPathError extends Error {
  override readonly name = "LayerPathError";
}

/** "/etc/motd" -> "etc/motd"; refuses relative paths and "..", which could escape the root. */
export function layerRelativePath(path: string): string {
  if (!path.startsWith("/")) throw new LayerPathError(`layer file path must be absolute: "${path}"`);
  const rel = path
    .replace(/^\/+/, "")
    .replace(/\/+$/, "")
    .replace(/\/{2,}/g, "/");
  try {
    checkEntryName(rel);
  } catch (err) {
    if (err instanceof CpioError)
      throw new LayerPathError(`layer file path "${path}" is not usable: ${err.message}`);
    throw err;
  }
  return rel;
}

export interface LayerInitrdOptions {
  /** mtime of every entry, seconds since the epoch (the config's load time keeps it stable). */
  readonly mtime: number;
}

export function layerInitrdEntries(machine: ResolvedMachine, options: LayerInitrdOptions): CpioEntry[] {
  const files = new Map<string, { data: Buffer; mode: number }>();
  for (const [path, valued] of Object.entries(machine.files)) {
    files.set(layerRelativePath(path), { data: valued.value.content, mode: valued.value.mode & 0o7777 });
  }
  const generated: [string, string][] = [
    [SETTINGS_ENV_PATH, renderSettingsEnv(machine)],
    [LTS_CONF_PATH, renderLtsConf(machine)],
  ];
  for (const [path, text] of generated) {
    const rel = layerRelativePath(path);
    if (!files.has(rel)) files.set(rel, { data: Buffer.from(text, "utf8"), mode: 0o644 });
  }

  const dirs = new Set<string>();
  const addParents = (rel: string): void => {
    const parts = `${LAYER_PREFIX}/${rel}`.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  };
  for (const rel of files.keys()) addParents(rel);
  for (const rel of files.keys()) {
    if (dirs.has(`${LAYER_PREFIX}/${rel}`)) {
      throw new LayerPathError(`layer file "/${rel}" is also a folder of another layer file`);
    }
  }

  const entries: CpioEntry[] = [];
  // Sorted, so parents come before children and the archive is stable.
  for (const dir of [...dirs].sort())
    entries.push({ name: dir, type: "dir", mode: 0o755, mtime: options.mtime });
  for (const rel of [...files.keys()].sort()) {
    const f = files.get(rel)!;
    entries.push({
      name: `${LAYER_PREFIX}/${rel}`,
      type: "file",
      mode: f.mode,
      mtime: options.mtime,
      data: f.data,
    });
  }
  return entries;
}

export function buildLayerInitrd(machine: ResolvedMachine, options: LayerInitrdOptions): Buffer {
  return encodeCpioNewc(layerInitrdEntries(machine, options));
}
