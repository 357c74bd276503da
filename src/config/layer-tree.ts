/**
 * The `layers/` folder: the same files as the config's `files:`, as trees,
 * in the layout the Gentoo "diskless in a heterogeneous environment"
 * overlay scripts use, so such a tree can be used as it is:
 *
 *   layers/base/                      every machine
 *   layers/networks/198.18.0.0_24/    by subnet (those scripts name it by its
 *                                     broadcast address, 198.18.0.255: both work)
 *   layers/groups/<name>/             a group; with no group of that name in
 *   layers/labs/<name>/               the config, a lab: hostnames <name>-*
 *   layers/hosts/<hostname>/          one host (those scripts also put IPs here)
 *   layers/addresses/<ip>/            one address
 *
 * Files keep their mode; symlinks and special files are refused (the layer
 * cpio carries regular files and folders only).
 */
import { join, relative, resolve } from "node:path";
import type { ConfigDisk } from "./config-disk.js";
import type { ConfigProblems } from "./config-problems.js";
import type { LayerFile, LayerSpec, SourceLocation } from "./model.js";
import { formatIpv4, parseCidr, parseIpv4 } from "./net-address.js";

export type LayerFiles = Readonly<Record<string, LayerFile>>;

export interface LayerTree {
  readonly root?: string | undefined;
  readonly base?: LayerFiles | undefined;
  /** Keyed by CIDR text (198.18.0.0/24) or by broadcast address (198.18.0.255). */
  readonly networks: Map<string, LayerFiles>;
  readonly groups: Map<string, LayerFiles>;
  readonly hosts: Map<string, LayerFiles>;
  readonly addresses: Map<string, LayerFiles>;
}

export function readLayerTree(
  configured: string | undefined,
  configDir: string,
  problems: ConfigProblems,
  disk: ConfigDisk,
): LayerTree {
  const tree: LayerTree = { networks: new Map(), groups: new Map(), hosts: new Map(), addresses: new Map() };
  const root = resolve(configDir, configured ?? "layers");
  if (!disk.exists(root)) {
    if (configured !== undefined)
      problems.add({
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
    return disk.exists(dir) ? disk.readDir(dir).filter((e) => e.kind === "folder") : [];
  };
  if (disk.exists(join(root, "base"))) mutable.base = readFiles(join(root, "base"), problems, disk);
  for (const e of sub("networks")) {
    const name = e.name.replace(/_(\d{1,2})$/, "/$1");
    const cidr = parseCidr(name);
    const key = cidr ? cidr.text : parseIpv4(name) !== null ? name : null;
    if (key === null) {
      problems.add({
        at: { file: join(root, "networks", e.name), line: 1, column: 1 },
        path: "layers",
        message: `'${e.name}' does not name a network`,
        hint: "name network folders 198.18.0.0_24 (subnet) or 198.18.0.255 (broadcast)",
      });
      continue;
    }
    result.networks.set(key, readFiles(join(root, "networks", e.name), problems, disk));
  }
  for (const folder of ["groups", "labs"])
    for (const e of sub(folder))
      result.groups.set(e.name, readFiles(join(root, folder, e.name), problems, disk));
  for (const e of sub("hosts")) {
    const files = readFiles(join(root, "hosts", e.name), problems, disk);
    if (parseIpv4(e.name) !== null) result.addresses.set(e.name, files);
    else result.hosts.set(e.name, files);
  }
  for (const e of sub("addresses"))
    result.addresses.set(e.name, readFiles(join(root, "addresses", e.name), problems, disk));
  return result;
}

/** A network folder may be named after the subnet's broadcast address: the name to look for. */
export function broadcastKey(cidrText: string): string | undefined {
  const c = parseCidr(cidrText);
  return c ? formatIpv4((c.network | (~c.mask >>> 0)) >>> 0) : undefined;
}

/** A layer with its folder's files added; files written in the YAML win over the same path in the folder. */
export function withTreeFiles<T extends LayerSpec>(spec: T, files: LayerFiles | undefined): T {
  if (!files) return spec;
  return { ...spec, files: { ...files, ...(spec.files ?? {}) } };
}

/** Where a layer that exists only as a folder was "written": its first file. */
export function treeLocation(files: LayerFiles, root: string | undefined): SourceLocation {
  const first = Object.values(files)[0];
  return { file: first?.sourcePath ?? root ?? "layers", line: 1, column: 1 };
}

function readFiles(dir: string, problems: ConfigProblems, disk: ConfigDisk): LayerFiles {
  const out: Record<string, LayerFile> = {};
  const walk = (d: string) => {
    for (const e of [...disk.readDir(d)].sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      const st = disk.stat(p);
      if (st.kind === "folder") walk(p);
      else if (st.kind === "file") {
        out[`/${relative(dir, p)}`] = { content: disk.readFile(p), mode: st.mode, sourcePath: p };
      } else
        problems.add({
          at: { file: p, line: 1, column: 1 },
          path: "layers",
          message: "only regular files and folders can be layered",
          hint: st.kind === "symlink" ? "replace the symlink with a copy of the file" : "remove it",
        });
    }
  };
  walk(dir);
  return out;
}
