/**
 * What a dnsmasq `pxe-service` line hands a PXE ROM: the client system
 * architecture its CSA name stands for (dnsmasq(8), --pxe-service; RFC
 * 4578 §2.1 numbers), and the boot file its basename names.
 */

/** dnsmasq's CSA names (compared without regard to case, as dnsmasq does) and their option 93 values. */
const CSA: ReadonlyMap<string, number> = new Map([
  ["x86pc", 0],
  ["pc98", 1],
  ["ia64_efi", 2],
  ["alpha", 3],
  ["arc_x86", 4],
  ["intel_lean_client", 5],
  ["ia32_efi", 6],
  ["x86-64_efi", 7],
  ["xscale_efi", 8],
  ["bc_efi", 9],
  ["arm32_efi", 10],
  ["arm64_efi", 11],
]);

export function pxeServiceArch(csa: string): number | undefined {
  const name = csa.trim().toLowerCase();
  if (/^\d+$/.test(name)) return Number(name);
  return CSA.get(name);
}

/**
 * The file a basename boots. dnsmasq appends the PXE layer, ".0", only to
 * a basename with no '.' in it ("pxelinux" -> "pxelinux.0"; rfc2131.c,
 * where the boot file for a pxe-service reply is written); a name that
 * already has a suffix ("undionly.kpxe", "grubx64.efi") is sent as written.
 * No basename, or a number (a boot service type), is no file: the ROM
 * boots locally or asks another boot server.
 */
export function pxeServiceFile(basename: string | undefined): string | undefined {
  const name = basename?.trim();
  if (!name || /^\d+$/.test(name)) return undefined;
  return name.includes(".") ? name : `${name}.0`;
}
