/**
 * What `--from` names, and how each kind becomes a root tree to build from:
 * a folder is used as is; `debootstrap:SUITE` runs mmdebstrap (or
 * debootstrap) from a Debian mirror; an image file (squashfs, ext4, erofs) is
 * mounted read-only through a loop device, or, when that is not possible
 * (not root, no loop devices), unpacked with the format's own tool.
 */
import { execFileSync } from "node:child_process";
import { mkdir, open, rm, rmdir, stat } from "node:fs/promises";
import { ImageError } from "./image-error.js";
import type { ProgressReporter } from "./progress-reporter.js";
import { runTool } from "./run-tool.js";
import { parseSquashfsProgress } from "./squash-root.js";

export type ImageFileFormat = "squashfs" | "ext4" | "erofs";

export type ParsedFrom =
  | { readonly kind: "dir"; readonly path: string }
  | { readonly kind: "debootstrap"; readonly suite: string; readonly tool?: "mmdebstrap" | "debootstrap" }
  | { readonly kind: "file"; readonly path: string; readonly format: ImageFileFormat };

export const DEFAULT_MIRROR = "http://deb.debian.org/debian";

/** Parses and checks `--from`; throws SOURCE_MISSING or SOURCE_INVALID with what to do. */
export async function parseFrom(from: string): Promise<ParsedFrom> {
  const boot = /^(debootstrap|mmdebstrap):(.*)$/.exec(from);
  if (boot) {
    const suite = boot[2]!;
    if (!/^[a-z0-9][a-z0-9.+-]*$/.test(suite)) {
      throw new ImageError(
        "SOURCE_INVALID",
        `invalid suite '${suite}' in --from ${from}: name a Debian suite, e.g. debootstrap:bookworm`,
      );
    }
    return boot[1] === "mmdebstrap"
      ? { kind: "debootstrap", suite, tool: "mmdebstrap" }
      : { kind: "debootstrap", suite };
  }
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(from);
  } catch {
    throw new ImageError(
      "SOURCE_MISSING",
      `--from ${from}: no such folder or file (give a root folder, debootstrap:SUITE, or a squashfs/ext4/erofs image file)`,
    );
  }
  if (st.isDirectory()) return { kind: "dir", path: from };
  if (!st.isFile() && !st.isBlockDevice()) {
    throw new ImageError("SOURCE_INVALID", `--from ${from} is neither a folder nor an image file`);
  }
  const format = await detectImageFormat(from);
  if (!format) {
    throw new ImageError(
      "SOURCE_INVALID",
      `--from ${from} is not a squashfs, ext4 or erofs image (no magic number found): ` +
        "give a root folder, debootstrap:SUITE, or one of those image files",
    );
  }
  return { kind: "file", path: from, format };
}

/**
 * By magic number: squashfs "hsqs" at 0; erofs 0xE0F5E1E2 (LE) at 1024;
 * ext2/3/4 0xEF53 (LE) at 1024 + 56, the superblock's s_magic.
 */
export async function detectImageFormat(path: string): Promise<ImageFileFormat | undefined> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(2048);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead >= 4 && buf.toString("latin1", 0, 4) === "hsqs") return "squashfs";
    if (bytesRead >= 1028 && buf.readUInt32LE(1024) === 0xe0f5e1e2) return "erofs";
    if (bytesRead >= 1082 && buf.readUInt16LE(1080) === 0xef53) return "ext4";
    return undefined;
  } finally {
    await fh.close();
  }
}

export interface BootstrapOptions {
  readonly suite: string;
  readonly target: string;
  readonly tool?: "mmdebstrap" | "debootstrap" | undefined;
  readonly mirror?: string | undefined;
  readonly include?: readonly string[] | undefined;
  readonly variant?: string | undefined;
  readonly arch?: string | undefined;
  /** Leave out the kernel and nbd-client (the caller provides them another way). */
  readonly noDefaultPackages?: boolean | undefined;
  readonly progress: ProgressReporter;
}

export interface BootstrapResult {
  readonly tool: "mmdebstrap" | "debootstrap";
  readonly mirror: string;
  readonly include: readonly string[];
  readonly variant?: string | undefined;
  readonly arch: string;
}

const KERNEL_PACKAGE: Readonly<Record<string, string>> = {
  amd64: "linux-image-amd64",
  arm64: "linux-image-arm64",
  i386: "linux-image-686",
  armhf: "linux-image-armmp",
  riscv64: "linux-image-riscv64",
  ppc64el: "linux-image-powerpc64le",
  s390x: "linux-image-s390x",
};

export function hostDebianArch(): string {
  try {
    return execFileSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).trim();
  } catch {
    return process.arch === "x64" ? "amd64" : process.arch === "ia32" ? "i386" : process.arch;
  }
}

async function haveTool(tool: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    try {
      if ((await stat(`${dir}/${tool}`)).isFile()) return true;
    } catch {}
  }
  return false;
}

/**
 * Bootstraps a Debian root into `target` (which must not exist or be
 * empty), with the kernel package for the architecture and nbd-client
 * added to the packages asked for: the client hook needs both.
 */
export async function bootstrapRoot(opts: BootstrapOptions): Promise<BootstrapResult> {
  const arch = opts.arch ?? hostDebianArch();
  const mirror = opts.mirror ?? DEFAULT_MIRROR;
  const include = [...(opts.include ?? [])];
  if (!opts.noDefaultPackages) {
    const kernel = KERNEL_PACKAGE[arch];
    if (!kernel) {
      throw new ImageError(
        "SOURCE_INVALID",
        `no known Debian kernel package for architecture ${arch}: name one with --include`,
      );
    }
    for (const p of [kernel, "nbd-client"]) if (!include.includes(p)) include.push(p);
  }
  let tool = opts.tool;
  if (!tool) tool = (await haveTool("mmdebstrap")) ? "mmdebstrap" : "debootstrap";
  const args =
    tool === "mmdebstrap"
      ? [
          `--architectures=${arch}`,
          ...(opts.variant ? [`--variant=${opts.variant}`] : []),
          ...(include.length ? [`--include=${include.join(",")}`] : []),
          opts.suite,
          opts.target,
          mirror,
        ]
      : [
          `--arch=${arch}`,
          ...(opts.variant ? [`--variant=${opts.variant}`] : []),
          ...(include.length ? [`--include=${include.join(",")}`] : []),
          opts.suite,
          opts.target,
          mirror,
        ];
  await mkdir(opts.target, { recursive: true });
  let last = "";
  await runTool(tool, args, {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    onLine: (line) => {
      // Both tools say what they do on lines starting "I: ".
      if (line.startsWith("I: ") && line !== last) {
        last = line;
        opts.progress.note(`${tool}: ${line.slice(3)}`);
      }
    },
  });
  return { tool, mirror, include, variant: opts.variant, arch };
}

export interface OpenedImageFile {
  /** The image's root tree: a read-only loop mount or an unpacked copy. */
  readonly root: string;
  /** True when unpacked with a tool that loses device nodes or setuid bits. */
  readonly lossy: boolean;
  readonly mounted: boolean;
  close(): Promise<void>;
}

/**
 * Makes an image file's tree readable at `workDir`: a read-only loop mount
 * when possible, else the format's unpacking tool.
 */
export async function openImageFile(
  path: string,
  format: ImageFileFormat,
  workDir: string,
  progress: ProgressReporter,
): Promise<OpenedImageFile> {
  await mkdir(workDir, { recursive: true });
  try {
    // noload: do not replay an ext4 journal, which would write to the file.
    await runTool("mount", [
      "-t",
      format,
      "-o",
      format === "ext4" ? "loop,ro,noload" : "loop,ro",
      path,
      workDir,
    ]);
    return {
      root: workDir,
      lossy: false,
      mounted: true,
      close: async () => {
        try {
          await runTool("umount", [workDir]);
        } catch {
          await runTool("umount", ["-l", workDir]).catch(() => {});
        }
        await rmdir(workDir).catch(() => {});
      },
    };
  } catch (err) {
    progress.note(`cannot mount ${path} (${(err as Error).message.split("\n")[0]}); unpacking it instead`);
  }
  const close = async () => {
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    if (format === "squashfs") {
      await rmdir(workDir);
      await runTool("unsquashfs", ["-d", workDir, "-f", path], {
        onLine: (line) => {
          const f = parseSquashfsProgress(line);
          if (f !== undefined) progress.update(f);
        },
      });
      return { root: workDir, lossy: false, mounted: false, close };
    }
    if (format === "erofs") {
      await runTool("fsck.erofs", [`--extract=${workDir}`, path]);
    } else {
      await runTool("debugfs", ["-R", `rdump / ${workDir}`, path]);
    }
    progress.note(
      `${path} was unpacked with ${format === "erofs" ? "fsck.erofs" : "debugfs"}, which loses setuid bits ` +
        `${format === "ext4" ? "and device nodes " : ""}; build as root to mount it instead`,
    );
    return { root: workDir, lossy: true, mounted: false, close };
  } catch (err) {
    await close();
    throw err;
  }
}
