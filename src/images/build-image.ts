/**
 * `bootfleet image build NAME --from DIR|debootstrap:SUITE|FILE` and
 * `bootfleet image commit NAME`: a new version of an image.
 *
 * Everything is written into a hidden folder beside the versions
 * (`<data_dir>/images/<name>/.build-<version>-<pid>`, same filesystem) and
 * renamed into place as the very last step, so a failed build (no kernel, a
 * full disk, a missing tool, Ctrl-C) leaves no half-written version; the
 * folder is removed on failure. Steps, cheapest checks first:
 *
 *   1. source: the folder as is; a debootstrap run; an image file mounted
 *   2. kernel from the image's /boot (NO_KERNEL when there is none)
 *   3. initrd: the image's own with the client hook appended (hook-initrd.ts)
 *   4. root.squashfs: mksquashfs (an existing squashfs file is copied as is)
 *   5. checksums and manifest.json
 *   6. rename into place; keep the source tree; point `current` at it;
 *      remove versions beyond `keep` that are neither current nor in use
 */
import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DEFAULT_IMAGES_KEEP } from "../config/config-schema.js";
import { digestFile } from "./file-digest.js";
import { buildHookInitrd } from "./hook-initrd.js";
import {
  ImageCatalog,
  INITRD_FILE,
  type ImageVersionPaths,
  type InUseCheck,
  KERNEL_FILE,
  ROOTFS_FILE,
  SOURCE_DIR,
} from "./image-catalog.js";
import { ImageError, isDiskFull } from "./image-error.js";
import { lockImage } from "./image-lock.js";
import { type ImageManifest, type ImageSourceInfo, MANIFEST_FILE } from "./image-manifest.js";
import { assertImageName } from "./image-name.js";
import { bootstrapRoot, type OpenedImageFile, openImageFile, parseFrom } from "./image-source.js";
import { nextVersion } from "./image-version.js";
import { findKernel } from "./kernel-image.js";
import { type ProgressReporter, silentProgress } from "./progress-reporter.js";
import { resolveInRoot } from "./root-path.js";
import { runTool } from "./run-tool.js";
import { mountsUnder, squashRoot } from "./squash-root.js";

export interface BuildImageOptions {
  /** `config.server.data_dir`. */
  readonly dataDir: string;
  readonly name: string;
  /** A root folder, `debootstrap:SUITE` (or `mmdebstrap:SUITE`), or a squashfs/ext4/erofs file. */
  readonly from: string;
  /** debootstrap: extra packages (the kernel and nbd-client are always added). */
  readonly include?: readonly string[] | undefined;
  /** debootstrap: the mirror (default http://deb.debian.org/debian). */
  readonly mirror?: string | undefined;
  /** debootstrap: the tool's --variant. */
  readonly variant?: string | undefined;
  /**
   * Debian architecture of the clients: debootstrap bootstraps it (default:
   * the server's); a folder or file must hold programs of it.
   */
  readonly arch?: string | undefined;
  /** debootstrap: do not add the kernel and nbd-client packages. */
  readonly noDefaultPackages?: boolean | undefined;
  /** Which kernel in /boot, when the image has several (default: the newest). */
  readonly kernelVersion?: string | undefined;
  /**
   * A root holding lib/modules/<version> to take the hook's modules from,
   * instead of the image's own (e.g. a `dpkg -x` of the kernel package).
   */
  readonly modulesFrom?: string | undefined;
  /** More kernel modules for the hook (a NIC driver the defaults lack). */
  readonly extraModules?: readonly string[] | undefined;
  /** mksquashfs compression (default zstd). */
  readonly compression?: string | undefined;
  /** Versions kept (`images_keep`, default 3); older ones not current nor in use are removed. */
  readonly keep?: number | undefined;
  /** Point `current` at the new version (default true). */
  readonly activate?: boolean | undefined;
  /** Keep the root tree as `<name>/source` (default: yes for folders and debootstrap, no for files). */
  readonly keepSource?: boolean | undefined;
  /** Versions clients use, in another process (the running server); never pruned. */
  readonly inUse?: InUseCheck | undefined;
  /** Use this catalog (and its in-use tracking) instead of a new one over dataDir. */
  readonly catalog?: ImageCatalog | undefined;
  /** The mksquashfs program (default: from PATH). */
  readonly mksquashfs?: string | undefined;
  /** Where the server's busybox-static and nbd-client are (default "/"). */
  readonly hostRoot?: string | undefined;
  /** Where the hook's compiled helpers are (<dir>/<arch>/bootfleet-nbd); default native/build/client. */
  readonly clientHelpersDir?: string | undefined;
  readonly now?: (() => Date) | undefined;
  /** Internal: this build is `image commit` of the kept source. */
  readonly commit?: boolean | undefined;
}

export interface BuildImageResult {
  readonly name: string;
  readonly version: string;
  readonly paths: ImageVersionPaths;
  readonly manifest: ImageManifest;
  /** Older versions removed to honour `keep`. */
  readonly pruned: readonly string[];
  readonly durationMs: number;
}

export async function buildImage(
  opts: BuildImageOptions,
  progress: ProgressReporter = silentProgress,
): Promise<BuildImageResult> {
  const started = Date.now();
  const name = assertImageName(opts.name);
  const catalog = opts.catalog ?? new ImageCatalog(resolve(opts.dataDir), { inUse: opts.inUse });
  const keep = opts.keep ?? DEFAULT_IMAGES_KEEP;
  if (!Number.isInteger(keep) || keep < 1) {
    throw new ImageError("SOURCE_INVALID", `images_keep must be a whole number of at least 1, not ${keep}`);
  }
  const from = await parseFrom(opts.from);
  const imageDir = catalog.imageDir(name);
  const sourceDir = catalog.sourceDir(name);
  await mkdir(imageDir, { recursive: true });
  const unlock = await lockImage(imageDir, name, opts.commit ? "commit" : "build");

  const version = nextVersion(await catalog.versions(name), (opts.now ?? (() => new Date()))());
  const tag = `${version}-${process.pid}`;
  const buildDir = join(imageDir, `.build-${tag}`);
  const newSource = join(imageDir, `.source-new-${tag}`);
  const mountDir = join(imageDir, `.mnt-${tag}`);
  let opened: OpenedImageFile | undefined;
  let step = "preparing";
  const begin = (label: string) => {
    step = label;
    progress.step(label);
  };

  try {
    await mkdir(buildDir);
    const out = {
      rootfs: join(buildDir, ROOTFS_FILE),
      kernel: join(buildDir, KERNEL_FILE),
      initrd: join(buildDir, INITRD_FILE),
      manifest: join(buildDir, MANIFEST_FILE),
    };

    // 1. The root tree.
    let root: string;
    let source: ImageSourceInfo;
    let keepSource: boolean;
    let copySource = false;
    if (from.kind === "dir") {
      root = resolve(from.path);
      const isOwnSource = root === resolve(sourceDir);
      source = isOwnSource
        ? { kind: "commit", from_version: await catalog.current(name) }
        : { kind: "dir", path: root };
      keepSource = isOwnSource ? true : (opts.keepSource ?? true);
      copySource = keepSource && !isOwnSource;
      const busy = await mountsUnder(root);
      if (busy.length) {
        throw new ImageError(
          "SOURCE_BUSY",
          `${busy.join(", ")} ${busy.length > 1 ? "are" : "is"} mounted inside ${root} ` +
            "(a chroot still open?): leave it, or umount them, and build again",
        );
      }
    } else if (from.kind === "debootstrap") {
      begin(`bootstrapping Debian ${from.suite}`);
      const r = await bootstrapRoot({
        suite: from.suite,
        target: newSource,
        tool: from.tool,
        mirror: opts.mirror,
        include: opts.include,
        variant: opts.variant,
        arch: opts.arch,
        noDefaultPackages: opts.noDefaultPackages,
        progress,
      });
      root = newSource;
      source = {
        kind: "debootstrap",
        tool: r.tool,
        suite: from.suite,
        mirror: r.mirror,
        include: r.include,
        variant: r.variant,
      };
      keepSource = opts.keepSource ?? true;
    } else {
      begin(`opening ${from.path}`);
      opened = await openImageFile(resolve(from.path), from.format, mountDir, progress);
      root = opened.root;
      source = { kind: "file", path: resolve(from.path), format: from.format };
      keepSource = opts.keepSource ?? false;
      copySource = keepSource;
    }
    if (!(await resolveInRoot(root, "/sbin/init"))) {
      progress.note(`note: ${root} has no /sbin/init; clients will need bootfleet.init=PATH`);
    }

    // 2. The kernel.
    begin("kernel");
    const kernel = await findKernel(root, opts.kernelVersion);
    await copyFile(kernel.kernel, out.kernel);

    // 3. The initrd with the client hook.
    begin("client hook");
    const hook = await buildHookInitrd({
      root,
      kernelVersion: kernel.version,
      modulesRoot: opts.modulesFrom,
      baseInitrd: kernel.initrd,
      extraModules: opts.extraModules,
      hostRoot: opts.hostRoot,
      clientHelpersDir: opts.clientHelpersDir,
      imageName: name,
      imageVersion: version,
      output: out.initrd,
      onNote: (t) => progress.note(t),
    });
    // A folder or file of another architecture's programs (an arm64 root
    // unpacked on an amd64 server) builds as it is; --arch makes sure it is
    // the one meant, before the squash.
    if (opts.arch !== undefined && hook.arch !== opts.arch)
      throw new ImageError(
        "SOURCE_INVALID",
        `--arch ${opts.arch}, but the programs in ${root} are built for ${hook.arch}: ` +
          `give a root of ${opts.arch} packages (apt-get download PACKAGE:${opts.arch} and dpkg -x unpack them without running them)`,
      );

    // 4. The squashfs.
    if (from.kind === "file" && from.format === "squashfs") {
      begin("copying squashfs");
      await copyWithProgress(resolve(from.path), out.rootfs, (f) => progress.update(f));
    } else {
      begin("squashing");
      await squashRoot({
        source: root,
        output: out.rootfs,
        compression: opts.compression,
        mksquashfs: opts.mksquashfs,
        progress,
      });
    }

    // 5. Checksums and the manifest.
    begin("checksums");
    const rootfs = await digestFile(out.rootfs, (f) => progress.update(f));
    const kernelDigest = await digestFile(out.kernel);
    const initrdDigest = await digestFile(out.initrd);
    const { arch, ...hookInfo } = hook;
    const manifest: ImageManifest = {
      format: 1,
      name,
      version,
      created: new Date().toISOString(),
      source,
      size: rootfs.size,
      sha256: rootfs.sha256,
      compression:
        from.kind === "file" && from.format === "squashfs" ? "as given" : (opts.compression ?? "zstd"),
      kernel_version: kernel.version,
      arch,
      kernel: { file: KERNEL_FILE, ...kernelDigest },
      initrd: { file: INITRD_FILE, ...initrdDigest },
      hook: hookInfo,
    };
    await writeFile(out.manifest, `${JSON.stringify(manifest, null, 2)}\n`);

    // The source tree to keep, copied before anything becomes visible.
    if (copySource) {
      begin("keeping the source tree");
      await mkdir(newSource, { recursive: true });
      await runTool("cp", ["-a", "--one-file-system", `${root}/.`, `${newSource}/`]);
    }
    if (opened) {
      await opened.close();
      opened = undefined;
    }

    // 6. Into place: one rename makes the version visible, complete.
    begin("publishing");
    const paths = catalog.versionPaths(name, version);
    await rename(buildDir, paths.dir);
    if (keepSource && root !== resolve(sourceDir)) await swapSource(imageDir, newSource);
    if (opts.activate ?? true) await catalog.setCurrent(name, version);
    const pruned = await catalog.prune(name, keep);
    for (const v of pruned) progress.note(`removed old version ${name} ${v} (images_keep ${keep})`);
    progress.done();
    return { name, version, paths, manifest, pruned, durationMs: Date.now() - started };
  } catch (err) {
    progress.done();
    if (opened) await opened.close().catch(() => {});
    await rm(buildDir, { recursive: true, force: true }).catch(() => {});
    await rm(newSource, { recursive: true, force: true }).catch(() => {});
    if (isDiskFull(err)) {
      throw new ImageError(
        "DISK_FULL",
        `no space left on the disk of ${imageDir} while ${step}: free some space (remove old versions with ` +
          `'bootfleet image rm ${name} VERSION', lower images_keep) or move server.data_dir to a larger disk, ` +
          "then build again; nothing of this build was kept",
        { cause: err },
      );
    }
    throw err;
  } finally {
    await unlock();
  }
}

/** Replace `<image>/source` with a new tree: two renames, then the old tree is deleted. */
async function swapSource(imageDir: string, newSource: string): Promise<void> {
  const current = join(imageDir, SOURCE_DIR);
  const old = join(imageDir, `.source-old-${process.pid}-${Date.now()}`);
  let hadOld = true;
  try {
    await rename(current, old);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    hadOld = false;
  }
  await rename(newSource, current);
  if (hadOld) await rm(old, { recursive: true, force: true });
}

async function copyWithProgress(from: string, to: string, onProgress: (fraction: number) => void) {
  const { size } = await stat(from);
  let done = 0;
  await pipeline(
    createReadStream(from, { highWaterMark: 1 << 20 }),
    new Transform({
      transform(chunk: Buffer, _enc, cb) {
        done += chunk.length;
        onProgress(size ? done / size : 1);
        cb(null, chunk);
      },
    }),
    createWriteStream(to),
  );
}
