/**
 * The files around a pxelinux config that pxelinux itself would open: the
 * files it INCLUDEs. pxelinux fetches them over TFTP relative to the
 * folder pxelinux.0 was loaded from (syslinux's doc/pxelinux.txt: the
 * "current working directory" is the TFTP prefix), and an absolute path
 * is taken from the TFTP root, so both `INCLUDE pxelinux.cfg/menu` and
 * `INCLUDE /pxelinux.cfg/menu` name `<tftp root>/pxelinux.cfg/menu`.
 * readImportFiles reads them ahead, so that the importer stays a pure
 * function of its inputs.
 */

export interface PxelinuxTreeFile {
  /** The path it was read from, as import problems name it. */
  readonly file: string;
  readonly text: string;
}

export interface PxelinuxTree {
  /** Files by their path under the TFTP root ("pxelinux.cfg/default"), as tftpPath writes it. */
  readonly files: ReadonlyMap<string, PxelinuxTreeFile>;
  /**
   * The input lies in a pxelinux.cfg folder, where its name says which
   * machines read it (01-<mac>, a hex address prefix, default); a file
   * passed on its own is the config of every machine.
   */
  readonly inConfigFolder: boolean;
}

/**
 * A path as an INCLUDE line writes it, as a key of PxelinuxTree.files:
 * no leading '/', no '.' or empty parts, '..' taken back; null when it
 * climbs out of the TFTP root (a TFTP server refuses that too) or holds
 * a `::` server prefix (pxelinux's "another TFTP server" syntax).
 */
export function tftpPath(written: string): string | null {
  if (written.includes("::")) return null;
  const parts: string[] = [];
  for (const part of written.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(part);
  }
  return parts.length ? parts.join("/") : null;
}
