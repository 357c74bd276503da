/**
 * The `layers/` folder: the same files as the config's `files:`, as trees,
 * in the layout of the "diskless" scripts (seed 003):
 *
 *   layers/base/                      every machine
 *   layers/networks/198.18.0.0_24/    by subnet (seed 003 names it by its
 *                                     broadcast address, 198.18.0.255: both work)
 *   layers/groups/<name>/             a group; with no group of that name in
 *   layers/labs/<name>/               the config, seed 003's "lab": hostnames <name>-*
 *   layers/hosts/<hostname>/          one host (seed 003 also puts IPs here)
 *   layers/addresses/<ip>/            one address
 *
 * Files keep their mode; symlinks and special files are refused (the layer
 * cpio carries regular files and folders only).
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { ConfigProblem } from "./config-error.js";
import type { LayerFile } from "./model.js";
import { formatIpv4, parseCidr, parseIpv4 } from "./net-address.js";

export type LayerFiles = Readonly<Record<string, LayerFile>>;

export interface LayerTree {
  readonly root?: string | undefined;
  readonly base?: LayerFiles | undefined;
  /** Keyed by CIDR text (198.18.0.0/24) or, seed-003 style, by broadcast address. */
  readonly networks: Map<string, LayerFiles>;
  readonly groups: Map<string, LayerFiles>;
  readonly hosts: Map<string, LayerFiles>;
  readonly addresses: Map<string, LayerFiles>;
}

export function readLayerTree(
  configured: string | undefined,
  configDir: string,
  problems: ConfigProblem[],
): LayerTree {
  const tree: LayerTree = { networks: new Map(), groups: new Map(), hosts: new Map(), addresses: new Map() };
  const root = resolve(configDir, configured ?? "layers");
  if (!existsSync(root)) {
    if (configured !== undefined)
      problems.push({
        at: { file: root, line: 1, column: 1 },
        path: "layers",
        message: "layers folder not found",
        hint: "create it, or remove the `layers:` key",
      });
    return tree;
  }
  const result: LayerTree = { ...tree, root };
  const mutable = result as { base?: LayerFiles };
  const sub = (name: string) => {
    const dir = join(root, name);
    return existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()) : [];
  };
  if (existsSync(join(root, "base"))) mutable.base = readFiles(join(root, "base"), problems);
  for (const e of sub("networks")) {
    const name = e.name.replace(/_(\d{1,2})$/, "/$1");
    const cidr = parseCidr(name);
    const key = cidr ? cidr.text : parseIpv4(name) !== null ? name : null;
    if (key === null) {
      problems.push({
        at: { file: join(root, "networks", e.name), line: 1, column: 1 },
        path: "layers",
        message: `'${e.name}' does not name a network`,
        hint: "name network folders 198.18.0.0_24 (subnet) or 198.18.0.255 (broadcast)",
      });
      continue;
    }
    result.networks.set(key, readFiles(join(root, "networks", e.name), problems));
  }
  for (const folder of ["groups", "labs"])
    for (const e of sub(folder)) result.groups.set(e.name, readFiles(join(root, folder, e.name), problems));
  for (const e of sub("hosts")) {
    const files = readFiles(join(root, "hosts", e.name), problems);
    if (parseIpv4(e.name) !== null) result.addresses.set(e.name, files);
    else result.hosts.set(e.name, files);
  }
  for (const e of sub("addresses"))
    result.addresses.set(e.name, readFiles(join(root, "addresses", e.name), problems));
  return result;
}

/** A network folder may be named after the broadcast address (seed 003): find its subnet. */
export function broadcastKey(cidrText: string): string | undefined {
  const c = parseCidr(cidrText);
  return c ? formatIpv4((c.network | (~c.mask >>> 0)) >>> 0) : undefined;
}

function readFiles(dir: string, problems: ConfigProblem[]): LayerFiles {
  const out: Record<string, LayerFile> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        out[`/${relative(dir, p)}`] = { content: readFileSync(p), mode: st.mode & 0o7777, sourcePath: p };
      } else
        problems.push({
          at: { file: p, line: 1, column: 1 },
          path: "layers",
          message: "only regular files and folders can be layered",
          hint: st.isSymbolicLink() ? "replace the symlink with a copy of the file" : "remove it",
        });
    }
  };
  walk(dir);
  return out;
}
