/**
 * pxelinux.0 and its COM32 modules for machines on `loader: pxelinux`, taken
 * from Debian's packages the way the iPXE binaries come from the ipxe
 * package: `pxelinux` ships /usr/lib/PXELINUX/pxelinux.0 (and lpxelinux.0),
 * `syslinux-common` the BIOS modules in /usr/lib/syslinux/modules/bios.
 *
 * pxelinux 6 is two halves that must come from one build: pxelinux.0 loads
 * ldlinux.c32 from its own folder (the boot file's path prefix; "" for the
 * "pxelinux.0" the planner hands out) before it reads any config, and a
 * version mismatch stops it with "Failed to load ldlinux.c32". So both halves,
 * and menu.c32 with its libraries, are handed out from the same install.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

export interface SyslinuxDirs {
  /** pxelinux.0, lpxelinux.0 (Debian's pxelinux package). */
  readonly pxelinux: string;
  /** BIOS COM32 modules: ldlinux.c32, menu.c32, libutil.c32... (Debian's syslinux-common). */
  readonly modules: string;
}

export const DEBIAN_SYSLINUX_DIRS: SyslinuxDirs = Object.freeze({
  pxelinux: "/usr/lib/PXELINUX",
  modules: "/usr/lib/syslinux/modules/bios",
});

export interface SyslinuxFile {
  /** Where it is on this server. */
  readonly path: string;
  /** The Debian package that installs it there. */
  readonly debianPackage: "pxelinux" | "syslinux-common";
}

const LOADERS = new Set(["pxelinux.0", "lpxelinux.0"]);
/** Module names are plain words; no folders, so nothing outside `modules` is reachable. */
const MODULE = /^[a-z0-9_-]+\.c32$/;

/** The file a TFTP path (relative to the root, no leading slash) names, or null when it is not one of pxelinux's. */
export function syslinuxFile(path: string, dirs: SyslinuxDirs): SyslinuxFile | null {
  if (LOADERS.has(path)) return { path: join(dirs.pxelinux, path), debianPackage: "pxelinux" };
  if (MODULE.test(path)) return { path: join(dirs.modules, path), debianPackage: "syslinux-common" };
  return null;
}

/**
 * One line per file a pxelinux boot needs that neither the Debian folders nor
 * the TFTP root hold, naming the package to install. Empty when all is there.
 */
export function missingSyslinuxFiles(dirs: SyslinuxDirs, tftpRoot: string): string[] {
  const missing: string[] = [];
  for (const name of ["pxelinux.0", "ldlinux.c32"]) {
    const file = syslinuxFile(name, dirs)!;
    if (existsSync(file.path) || existsSync(join(tftpRoot, name))) continue;
    missing.push(
      `${name} is neither at ${file.path} nor in the TFTP root ${tftpRoot}: ` +
        `install Debian's ${file.debianPackage} package ('apt-get install ${file.debianPackage}')`,
    );
  }
  return missing;
}
