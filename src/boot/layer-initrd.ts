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
 * settings as /etc/bootfleet/settings.env, /etc/bootfleet/secrets.env and
 * /etc/lts.conf unless the config gives those paths itself.
 *
 * Secret files and settings go in only with `includeSecrets`: the caller
 * has found that whoever asks is the machine itself. Anyone on the segment
 * can ask for any MAC's archive, so without that the archive is built as if
 * the machine had no secrets (lts.conf says which were left out).
 */
import type { ResolvedMachine } from "../config/model.js";
import { type CpioEntry, CpioError, checkEntryName, encodeCpioNewc } from "./cpio-newc.js";
import { renderLtsConf, renderSecretsEnv, renderSettingsEnv, SECRETS_ENV_PATH } from "./settings-files.js";

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
  /** Put the machine's secret files and settings in; only for the machine's own proven address. Default false. */
  readonly includeSecrets?: boolean | undefined;
}

export function layerInitrdEntries(machine: ResolvedMachine, options: LayerInitrdOptions): CpioEntry[] {
  const includeSecrets = options.includeSecrets === true;
  const files = new Map<string, { data: Buffer; mode: number }>();
  // Paths the config gives, also when left out as secret: a generated file never takes their place.
  const given = new Set<string>();
  for (const [path, valued] of Object.entries(machine.files)) {
    const rel = layerRelativePath(path);
    given.add(rel);
    if (valued.secret && !includeSecrets) continue;
    files.set(rel, { data: valued.value.content, mode: valued.value.mode & 0o7777 });
  }
  const secretsEnv = includeSecrets ? renderSecretsEnv(machine) : null;
  const lts = renderLtsConf(machine, { includeSecrets });
  const generated: [string, string | null, number][] = [
    [SETTINGS_ENV_PATH, renderSettingsEnv(machine), 0o644],
    [SECRETS_ENV_PATH, secretsEnv, 0o600],
    // LTSP's scripts read lts.conf as root; with a secret in it, only root may.
    [LTS_CONF_PATH, lts, includeSecrets && secretsEnv !== null ? 0o600 : 0o644],
  ];
  for (const [path, text, mode] of generated) {
    const rel = layerRelativePath(path);
    if (text !== null && !given.has(rel)) files.set(rel, { data: Buffer.from(text, "utf8"), mode });
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
