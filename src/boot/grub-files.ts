/**
 * The network GRUB images for UEFI machines on `loader: grub`, taken from
 * Debian's packages the way the iPXE binaries come from the ipxe package.
 * DHCP names them grubnetx64.efi / grubnetaa64.efi (the names Debian's
 * netboot trees use); on disk they are the signed monolithic images of
 * grub-efi-amd64-signed / grub-efi-arm64-signed, which carry efinet, tftp,
 * http, linux and regexp built in and need nothing else from the TFTP root.
 * They boot with Secure Boot off as they are; with it on, shim must come first.
 *
 * Their embedded config is `normal (memdisk)/grub.cfg`, whose memdisk file
 * sources `$prefix/x86_64-efi/grub.cfg` if it exists, else `$prefix/grub.cfg`,
 * with prefix `(tftp,<next-server>)/grub`. Because `normal` is given a file,
 * GRUB's own search for grub.cfg-01-<mac> never runs; so grub/grub.cfg is
 * the file these images really ask for (see renderGrubDispatch).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

export interface GrubBinary {
  /** Where it is on this server. */
  readonly path: string;
  /** The Debian package that installs it there. */
  readonly debianPackage: string;
  /**
   * The package's architecture when it is for other machines than the
   * server: on an amd64 server it is installed as a foreign package
   * (files only; nothing of it runs here).
   */
  readonly arch?: string | undefined;
}

/** By the boot file name DHCP hands out: where Debian installs it. */
export type GrubBinaries = Readonly<Record<string, GrubBinary>>;

/** `loader: shim`'s first stage: Debian's shim, signed by Microsoft (the key UEFI firmware trusts out of the box). */
export const SHIM_X64 = "shimx64.efi";

export const DEBIAN_GRUB_BINARIES: GrubBinaries = Object.freeze({
  "grubnetx64.efi": {
    path: "/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed",
    debianPackage: "grub-efi-amd64-signed",
  },
  [SHIM_X64]: { path: "/usr/lib/shim/shimx64.efi.signed", debianPackage: "shim-signed" },
  // The name shim asks the TFTP folder it came from for (its DEFAULT_LOADER):
  // the same signed network GRUB, which shim verifies against Debian's key.
  "grubx64.efi": {
    path: "/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed",
    debianPackage: "grub-efi-amd64-signed",
  },
  "grubnetaa64.efi": {
    path: "/usr/lib/grub/arm64-efi-signed/grubnetaa64.efi.signed",
    debianPackage: "grub-efi-arm64-signed",
    arch: "arm64",
  },
});

/** The GRUB image a TFTP/HTTP path (relative, no leading slash) names, or null. */
export function grubBinary(path: string, binaries: GrubBinaries): GrubBinary | null {
  // Own-property lookup only: "constructor" or "__proto__" are not files.
  return Object.hasOwn(binaries, path) ? binaries[path]! : null;
}

/** The line to log when a GRUB image is asked for (or will be) and is not on this server. */
export function missingGrubLine(name: string, binary: GrubBinary, tftpRoot?: string): string {
  const where = tftpRoot
    ? `neither at ${binary.path} nor in the TFTP root ${tftpRoot}`
    : `not at ${binary.path}`;
  if (binary.arch)
    return (
      `${name} is ${where}: install Debian's ${binary.debianPackage} package for ${binary.arch} ` +
      `(on a server of another architecture: 'dpkg --add-architecture ${binary.arch} && apt-get update && ` +
      `apt-get install --no-install-recommends ${binary.debianPackage}:${binary.arch}')`
    );
  return (
    `${name} is ${where}: install Debian's ${binary.debianPackage} package ` +
    `('apt-get install --no-install-recommends ${binary.debianPackage}')`
  );
}

/**
 * Why ARM64 UEFI machines would get no first stage, or null: they boot
 * iPXE's ARM64 build when it is in `ipxeDir` (Debian's ipxe package has
 * none), else Debian's signed network GRUB. One line for the start-up log,
 * naming the package, so it is said before the first such machine asks.
 */
export function missingArm64Loader(ipxeDir: string, binaries: GrubBinaries, tftpRoot: string): string | null {
  const ipxe = "ipxe-arm64.efi";
  const name = "grubnetaa64.efi";
  if (existsSync(join(ipxeDir, ipxe))) return null;
  const grub = grubBinary(name, binaries);
  if (grub === null || existsSync(grub.path) || existsSync(join(tftpRoot, name))) return null;
  return `ARM64 UEFI machines get no answer: ${ipxe} is not in ${ipxeDir} (Debian's ipxe package has no ARM64 build) and ${missingGrubLine(name, grub, tftpRoot)}`;
}

/**
 * One line per GRUB image x64 machines on `loader: grub` need that neither
 * the Debian folder nor the TFTP root holds. Only grubnetx64.efi: ARM64
 * images come from an arm64 package that an amd64 server rarely has, and the
 * planner logs it when an ARM64 machine asks.
 */
export function missingGrubFiles(
  binaries: GrubBinaries,
  tftpRoot: string,
  names = ["grubnetx64.efi"],
): string[] {
  const missing: string[] = [];
  for (const name of names) {
    const binary = grubBinary(name, binaries);
    if (binary && !existsSync(binary.path) && !existsSync(join(tftpRoot, name)))
      missing.push(missingGrubLine(name, binary, tftpRoot));
  }
  return missing;
}

/** What `loader: shim` machines fetch: shim, then the GRUB it asks for. */
export const SHIM_CHAIN_FILES: readonly string[] = [SHIM_X64, "grubx64.efi"];
