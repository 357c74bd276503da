/**
 * `bootfleet image shell NAME`: a shell chrooted into the image's source tree
 * with /proc, /sys and /dev bound (what LTSP admins do with ltsp-chroot), to
 * install packages or edit files; `bootfleet image commit NAME` then makes a
 * version of it.
 *
 * The mounts are made in a private mount namespace (unshare --mount), so
 * they vanish with the shell however it ends and are never seen by the host
 * (nor squashed into the image). The host's /etc/resolv.conf is bound over
 * the image's (when that is a plain file) so apt can resolve names, and a
 * policy-rc.d that forbids starting services is put in place for the
 * session, as ltsp-chroot does, so a package's postinst does not start its
 * daemon inside the chroot.
 */
import { lstat, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ImageCatalog } from "./image-catalog.js";
import { ImageError } from "./image-error.js";
import { lockImage } from "./image-lock.js";
import { resolveInRoot } from "./root-path.js";
import { runTool } from "./run-tool.js";

export interface ImageShellOptions {
  readonly dataDir: string;
  readonly name: string;
  /** Program and arguments run in the chroot; default an interactive login shell. */
  readonly command?: readonly string[] | undefined;
  readonly catalog?: ImageCatalog | undefined;
  /** Non-interactive: capture output instead of passing the terminal through. */
  readonly capture?: boolean | undefined;
}

export interface ImageShellResult {
  readonly exitCode: number;
  /** With `capture`: what the command printed. */
  readonly stdout?: string | undefined;
}

// Runs inside `unshare --mount --propagation private`; $1 is the root.
const SETUP = `set -e
root=$1; shift
mkdir -p "$root/proc" "$root/sys" "$root/dev"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
if [ -f "$root/etc/resolv.conf" ] && [ ! -L "$root/etc/resolv.conf" ] && [ -f /etc/resolv.conf ]; then
  mount --bind /etc/resolv.conf "$root/etc/resolv.conf"
fi
exec chroot "$root" "$@"
`;

export async function imageShell(opts: ImageShellOptions): Promise<ImageShellResult> {
  const catalog = opts.catalog ?? new ImageCatalog(resolve(opts.dataDir));
  const root = catalog.sourceDir(opts.name);
  if (
    !(await stat(root).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    throw new ImageError(
      "SOURCE_MISSING",
      `image ${opts.name} has no source tree (${root}): build it from a folder or debootstrap ` +
        "(or from an image file with --keep-source) first",
    );
  }
  if (process.getuid?.() !== 0) {
    throw new ImageError(
      "TOOL_FAILED",
      "image shell needs root: it mounts /proc, /sys and /dev into the image and chroots (run it with sudo)",
    );
  }
  let command = opts.command ? [...opts.command] : undefined;
  if (!command || command.length === 0) {
    command = (await resolveInRoot(root, "/bin/bash")) ? ["/bin/bash", "-l"] : ["/bin/sh", "-l"];
  }
  const unlock = await lockImage(catalog.imageDir(opts.name), opts.name, "shell");
  // policy-rc.d: only if the image has none of its own, and removed after.
  const policy = join(root, "usr/sbin/policy-rc.d");
  let placedPolicy = false;
  try {
    if (
      (await resolveInRoot(root, "/usr/sbin")) &&
      !(await lstat(policy).then(
        () => true,
        () => false,
      ))
    ) {
      await writeFile(
        policy,
        "#!/bin/sh\n# bootfleet image shell: no services start in the chroot\nexit 101\n",
        {
          mode: 0o755,
        },
      );
      placedPolicy = true;
    }
    const r = await runTool(
      "unshare",
      [
        "--mount",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        SETUP,
        "bootfleet-image-shell",
        root,
        ...command,
      ],
      {
        interactive: !opts.capture,
        captureStdout: opts.capture,
        anyExitCode: true,
        env: { ...process.env, debian_chroot: `bootfleet:${opts.name}` },
      },
    );
    return { exitCode: r.code, stdout: opts.capture ? r.stdout : undefined };
  } finally {
    if (placedPolicy) await rm(policy, { force: true });
    await unlock();
  }
}
