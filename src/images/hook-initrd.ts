/**
 * Builds a version's initrd.img: the image's own initrd (when it has one)
 * with the client hook appended as a second, gzip-compressed cpio archive.
 * The kernel unpacks concatenated archives in order, later entries replacing
 * earlier ones (Documentation/driver-api/early-userspace/buffer-format.rst),
 * so the hook's /init takes over from the image's.
 *
 * What the hook carries, all under /bootfleet so nothing of the base initrd
 * is disturbed:
 *   /init                           src/client-hook/bootfleet-init.sh
 *   /bootfleet/udhcpc.script        the DHCP lease script
 *   /bootfleet/bin/busybox          static busybox: the image's, else the server's
 *                                   (Debian's busybox-static); applet links are made at boot
 *   /bootfleet/sbin/bootfleet-nbd   the static NBD connector that keeps the root alive across
 *                                   server restarts (src/client-hook/bootfleet-nbd.c), built for
 *                                   the image's architecture by scripts/build-client-helpers.mjs
 *   /bootfleet/sbin/nbd-client      nbd-client from the image (else the server's), run through
 *   /bootfleet/libexec, /bootfleet/lib  its own ld.so with its libraries, copied from the
 *                                   same root, so the base initrd's libc never matters. The
 *                                   fallback when there is no bootfleet-nbd for the architecture
 *                                   (required then, optional otherwise)
 *   /bootfleet/modules/*.ko, load-order   nbd, squashfs, overlay, nfsv3, NIC and disk drivers with
 *                                   their dependencies, for the image's kernel
 *   /bootfleet/hook.conf            image, version, kernel, hook version
 *   /dev/console                    the kernel opens it for init's stdio before anything
 *                                   is mounted
 */
import { createHash } from "node:crypto";
import { appendFile, copyFile, readFile, stat, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { findClientHelper } from "../client-hook/client-helper.js";
import { HOOK_VERSION, readHookFile } from "../client-hook/hook-files.js";
import { CpioNewcWriter } from "./cpio-newc-writer.js";
import { EM_386, EM_AARCH64, EM_ARM, EM_RISCV, EM_X86_64, isElf, parseElf } from "./elf-file.js";
import { ImageError } from "./image-error.js";
import type { HookInfo } from "./image-manifest.js";
import { collectModules } from "./kernel-modules.js";
import { resolveInRoot } from "./root-path.js";
import { type ResolvedProgram, resolveProgram } from "./shared-library-resolver.js";

/** Without these the client cannot mount its root: a kernel lacking them is refused at build. */
export const REQUIRED_MODULES: readonly string[] = ["nbd", "squashfs", "overlay"];
/**
 * NIC drivers (QEMU's virtio and e1000, common Intel), what a scratch disk
 * needs, and loop for a root fetched into RAM (`root: ram` mounts the
 * squashfs file).
 */
export const OPTIONAL_MODULES: readonly string[] = [
  "virtio_pci",
  "virtio_net",
  "e1000",
  "e1000e",
  "af_packet",
  "virtio_blk",
  "virtio_scsi",
  "sd_mod",
  "ahci",
  "ata_piix",
  "nvme",
  "ext4",
  "loop",
  // A root over NFSv3 (bootfleet.nfs=): Debian builds the client as modules.
  "nfsv3",
];

export interface HookInitrdOptions {
  /** The image's root tree. */
  readonly root: string;
  readonly kernelVersion: string;
  /** Root holding lib/modules/<kernelVersion>; default: the image's root. */
  readonly modulesRoot?: string | undefined;
  /** The image's own initrd, to append to; absent: the hook is the whole initrd. */
  readonly baseInitrd?: string | undefined;
  readonly extraModules?: readonly string[] | undefined;
  /** Where busybox-static and nbd-client are taken from when the image lacks them; default "/". */
  readonly hostRoot?: string | undefined;
  readonly imageName: string;
  readonly imageVersion: string;
  readonly output: string;
  /** Where the client helpers' builds are (<dir>/<arch>/bootfleet-nbd); default: native/build/client. */
  readonly clientHelpersDir?: string | undefined;
  /** mtime stamped on the hook's cpio entries (seconds). */
  readonly mtime?: number | undefined;
  readonly onNote?: ((text: string) => void) | undefined;
}

export interface HookInitrdResult extends HookInfo {
  /** Debian architecture of the image's programs: amd64, arm64... */
  readonly arch: string;
}

const DEBIAN_ARCH: Readonly<Record<number, string>> = {
  [EM_X86_64]: "amd64",
  [EM_AARCH64]: "arm64",
  [EM_386]: "i386",
  [EM_ARM]: "armhf",
  [EM_RISCV]: "riscv64",
};

export async function buildHookInitrd(opts: HookInitrdOptions): Promise<HookInitrdResult> {
  const hostRoot = opts.hostRoot ?? "/";
  const note = opts.onNote ?? (() => {});
  const machine = await imageMachine(opts.root);
  const cpio = new CpioNewcWriter({ mtime: opts.mtime ?? Math.floor(Date.now() / 1000) });

  for (const d of ["dev", "proc", "sys", "run", "tmp", "newroot", "bootfleet/ro", "bootfleet/rw"])
    cpio.dir(d);
  cpio.charDevice("dev/console", 5, 1, 0o600);
  cpio.charDevice("dev/null", 1, 3, 0o666);
  cpio.file("init", await readHookFile("bootfleet-init.sh"), 0o755);
  cpio.file("bootfleet/udhcpc.script", await readHookFile("udhcpc.script"), 0o755);

  // busybox: a static one, so it runs whatever libc the base initrd has (or none).
  const busybox = await findStaticBusybox(opts.root, hostRoot, machine);
  if (!busybox) {
    throw new ImageError(
      "NO_BUSYBOX",
      "no static busybox for the client hook: the image has none and neither has this server; " +
        "install busybox-static on the server ('apt-get install busybox-static') or in the image",
    );
  }
  if (busybox.from.startsWith("host:"))
    note(`busybox for the hook: the server's ${busybox.path} (the image has no static busybox)`);
  cpio.dir("bootfleet/bin");
  cpio.file("bootfleet/bin/busybox", await readFile(busybox.hostPath), 0o755);

  // bootfleet-nbd: static, one build per architecture; it must match the
  // image's programs, since it runs on the image's kernel.
  const helper =
    machine === undefined
      ? undefined
      : await findClientHelper("bootfleet-nbd", machine, opts.clientHelpersDir);
  if (helper && parseElf(helper.content).machine !== machine) {
    throw new ImageError(
      "CLIENT_HELPER_INVALID",
      `${helper.path} is not built for ${DEBIAN_ARCH[machine ?? -1] ?? "this image's architecture"}: rebuild it with 'npm run build'`,
    );
  }
  if (helper) {
    cpio.dir("bootfleet/sbin");
    cpio.file("bootfleet/sbin/bootfleet-nbd", helper.content, 0o755);
  } else {
    note(
      `no bootfleet-nbd for ${DEBIAN_ARCH[machine ?? -1] ?? "this image's architecture"} (run 'npm run build'; arm64 needs gcc-aarch64-linux-gnu): ` +
        "clients of this image use nbd-client, and their root does not survive a server restart",
    );
  }

  // nbd-client with its own loader and libraries: the fallback for a hook
  // without bootfleet-nbd, and what images built before it carried.
  const nbd = await findProgram(["/usr/sbin/nbd-client", "/sbin/nbd-client"], opts.root, hostRoot, machine);
  if (!nbd && !helper) {
    throw new ImageError(
      "NO_NBD_CLIENT",
      "no nbd-client for the client hook: install the nbd-client package in the image " +
        "('apt-get install nbd-client' in 'bootfleet image shell NAME', then 'bootfleet image commit NAME') or on this server",
    );
  }
  if (nbd) {
    if (nbd.from.startsWith("host:"))
      note(`nbd-client for the hook: the server's ${nbd.path} (the image has none)`);
    await addProgram(cpio, "nbd-client", nbd.program);
  }

  // Kernel modules, dependencies first.
  const modules = await collectModules(opts.modulesRoot ?? opts.root, opts.kernelVersion, REQUIRED_MODULES, [
    ...OPTIONAL_MODULES,
    ...(opts.extraModules ?? []),
  ]);
  cpio.dir("bootfleet/modules");
  for (const m of modules.loadOrder) cpio.file(`bootfleet/modules/${m.name}.ko`, m.content, 0o644);
  cpio.file("bootfleet/modules/load-order", modules.loadOrder.map((m) => `${m.name}\n`).join(""));

  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  cpio.file(
    "bootfleet/hook.conf",
    `BOOTFLEET_IMAGE=${q(`${opts.imageName}@${opts.imageVersion}`)}\n` +
      `BOOTFLEET_KERNEL=${q(opts.kernelVersion)}\n` +
      `BOOTFLEET_HOOK_VERSION=${q(HOOK_VERSION)}\n`,
  );

  const gz = gzipSync(cpio.finish(), { level: 6 });
  // Padded to 4 bytes: the kernel reads an uncompressed archive appended
  // after this one (iPXE's or QEMU's next initrd: the layer cpio) only at
  // a 4-byte-aligned offset; otherwise it takes it for a compressed one
  // with "invalid magic at start of compressed archive".
  const hook = Buffer.concat([gz, Buffer.alloc((4 - (gz.length % 4)) % 4)]);
  if (opts.baseInitrd) {
    await copyFile(opts.baseInitrd, opts.output);
    const { size } = await stat(opts.output);
    // Zero padding to a 4-byte boundary: the kernel skips NULs between archives
    // and expects each to start aligned.
    await appendFile(opts.output, Buffer.concat([Buffer.alloc((4 - (size % 4)) % 4), hook]));
  } else {
    await writeFile(opts.output, hook);
  }
  return {
    base_initrd: opts.baseInitrd ? opts.baseInitrd.slice(opts.root.replace(/\/+$/, "").length) || null : null,
    busybox: busybox.from,
    nbd_client: nbd?.from ?? "none",
    nbd_helper: helper
      ? `bootfleet-nbd:${helper.arch}:sha256:${createHash("sha256").update(helper.content).digest("hex")}`
      : undefined,
    modules: modules.loadOrder.map((m) => m.name),
    modules_builtin: modules.builtin,
    modules_from: opts.modulesRoot,
    extra_modules: opts.extraModules?.length ? [...opts.extraModules] : undefined,
    arch: DEBIAN_ARCH[machine ?? -1] ?? "unknown",
  };
}

/** The ELF machine of the image's programs (its shell or init), when it can be told. */
async function imageMachine(root: string): Promise<number | undefined> {
  for (const p of ["/bin/sh", "/sbin/init", "/bin/busybox", "/usr/bin/busybox", "/usr/sbin/nbd-client"]) {
    const host = await resolveInRoot(root, p);
    if (!host) continue;
    try {
      const buf = await readFile(host);
      if (isElf(buf)) return parseElf(buf).machine;
    } catch {}
  }
  return undefined;
}

async function findStaticBusybox(
  root: string,
  hostRoot: string,
  machine: number | undefined,
): Promise<{ hostPath: string; path: string; from: string } | undefined> {
  for (const [base, label] of [
    [root, "image"],
    [hostRoot, "host"],
  ] as const) {
    for (const p of [
      "/bin/busybox",
      "/usr/bin/busybox",
      "/sbin/busybox",
      "/usr/lib/initramfs-tools/bin/busybox",
    ]) {
      const host = await resolveInRoot(base, p);
      if (!host) continue;
      try {
        const elf = parseElf(await readFile(host));
        if (elf.interpreter === undefined && (machine === undefined || elf.machine === machine)) {
          return { hostPath: host, path: p, from: `${label}:${p}` };
        }
      } catch {}
    }
  }
  return undefined;
}

async function findProgram(
  paths: readonly string[],
  root: string,
  hostRoot: string,
  machine: number | undefined,
): Promise<{ program: ResolvedProgram; path: string; from: string } | undefined> {
  for (const [base, label] of [
    [root, "image"],
    [hostRoot, "host"],
  ] as const) {
    for (const p of paths) {
      if (!(await resolveInRoot(base, p))) continue;
      const program = await resolveProgram(base, p);
      if (machine !== undefined && program.elf.machine !== machine) continue;
      return { program, path: p, from: `${label}:${p}` };
    }
  }
  return undefined;
}

/** A program as /bootfleet/sbin/<name>: a static one as is, a dynamic one behind its own ld.so. */
async function addProgram(cpio: CpioNewcWriter, name: string, program: ResolvedProgram): Promise<void> {
  cpio.dir("bootfleet/sbin");
  if (!program.interpreter) {
    cpio.file(`bootfleet/sbin/${name}`, await readFile(program.hostPath), 0o755);
    return;
  }
  cpio.dir("bootfleet/lib");
  cpio.file(`bootfleet/libexec/${name}`, await readFile(program.hostPath), 0o755);
  const loader = `bootfleet/lib/${program.interpreter.name}`;
  if (!cpio.has(loader)) cpio.file(loader, await readFile(program.interpreter.hostPath), 0o755);
  for (const lib of program.libraries) {
    const path = `bootfleet/lib/${lib.name.split("/").pop()}`;
    if (!cpio.has(path)) cpio.file(path, await readFile(lib.hostPath), 0o644);
  }
  // Running the loader by hand keeps the program off the base initrd's own
  // /lib: the library path is only ours.
  cpio.file(
    `bootfleet/sbin/${name}`,
    `#!/bootfleet/bin/busybox sh\nexec /${loader} --library-path /bootfleet/lib /bootfleet/libexec/${name} "$@"\n`,
    0o755,
  );
}
