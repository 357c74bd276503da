/**
 * The files bootfleet hands PXE clients, in one place for import and
 * export. They follow the boot planner's chain (src/boot/fleet-boot-planner.ts):
 *
 *   BIOS (option 93 = 0)            -> undionly.kpxe over TFTP
 *   UEFI x64 (7, 9)                 -> ipxe.efi (or snponly.efi)
 *   UEFI ARM64 (11)                 -> ipxe-arm64.efi (or snponly-arm64.efi)
 *   iPXE running (user class iPXE)  -> http://<server>:<http port>/boot/${mac}.ipxe
 *
 * `${mac}` is expanded by iPXE itself (lower-case, colon-separated: the
 * same form the planner serves boot/<mac>.ipxe under).
 */

/** iPXE's and gPXE's stock binaries (iPXE's src/bin*: undionly, ipxe, snponly, snp). */
const STOCK_IPXE: ReadonlySet<string> = new Set([
  "undionly.kpxe",
  "undionly.kkpxe",
  "undionly.kkkpxe",
  "ipxe.kpxe",
  "ipxe.kkpxe",
  "ipxe.pxe",
  "ipxe.efi",
  "snponly.efi",
  "snp.efi",
  "ipxe-arm64.efi",
  "snponly-arm64.efi",
  "gpxe.pxe",
  "gpxe.kpxe",
]);

export const BOOT_FILE_NAMES = {
  bios: "undionly.kpxe",
  uefiX64: "ipxe.efi",
  uefiX64Snp: "snponly.efi",
  uefiArm64: "ipxe-arm64.efi",
  uefiArm64Snp: "snponly-arm64.efi",
  /** The per-machine iPXE script URL, as iPXE reads it from DHCP's filename. */
  ipxeScriptUrl(server: string, httpPort: number): string {
    return `http://${server}:${httpPort}/boot/\${mac}.ipxe`;
  },
  /**
   * What a boot file in an imported config is: one of the iPXE binaries
   * (bootfleet hands its own), an iPXE script or URL (bootfleet serves its
   * own per-machine script), or anything else (pxelinux.0, a kernel, ...).
   */
  classify(file: string): "chain" | "script" | "other" {
    const base = file.slice(file.lastIndexOf("/") + 1).toLowerCase();
    if (/^(https?|tftp):\/\//i.test(file) || base.endsWith(".ipxe")) return "script";
    // Only iPXE's own build names: a build named otherwise
    // (netboot.xyz-undionly.kpxe, netboot.xyz.efi) carries its own embedded
    // script, so it is what the source boots, not a chain bootfleet rebuilds.
    return STOCK_IPXE.has(base) ? "chain" : "other";
  },
} as const;
