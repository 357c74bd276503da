/**
 * The root trees the NFS service serves, unpacked from each version's
 * root.squashfs with unsquashfs into `<data_dir>/nfs-trees/<name>@<version>/`,
 * once per version and kept while the version exists.
 *
 * Why unpack rather than read the squashfs in place: a version keeps only
 * root.squashfs (the `source/` tree is the image's, changed by `image shell`
 * and the next build, so it is not a version's), and images are zstd by
 * default, which Node 20's zlib cannot decompress (nor xz, lz4 or lzo): a
 * pure reader would need its own decompressors for every compression
 * mksquashfs offers. unsquashfs is already a dependency of image builds;
 * measured on this project's 2-core machines it unpacks a 48 MB,
 * 3,263-file tree from an 11 MB zstd image in 0.4 s (gzip: 1.4 s), so a
 * 1.5 GB Debian root costs tens of seconds once per version, and reads then
 * come from the page cache at the speed of the file system. The cost is the
 * disk space of the unpacked tree.
 *
 * A tree appears by one rename of a complete folder, so a crash in the
 * middle leaves only a hidden `.unpack-*` folder, removed at the next start.
 */
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { formatExportName } from "./image-name.js";
import { runTool } from "./run-tool.js";

export const NFS_TREES_DIR = "nfs-trees";

export class SquashfsTreeCache {
  readonly dir: string;
  readonly #unsquashfs: string;
  readonly #unpacking = new Map<string, Promise<string>>();

  constructor(dir: string, options: { unsquashfs?: string | undefined } = {}) {
    this.dir = dir;
    this.#unsquashfs = options.unsquashfs ?? "unsquashfs";
  }

  /** The unpacked tree of a version, unpacking `rootfs` first when needed. */
  tree(name: string, version: string, rootfs: string): Promise<string> {
    const folder = formatExportName(name, version);
    const running = this.#unpacking.get(folder);
    if (running) return running;
    const work = this.#unpack(folder, rootfs).finally(() => this.#unpacking.delete(folder));
    this.#unpacking.set(folder, work);
    return work;
  }

  async #unpack(folder: string, rootfs: string): Promise<string> {
    const target = join(this.dir, folder);
    if (await isDir(target)) return target;
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.unpack-${process.pid}-${folder}`);
    await rm(tmp, { recursive: true, force: true });
    try {
      // -n: no progress bar; -no-xattrs: NFSv3 carries none; -d: where.
      await runTool(this.#unsquashfs, ["-n", "-no-xattrs", "-d", tmp, rootfs]);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return target;
  }

  /** Removes unpacked trees of versions not in `keep` (`name@version`), and unfinished ones. */
  async prune(keep: ReadonlySet<string>): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const n of names) {
      if (keep.has(n) || this.#unpacking.has(n)) continue;
      if (n.startsWith(".unpack-") && this.#isOurs(n)) continue;
      await rm(join(this.dir, n), { recursive: true, force: true });
      removed.push(n);
    }
    return removed;
  }

  #isOurs(name: string): boolean {
    return (
      name.startsWith(`.unpack-${process.pid}-`) &&
      this.#unpacking.has(name.slice(`.unpack-${process.pid}-`.length))
    );
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
