/**
 * What the planner decides for one machine, before any of it is rendered:
 * the chain of loaders from the PXE ROM on, the images it may boot (the
 * first is the default), their kernels, initrds and command lines, and the
 * menu. Renderers (render-ipxe.ts, render-pxelinux.ts, render-grub.ts) turn
 * a plan into text and know nothing of the config or the catalog.
 */
import type { DhcpBootSpec } from "./boot-planner.js";
import type { ClientArch } from "./client-arch.js";
import type { BootImage } from "./image-lookup.js";

/** The loader that reads the generated config: `loader: shim` is GRUB too, started by shim. */
export type LoaderKind = "ipxe" | "pxelinux" | "grub";

export interface ChainStep {
  /** The loader that reads our generated config (after any fallback, see BootPlan.warnings). */
  readonly loader: LoaderKind;
  /** What DHCP hands the firmware: a TFTP path or, for iPXE and UEFI HTTP boot, a URL. */
  readonly bootFile: string;
  readonly nextServer: string;
  /** The generated config that loader reads next, as a TFTP/HTTP path without leading slash. */
  readonly configPath: string;
}

export interface BootFile {
  /** Name given with `initrd --name` and `initrd=` (the EFI stub finds initrds by it). */
  readonly name: string;
  /** http:// URL on this server (iPXE). */
  readonly url: string;
  /** The same file's path below any server's HTTP base, no leading slash (iPXE's fallbacks). */
  readonly httpPath: string;
  /** TFTP path relative to the TFTP root, no leading slash (pxelinux, GRUB). */
  readonly tftpPath: string;
}

export interface BootEntry {
  /** Menu item id and pxelinux/GRUB label: the image name. */
  readonly id: string;
  readonly label: string;
  readonly image: BootImage;
  readonly kernel: BootFile;
  /** The image's initrd.img, then the machine's layer cpio: order matters, later files win. */
  readonly initrds: readonly BootFile[];
  /** Kernel arguments, without the loader's own (`initrd=`, `BOOTIF=`). */
  readonly args: readonly string[];
  /**
   * Where the client's root lives: over NBD from this server (`nbd`, with a
   * private copy-on-write layer: `nbd-cow`), or fetched into RAM at boot
   * (`ram`: the client needs no server once it is up), or the version's
   * tree over NFS from this server, mounted by the client hook (`nfs`) or by
   * the kernel itself (`nfs-kernel`: root=/dev/nfs, no initrds).
   */
  readonly root: "nbd" | "nbd-cow" | "ram" | "nfs" | "nfs-kernel";
}

export interface MenuPlan {
  /** Seconds before the default entry boots; always > 0 (0 in the config means no menu). */
  readonly timeout: number;
  readonly title: string;
  readonly local: boolean;
  readonly shell: boolean;
}

/**
 * Another server holding the same image version (the layer's `servers:`),
 * for the loader to fetch the kernel and initrds from when this one fails
 * mid-boot.
 */
export interface FallbackServer {
  /** IPv4 address: GRUB fetches over TFTP from `(tftp,<address>)`. */
  readonly address: string;
  /** Its HTTP base (iPXE): this server's base with the host swapped, as the client hook does. */
  readonly httpBase: string;
}

export interface BootPlan {
  readonly mac: string;
  readonly hostname?: string | undefined;
  readonly arch: ClientArch;
  readonly chain: ChainStep;
  /** At least one; the first is the default. */
  readonly entries: readonly BootEntry[];
  /** null: boot the default entry straight away. */
  readonly menu: MenuPlan | null;
  readonly dhcp: DhcpBootSpec;
  /** Tried in order after this server, for every file the loader fetches; empty: this server only. */
  readonly fallbacks: readonly FallbackServer[];
  /** Things an administrator should know (fallbacks, images left out of a menu, long command lines). */
  readonly warnings: readonly string[];
}
