/**
 * The image store on disk, and the one API other services use to find image
 * files. Layout under `<data_dir>/images/`:
 *
 *   <name>/current                  symlink -> <version>; switched by rename(2), so a
 *                                   reader sees the old or the new version, never none
 *   <name>/<version>/root.squashfs  the read-only root, served over NBD
 *   <name>/<version>/vmlinuz        kernel, from the image's /boot
 *   <name>/<version>/initrd.img     the image's initrd with the client hook appended
 *   <name>/<version>/manifest.json  size, sha256, kernel version, created, source
 *   <name>/source/                  the root tree of the last folder/debootstrap build
 *                                   (`image shell` and `image commit` work on it)
 *   <name>/.build-*                 builds in progress; hidden, never listed
 *
 * A version folder appears by one rename of a complete build folder, so every
 * listed version has all four files.
 *
 * In-use tracking: the NBD service acquires a version while a client is
 * connected and releases it on disconnect, and `removeVersion`/pruning
 * refuse versions in use. Acquisitions are counted in memory and also
 * marked on disk, one file per process and version,
 * `<name>/.in-use/<version>/<pid>`, that lists the process's holders, so a
 * `bootfleet image rm` run beside `bootfleet serve` sees what the server's
 * clients use; marks of a process that is gone (a crashed server) are
 * ignored and cleaned up. An `inUse` callback can add other knowledge.
 * The mark exists from the first holder's acquisition to the last one's
 * release, written before acquire() returns; the list of names in it is
 * rewritten at most once per MARK_REWRITE_MS, since a file created per
 * client cost a storm of 500 machines more CPU than their DHCP did.
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { lstat, readdir, rename, rm, stat, symlink } from "node:fs/promises";
import { join } from "node:path";
import { ImageError } from "./image-error.js";
import { type ImageManifest, MANIFEST_FILE, readManifest } from "./image-manifest.js";
import { assertImageName, formatExportName, isImageName } from "./image-name.js";
import { compareVersions, isImageVersion } from "./image-version.js";

export const ROOTFS_FILE = "root.squashfs";
export const KERNEL_FILE = "vmlinuz";
export const INITRD_FILE = "initrd.img";
export const CURRENT_LINK = "current";
export const SOURCE_DIR = "source";
export const IN_USE_DIR = ".in-use";
/** Under the data folder: the NBD service's copy-on-write layers, one folder per export version. */
export const NBD_COW_DIR = "nbd-cow";

export interface ImageVersionPaths {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly rootfs: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly manifest: string;
}

export interface ImageSummary {
  readonly name: string;
  /** Oldest first. */
  readonly versions: readonly string[];
  readonly current?: string | undefined;
  /** A source tree is kept (built from a folder or debootstrap): `image shell` works. */
  readonly hasSource: boolean;
}

export type InUseCheck = (name: string, version: string) => boolean;

export class ImageCatalog {
  readonly dataDir: string;
  readonly imagesDir: string;
  readonly #holders = new Map<string, Map<string, number>>();
  /** Each image's listing, by name, while its folder is unchanged (#listing). */
  readonly #listings = new Map<string, ImageListing>();
  readonly #externalInUse: InUseCheck | undefined;

  readonly #markOnDisk: boolean;
  /** Versions whose mark lists holders that have changed since it was written (by export name). */
  readonly #staleMarks = new Map<string, { readonly name: string; readonly version: string }>();
  #markTimer: NodeJS.Timeout | undefined;

  /**
   * `inUse`: asked besides this catalog's own acquisitions and the marks on disk.
   * `markOnDisk` (default true): write in-use marks other processes see.
   */
  constructor(
    dataDir: string,
    options: { inUse?: InUseCheck | undefined; markOnDisk?: boolean | undefined } = {},
  ) {
    this.dataDir = dataDir;
    this.imagesDir = join(dataDir, "images");
    this.#externalInUse = options.inUse;
    this.#markOnDisk = options.markOnDisk ?? true;
  }

  /**
   * Where the NBD service keeps per-machine copy-on-write layers of one
   * version (`nbd: { cow: true, cow_keep: true }`): removed with the version.
   */
  keptCowDir(name: string, version: string): string {
    return join(this.dataDir, NBD_COW_DIR, formatExportName(name, version));
  }

  imageDir(name: string): string {
    return join(this.imagesDir, assertImageName(name));
  }

  sourceDir(name: string): string {
    return join(this.imageDir(name), SOURCE_DIR);
  }

  /** Where a version's files are (no check that they exist). */
  versionPaths(name: string, version: string): ImageVersionPaths {
    if (!isImageVersion(version)) {
      throw new ImageError(
        "VERSION_NOT_FOUND",
        `invalid version '${version}' (versions look like 20261124-153000)`,
      );
    }
    const dir = join(this.imageDir(name), version);
    return {
      name,
      version,
      dir,
      rootfs: join(dir, ROOTFS_FILE),
      kernel: join(dir, KERNEL_FILE),
      initrd: join(dir, INITRD_FILE),
      manifest: join(dir, MANIFEST_FILE),
    };
  }

  /** Every image, by name. */
  async list(): Promise<ImageSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.imagesDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const out: ImageSummary[] = [];
    for (const name of names.filter(isImageName).sort()) {
      if (!(await isDir(join(this.imagesDir, name)))) continue;
      out.push({
        name,
        versions: await this.versions(name),
        current: await this.current(name),
        hasSource: await isDir(this.sourceDir(name)),
      });
    }
    return out;
  }

  async exists(name: string): Promise<boolean> {
    return isDir(this.imageDir(name));
  }

  /** Complete versions of an image, oldest first; [] when the image does not exist. */
  async versions(name: string): Promise<string[]> {
    return [...this.#listing(name).versions];
  }

  /** The version `current` points at, when it points at one that exists. */
  async current(name: string): Promise<string | undefined> {
    return this.#listing(name).current;
  }

  /**
   * An image's versions and `current`, read again only when its folder
   * changed. Every NBD connection resolves its export here, so a storm of
   * machines would otherwise list the folder and stat each version once per
   * machine. Any change to the listing (a version added, removed or renamed
   * into place, `current` replaced) changes the folder's mtime, which one
   * stat reads. A listing taken within MTIME_TRUST_MS of the folder's mtime
   * is not kept: a change in the same clock tick would leave the mtime as
   * it was. Synchronous: the folder's inode is cached, and the stat costs
   * less than a trip through libuv's thread pool.
   */
  #listing(name: string): ImageListing {
    const dir = this.imageDir(name);
    let mtimeNs: bigint;
    try {
      mtimeNs = statSync(dir, { bigint: true }).mtimeNs;
    } catch (err) {
      this.#listings.delete(name);
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return NO_LISTING;
      throw err;
    }
    const kept = this.#listings.get(name);
    if (kept && kept.mtimeNs === mtimeNs) return kept;
    const versions: string[] = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!isImageVersion(e.name)) continue;
      if (e.isDirectory() || (e.isSymbolicLink() && isDirSync(join(dir, e.name)))) versions.push(e.name);
    }
    versions.sort(compareVersions);
    let current: string | undefined;
    try {
      const target = readlinkSync(join(dir, CURRENT_LINK));
      if (versions.includes(target)) current = target;
    } catch {}
    const listing = { mtimeNs, versions, current };
    if (Date.now() * 1e6 - Number(mtimeNs) > MTIME_TRUST_MS * 1e6) this.#listings.set(name, listing);
    else this.#listings.delete(name);
    return listing;
  }

  /**
   * The files of a version; without a version, the current one (or, when no
   * `current` link exists, the newest). Throws IMAGE_NOT_FOUND or
   * VERSION_NOT_FOUND with what to do.
   */
  async resolve(name: string, version?: string): Promise<ImageVersionPaths> {
    const { versions, current } = this.#listing(name);
    if (versions.length === 0) {
      throw new ImageError(
        "IMAGE_NOT_FOUND",
        `no image '${name}' in ${this.imagesDir}: build it with 'bootfleet image build ${name} --from DIR|debootstrap:SUITE|FILE'`,
      );
    }
    const chosen = version ?? current ?? versions[versions.length - 1]!;
    if (!versions.includes(chosen)) {
      throw new ImageError(
        "VERSION_NOT_FOUND",
        `image '${name}' has no version '${chosen}': it has ${versions.join(", ")} ('bootfleet image list')`,
      );
    }
    return this.versionPaths(name, chosen);
  }

  async manifest(name: string, version?: string): Promise<ImageManifest> {
    return readManifest((await this.resolve(name, version)).manifest);
  }

  /** Point `current` at a version: a new symlink renamed over the old one (atomic). */
  async setCurrent(name: string, version: string): Promise<void> {
    await this.resolve(name, version);
    const dir = this.imageDir(name);
    const tmp = join(dir, `.current-${process.pid}-${Date.now()}`);
    await rm(tmp, { force: true });
    await symlink(version, tmp);
    try {
      await rename(tmp, join(dir, CURRENT_LINK));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Mark a version as used by `holder` (e.g. a client's MAC or a connection
   * id) until the returned function is called. Counted: the same holder may
   * acquire twice (two NBD connections) and must release twice.
   */
  acquire(name: string, version: string, holder: string): () => void {
    const key = formatExportName(name, version);
    let holders = this.#holders.get(key);
    if (!holders) this.#holders.set(key, (holders = new Map()));
    const count = (holders.get(holder) ?? 0) + 1;
    holders.set(holder, count);
    if (count === 1) this.#markChanged(name, version, holders.size === 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(name, version, holder);
    };
  }

  release(name: string, version: string, holder: string): void {
    const key = formatExportName(name, version);
    const holders = this.#holders.get(key);
    const n = holders?.get(holder);
    if (!holders || n === undefined) return;
    if (n > 1) {
      holders.set(holder, n - 1);
      return;
    }
    holders.delete(holder);
    if (holders.size === 0) this.#holders.delete(key);
    this.#markChanged(name, version, holders.size === 0);
  }

  /** Who holds a version: this process's holders, then other live processes' marks (`pid <n>: holder`). */
  holders(name: string, version: string): string[] {
    const own = [...(this.#holders.get(formatExportName(name, version))?.keys() ?? [])];
    return [...own, ...this.#foreignMarks(name, version)];
  }

  isInUse(name: string, version: string): boolean {
    return this.holders(name, version).length > 0 || (this.#externalInUse?.(name, version) ?? false);
  }

  #markDir(name: string, version: string): string {
    return join(this.imageDir(name), IN_USE_DIR, version);
  }

  /**
   * The holders of a version changed. The first one in, or the last one
   * out, writes or removes the mark now; any other change is written with
   * the next batch.
   */
  #markChanged(name: string, version: string, now: boolean): void {
    if (!this.#markOnDisk) return;
    const key = formatExportName(name, version);
    if (!now) {
      this.#staleMarks.set(key, { name, version });
      this.#markTimer ??= setTimeout(() => this.#rewriteMarks(), MARK_REWRITE_MS).unref();
      return;
    }
    this.#staleMarks.delete(key);
    this.#writeMark(name, version);
  }

  #rewriteMarks(): void {
    this.#markTimer = undefined;
    const stale = [...this.#staleMarks.values()];
    this.#staleMarks.clear();
    for (const { name, version } of stale) this.#writeMark(name, version);
  }

  /** The mark as this process's holders are now: their names, or no file when there are none. */
  #writeMark(name: string, version: string): void {
    const holders = this.#holders.get(formatExportName(name, version));
    const dir = this.#markDir(name, version);
    const file = join(dir, String(process.pid));
    try {
      if (holders && holders.size > 0) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(file, `${[...holders.keys()].join("\n")}\n`);
      } else {
        unlinkSync(file);
        rmdirSync(dir);
      }
    } catch {
      // Best effort: the in-memory count is what this process relies on;
      // rmdir fails while other processes' marks remain.
    }
  }

  /** Marks left by other processes that still run; marks of dead ones are removed. */
  #foreignMarks(name: string, version: string): string[] {
    if (!this.#markOnDisk) return [];
    const dir = this.#markDir(name, version);
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const f of files) {
      // `<pid>` lists its holders; `<pid>-<holder>` is one holder (the marks of earlier releases).
      const m = /^(\d+)(?:-(.*))?$/.exec(f);
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === process.pid) continue;
      if (!processAlive(pid)) {
        try {
          unlinkSync(join(dir, f));
        } catch {}
        continue;
      }
      const names = m[2] !== undefined ? [m[2]] : readHolderNames(join(dir, f));
      // A mark being rewritten may read empty: the process still holds the version.
      if (names.length === 0) out.push(`pid ${pid}`);
      for (const n of names) out.push(`pid ${pid}: ${n}`);
    }
    return out;
  }

  /** A bound `isInUse`, for the callbacks the verbs take. */
  readonly inUse: InUseCheck = (name, version) => this.isInUse(name, version);

  /**
   * Remove one version. Refuses the current version (switch first) and a
   * version a client uses. The folder is renamed to a hidden name first, so
   * it disappears from listings at once even if deleting takes a while.
   */
  async removeVersion(name: string, version: string): Promise<void> {
    await this.resolve(name, version); // throws when there is no such version
    if (this.isInUse(name, version)) {
      const who = this.holders(name, version);
      throw new ImageError(
        "VERSION_IN_USE",
        `image ${name} version ${version} is in use${who.length ? ` by ${who.join(", ")}` : ""}: ` +
          "wait until those clients reboot into another version, then remove it",
      );
    }
    if ((await this.current(name)) === version) {
      const others = (await this.versions(name)).filter((v) => v !== version);
      throw new ImageError(
        "VERSION_CURRENT",
        others.length
          ? `image ${name} version ${version} is the current version: switch first ('bootfleet image use ${name} ${others[others.length - 1]}'), or remove the whole image ('bootfleet image rm ${name}')`
          : `image ${name} version ${version} is its only version: remove the whole image with 'bootfleet image rm ${name}'`,
      );
    }
    await this.#discardVersion(name, version);
  }

  /** A version's folder, its in-use marks and the copy-on-write layers kept for it. */
  async #discardVersion(name: string, version: string): Promise<void> {
    await discard(this.versionPaths(name, version).dir);
    await rm(this.#markDir(name, version), { recursive: true, force: true });
    await discard(this.keptCowDir(name, version));
  }

  /** Remove an image with every version and its source tree; refuses when any version is in use. */
  async removeImage(name: string): Promise<void> {
    const dir = this.imageDir(name);
    if (!(await isDir(dir))) {
      throw new ImageError(
        "IMAGE_NOT_FOUND",
        `no image '${name}' in ${this.imagesDir} ('bootfleet image list')`,
      );
    }
    const versions = await this.versions(name);
    const busy = versions.filter((v) => this.isInUse(name, v));
    if (busy.length) {
      throw new ImageError(
        "VERSION_IN_USE",
        `image ${name} is in use (version ${busy.join(", ")}): wait until those clients reboot into another image`,
      );
    }
    for (const v of versions) await discard(this.keptCowDir(name, v));
    await discard(dir);
  }

  /**
   * Bring the image down to `keep` versions, removing the oldest first.
   * Never removed: the current version, versions in use, and the newest
   * version (the build that just finished, current or not), so there can
   * be more than `keep` left. Returns the versions removed.
   */
  async prune(name: string, keep: number): Promise<string[]> {
    const versions = await this.versions(name);
    const current = await this.current(name);
    const newest = versions[versions.length - 1];
    let count = versions.length;
    const removed: string[] = [];
    for (const v of versions) {
      if (count <= Math.max(1, keep)) break;
      if (v === current || v === newest || this.isInUse(name, v)) continue;
      await this.#discardVersion(name, v);
      removed.push(v);
      count--;
    }
    return removed;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** How often a process's in-use marks are rewritten when only their list of names changed. */
const MARK_REWRITE_MS = 1000;

function readHolderNames(file: string): string[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((n) => n !== "");
  } catch {
    return [];
  }
}

interface ImageListing {
  readonly mtimeNs: bigint;
  /** Oldest first. */
  readonly versions: readonly string[];
  readonly current: string | undefined;
}

const NO_LISTING: ImageListing = { mtimeNs: 0n, versions: [], current: undefined };

/**
 * A listing is kept only when its folder's mtime is older than this: file
 * timestamps advance in clock ticks (a few ms), so a change made in the tick
 * the folder was read can leave its mtime unchanged.
 */
const MTIME_TRUST_MS = 1000;

function isDirSync(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Hide then delete: a rename is atomic, a recursive delete is not. */
async function discard(dir: string): Promise<void> {
  const parent = join(dir, "..");
  const hidden = join(parent, `.removing-${process.pid}-${Date.now()}-${dir.split("/").pop()}`);
  try {
    await lstat(dir);
  } catch {
    return;
  }
  await rename(dir, hidden);
  await rm(hidden, { recursive: true, force: true });
}
