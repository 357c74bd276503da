/**
 * Finds a dynamically linked program's interpreter and every library it
 * loads, inside an image's root, the way ld.so(8) would search: DT_RUNPATH
 * (with $ORIGIN), /etc/ld.so.conf, then the multiarch and default folders.
 * Used to carry nbd-client (and, for images without a static one, busybox)
 * into the client hook with exactly the libraries of the image it came from.
 */
import { readdir, readFile } from "node:fs/promises";
import { basename, join, posix } from "node:path";
import { type ElfInfo, isElf, multiarchTriplet, parseElf } from "./elf-file.js";
import { ImageError } from "./image-error.js";
import { realPathInRoot, resolveInRoot } from "./root-path.js";

export interface ResolvedFile {
  /** The name it is loaded by: the soname, or the interpreter's file name. */
  readonly name: string;
  /** Where its bytes are on the build host. */
  readonly hostPath: string;
}

export interface ResolvedProgram {
  /** The program file on the build host. */
  readonly hostPath: string;
  readonly elf: ElfInfo;
  /** Absent for a static program. */
  readonly interpreter?: ResolvedFile | undefined;
  readonly libraries: readonly ResolvedFile[];
}

export async function resolveProgram(root: string, programPath: string): Promise<ResolvedProgram> {
  const real = await realPathInRoot(root, programPath);
  if (real === undefined) {
    throw new ImageError("SOURCE_INVALID", `${programPath} does not exist in ${root}`);
  }
  const hostPath = join(root, real);
  const elf = await readElf(hostPath);
  if (!elf.interpreter) return { hostPath, elf, libraries: [] };
  const interpHost = await resolveInRoot(root, elf.interpreter);
  if (!interpHost) {
    throw new ImageError(
      "SOURCE_INVALID",
      `${programPath} in ${root} needs the loader ${elf.interpreter}, which the image does not have`,
    );
  }
  const dirs = await searchDirs(root, elf);
  const libraries: ResolvedFile[] = [];
  const seen = new Set<string>();
  const queue: Array<{ needed: string; from: string; runpath: readonly string[] }> = elf.needed.map((n) => ({
    needed: n,
    from: posix.dirname(real),
    runpath: elf.runpath,
  }));
  while (queue.length) {
    const { needed, from, runpath } = queue.shift()!;
    if (seen.has(needed)) continue;
    seen.add(needed);
    const found = await findLibrary(root, needed, elf, [
      ...runpath.map((p) => p.replace(/\$\{?ORIGIN\}?/g, from)),
      ...dirs,
    ]);
    if (!found) {
      throw new ImageError(
        "SOURCE_INVALID",
        `${programPath} in ${root} needs ${needed}, which is in none of ${dirs.join(", ")}`,
      );
    }
    libraries.push({ name: needed, hostPath: join(root, found.real) });
    for (const n of found.elf.needed) {
      if (!seen.has(n))
        queue.push({ needed: n, from: posix.dirname(found.real), runpath: found.elf.runpath });
    }
  }
  return {
    hostPath,
    elf,
    interpreter: { name: basename(elf.interpreter), hostPath: interpHost },
    libraries,
  };
}

async function readElf(path: string): Promise<ElfInfo> {
  const buf = await readFile(path);
  if (!isElf(buf)) throw new ImageError("SOURCE_INVALID", `${path} is not an ELF program`);
  try {
    return parseElf(buf);
  } catch (err) {
    throw new ImageError("SOURCE_INVALID", `${path}: ${(err as Error).message}`);
  }
}

async function findLibrary(
  root: string,
  soname: string,
  want: ElfInfo,
  dirs: readonly string[],
): Promise<{ real: string; elf: ElfInfo } | undefined> {
  if (soname.includes("/")) dirs = [posix.dirname(soname)];
  for (const dir of dirs) {
    const real = await realPathInRoot(root, posix.join(dir, basename(soname)));
    if (real === undefined) continue;
    let elf: ElfInfo;
    try {
      elf = parseElf(await readFile(join(root, real)));
    } catch {
      continue;
    }
    // ld.so skips libraries of another class or machine (lib32, libx32).
    if (elf.bits === want.bits && elf.machine === want.machine) return { real, elf };
  }
  return undefined;
}

async function searchDirs(root: string, elf: ElfInfo): Promise<string[]> {
  const triplet = multiarchTriplet(elf.machine, elf.bits);
  const dirs = [
    ...(await ldSoConf(root, "/etc/ld.so.conf", 0)),
    ...(triplet ? [`/lib/${triplet}`, `/usr/lib/${triplet}`] : []),
    ...(elf.bits === 64 ? ["/lib64", "/usr/lib64"] : ["/lib32", "/usr/lib32"]),
    "/lib",
    "/usr/lib",
  ];
  return [...new Set(dirs)];
}

/** The folders in ld.so.conf, following `include` lines (simple `*` globs). */
async function ldSoConf(root: string, file: string, depth: number): Promise<string[]> {
  if (depth > 8) return [];
  const host = await resolveInRoot(root, file);
  if (!host) return [];
  let text: string;
  try {
    text = await readFile(host, "utf8");
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const inc = /^include\s+(.+)$/.exec(line);
    if (!inc) {
      if (line.startsWith("/")) out.push(line);
      continue;
    }
    const pattern = posix.isAbsolute(inc[1]!) ? inc[1]! : posix.join(posix.dirname(file), inc[1]!);
    const dir = posix.dirname(pattern);
    const re = new RegExp(
      `^${basename(pattern)
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
    );
    const hostDir = await resolveInRoot(root, dir);
    if (!hostDir) continue;
    let names: string[] = [];
    try {
      names = (await readdir(hostDir)).filter((n) => re.test(n)).sort();
    } catch {}
    for (const n of names) out.push(...(await ldSoConf(root, posix.join(dir, n), depth + 1)));
  }
  return out;
}
