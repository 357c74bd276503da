/**
 * Finds the kernel (and the image's own initrd, when it has one) in an
 * image's /boot, and reads the kernel's version from the file itself.
 */
import { open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { ImageError } from "./image-error.js";
import { resolveInRoot } from "./root-path.js";

export interface KernelFiles {
  /** The kernel on the build host. */
  readonly kernel: string;
  /** The `uname -r` of that kernel, the name of its /lib/modules folder. */
  readonly version: string;
  /** The image's own initrd for that kernel, when there is one. */
  readonly initrd?: string | undefined;
}

/**
 * The version string of an x86 bzImage: the boot protocol header ("HdrS" at
 * 0x202) holds at 0x20e a pointer, minus 0x200, to a NUL-terminated string
 * that starts with the release (Documentation/arch/x86/boot.rst,
 * "kernel_version"). undefined for other formats (arm64 Image, EFI zboot).
 */
export function bzImageVersion(head: Buffer): string | undefined {
  if (head.length < 0x210 || head.toString("latin1", 0x202, 0x206) !== "HdrS") return undefined;
  const at = head.readUInt16LE(0x20e) + 0x200;
  if (at + 1 >= head.length) return undefined;
  const end = head.indexOf(0, at);
  if (end < 0) return undefined;
  const release = head.toString("latin1", at, end).split(" ")[0];
  return release && /^\d+\.\d+/.test(release) ? release : undefined;
}

/** Compares kernel releases the way people read them: 6.1.0-10 after 6.1.0-9. */
export function compareKernelVersions(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "";
    const y = pb[i] ?? "";
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return 0;
}

async function readHead(path: string, bytes = 0x4000): Promise<Buffer> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

const KERNEL_NAME = /^(?:vmlinuz|vmlinux|bzImage|Image)(?:-(.+))?$/;

/**
 * The kernel in `<root>/boot`: the one asked for, or the newest. Throws
 * NO_KERNEL, saying how to get one, when there is none.
 */
export async function findKernel(root: string, wanted?: string): Promise<KernelFiles> {
  const boot = await resolveInRoot(root, "/boot");
  let names: string[] = [];
  if (boot) {
    try {
      names = await readdir(boot);
    } catch {}
  }
  const found: Array<{ kernel: string; version: string }> = [];
  for (const name of names) {
    const m = KERNEL_NAME.exec(name);
    if (!m || name.endsWith(".old") || name.endsWith(".efi.signed")) continue;
    const kernel = await resolveInRoot(root, `/boot/${name}`);
    if (!kernel) continue;
    let version: string | undefined;
    try {
      version = bzImageVersion(await readHead(kernel)) ?? m[1];
    } catch {
      continue;
    }
    if (version && !found.some((f) => f.version === version)) found.push({ kernel, version });
  }
  if (found.length === 0) {
    throw new ImageError(
      "NO_KERNEL",
      `no kernel in ${boot ?? join(root, "boot")} (looked for vmlinuz-*): install one in the image ` +
        "(e.g. 'apt-get install linux-image-amd64' in 'bootfleet image shell NAME', then 'bootfleet image commit NAME'), " +
        "or build with --from debootstrap:SUITE, which includes one",
    );
  }
  found.sort((a, b) => compareKernelVersions(a.version, b.version));
  const chosen = wanted ? found.find((f) => f.version === wanted) : found[found.length - 1];
  if (!chosen) {
    throw new ImageError(
      "NO_KERNEL",
      `no kernel ${wanted} in ${boot}: it has ${found.map((f) => f.version).join(", ")}`,
    );
  }
  let initrd: string | undefined;
  for (const candidate of [
    `initrd.img-${chosen.version}`,
    `initrd-${chosen.version}.img`,
    `initramfs-${chosen.version}.img`,
    `initrd-${chosen.version}`,
    ...(found.length === 1 ? ["initrd.img", "initrd", "initramfs.img"] : []),
  ]) {
    initrd = await resolveInRoot(root, `/boot/${candidate}`);
    if (initrd) break;
  }
  return { kernel: chosen.kernel, version: chosen.version, initrd };
}
