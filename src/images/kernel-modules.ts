/**
 * Picks the kernel modules the client hook needs (nbd, squashfs, overlay, the
 * NIC drivers...) and everything they depend on, in load order. Dependencies
 * come from each module's own `.modinfo` section (`depends=`, and the `pre:`
 * half of `softdep=`), not from modules.dep: a kernel package unpacked with
 * `dpkg -x` has no modules.dep (depmod writes it at install time). Modules
 * built into the kernel (modules.builtin) are skipped. Compressed modules are
 * stored uncompressed so busybox insmod can load them.
 */
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { ElfError, readElfSection } from "./elf-file.js";
import { ImageError } from "./image-error.js";
import { resolveInRoot } from "./root-path.js";

export interface KernelModule {
  /** Normalised name (`_`, not `-`): virtio_net. */
  readonly name: string;
  /** Where it came from, relative to /lib/modules/<version>. */
  readonly path: string;
  /** The uncompressed .ko. */
  readonly content: Buffer;
}

export interface ModuleSet {
  /** Modules to insmod, dependencies first. */
  readonly loadOrder: readonly KernelModule[];
  /** Asked-for modules the kernel has built in. */
  readonly builtin: readonly string[];
  /** Optional modules this kernel has neither as a module nor built in. */
  readonly absent: readonly string[];
}

export const normaliseModuleName = (name: string): string => name.replace(/-/g, "_");

const MODULE_FILE = /^(.+)\.ko(\.xz|\.zst|\.gz)?$/;

/** The folder with the modules of kernel `version` under `root`, or undefined. */
export async function modulesDir(root: string, version: string): Promise<string | undefined> {
  return (
    (await resolveInRoot(root, `/lib/modules/${version}`)) ??
    (await resolveInRoot(root, `/usr/lib/modules/${version}`))
  );
}

export async function collectModules(
  root: string,
  version: string,
  required: readonly string[],
  optional: readonly string[],
): Promise<ModuleSet> {
  const dir = await modulesDir(root, version);
  if (!dir) {
    throw new ImageError(
      "NO_MODULE",
      `no /lib/modules/${version} in ${root}: the image has a kernel ${version} but not its modules; ` +
        "install the matching linux-image package in the image, or give the modules with --modules-from DIR " +
        "(a folder holding lib/modules/<version>, e.g. 'dpkg -x linux-image-<version>.deb DIR')",
    );
  }
  const builtinSet = new Set<string>();
  try {
    for (const line of (await readFile(join(dir, "modules.builtin"), "utf8")).split("\n")) {
      const m = MODULE_FILE.exec(line.trim().split("/").pop() ?? "");
      if (m) builtinSet.add(normaliseModuleName(m[1]!));
    }
  } catch {}
  const index = new Map<string, string>();
  await walk(dir, "", index);
  const aliases = await readAliases(dir);
  /**
   * Soft dependencies name aliases (ext4's `softdep=pre: crypto-crc32c`).
   * modules.alias answers when depmod has run (an installed kernel); a
   * `dpkg -x` of a kernel package has none, so the crypto naming
   * convention is tried: crypto-X -> X -> X_generic.
   */
  const byAlias = (alias: string): string | undefined => {
    const known = aliases.get(alias);
    if (known && (index.has(known) || builtinSet.has(known))) return known;
    const bare = normaliseModuleName(alias.replace(/^crypto-/, ""));
    return [bare, `${bare}_generic`].find((n) => index.has(n) || builtinSet.has(n));
  };

  const order: KernelModule[] = [];
  const loaded = new Set<string>();
  const visiting = new Set<string>();
  const builtin: string[] = [];
  const absent: string[] = [];

  const visit = async (name: string, wantedBy: string | undefined, mustExist: boolean): Promise<boolean> => {
    if (loaded.has(name) || builtinSet.has(name)) return true;
    if (visiting.has(name)) return true; // a cycle; the kernel refuses those anyway
    const rel = index.get(name);
    if (!rel) {
      if (mustExist) {
        throw new ImageError(
          "NO_MODULE",
          `kernel ${version} has no module ${name}${wantedBy ? ` (needed by ${wantedBy})` : ""} in ${dir} ` +
            "and does not have it built in (modules.builtin): use a kernel with it (Debian's has it)",
        );
      }
      return false;
    }
    visiting.add(name);
    const content = await readModule(join(dir, rel));
    const info = modinfo(content, rel);
    for (const dep of info.depends) await visit(dep, name, true);
    for (const dep of info.softPre) {
      const plain = normaliseModuleName(dep);
      const target = index.has(plain) || builtinSet.has(plain) ? plain : byAlias(dep);
      if (target) await visit(target, name, false);
    }
    visiting.delete(name);
    loaded.add(name);
    order.push({ name, path: rel, content });
    return true;
  };

  for (const [list, mustExist] of [
    [required, true],
    [optional, false],
  ] as const) {
    for (const raw of list) {
      const name = normaliseModuleName(raw);
      if (builtinSet.has(name)) {
        if (!builtin.includes(name)) builtin.push(name);
        continue;
      }
      if (!(await visit(name, undefined, mustExist))) absent.push(name);
    }
  }
  return { loadOrder: order, builtin, absent };
}

/** `alias crypto-crc32c crc32c_generic` lines of modules.alias, when depmod wrote one. */
async function readAliases(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(join(dir, "modules.alias"), "utf8");
  } catch {
    return out;
  }
  for (const line of text.split("\n")) {
    const m = /^alias\s+(\S+)\s+(\S+)/.exec(line);
    if (m && !out.has(m[1]!)) out.set(m[1]!, normaliseModuleName(m[2]!));
  }
  return out;
}

async function walk(base: string, rel: string, index: Map<string, string>): Promise<void> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(join(base, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (rel === "" && (e.name === "build" || e.name === "source")) continue;
      await walk(base, path, index);
    } else {
      const m = MODULE_FILE.exec(e.name);
      if (!m) continue;
      const name = normaliseModuleName(m[1]!);
      // updates/ and extra/ override kernel/, as depmod's default search order says.
      const prev = index.get(name);
      if (!prev || (prev.startsWith("kernel/") && !path.startsWith("kernel/"))) index.set(name, path);
    }
  }
}

async function readModule(path: string): Promise<Buffer> {
  const raw = await readFile(path);
  if (path.endsWith(".gz")) return gunzipSync(raw);
  if (path.endsWith(".xz")) return decompress("xz", raw, path);
  if (path.endsWith(".zst")) return decompress("zstd", raw, path);
  return raw;
}

function decompress(tool: "xz" | "zstd", input: Buffer, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, ["-dc"], { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        new ImageError(
          "TOOL_MISSING",
          e.code === "ENOENT"
            ? `${tool} not found: needed to unpack ${path}; install it with 'apt-get install ${tool === "xz" ? "xz-utils" : "zstd"}'`
            : `cannot run ${tool}: ${e.message}`,
        ),
      ),
    );
    child.on("close", (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new ImageError("TOOL_FAILED", `${tool} -dc ${path} failed: ${err.trim()}`)),
    );
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

/** `depends=` and the `pre:` part of `softdep=` from a module's .modinfo (NUL-separated key=value). */
export function modinfo(ko: Buffer, path: string): { depends: string[]; softPre: string[] } {
  let section: Buffer | undefined;
  try {
    section = readElfSection(ko, ".modinfo");
  } catch (err) {
    if (err instanceof ElfError)
      throw new ImageError("SOURCE_INVALID", `kernel module ${path}: ${err.message}`);
    throw err;
  }
  const depends: string[] = [];
  const softPre: string[] = [];
  for (const entry of (section ?? Buffer.alloc(0)).toString("latin1").split("\0")) {
    if (entry.startsWith("depends=")) {
      depends.push(...entry.slice(8).split(",").filter(Boolean).map(normaliseModuleName));
    } else if (entry.startsWith("softdep=")) {
      const m = /pre:\s*([^:]*?)(?:\s+post:.*)?$/.exec(entry.slice(8));
      // Kept as written: they may be aliases (crypto-crc32c), resolved by the caller.
      if (m) softPre.push(...m[1]!.split(/\s+/).filter(Boolean));
    }
  }
  return { depends, softPre };
}
