/**
 * The little the boot planner and the HTTP service need from the image
 * catalog (src/images/): which version of an image is current, and where its
 * kernel, initrd and squashfs are on disk. Kept here, narrow and synchronous
 * (DHCP answers must not wait on I/O), so the planner is tested with a fake
 * and `bootfleet serve` hands in the real catalog.
 */

/** One version of one image, with absolute paths of its three files. */
export interface BootImage {
  readonly name: string;
  readonly version: string;
  /** Absolute path of the kernel (vmlinuz). */
  readonly kernel: string;
  /** Absolute path of the image's own initramfs (initrd.img). */
  readonly initrd: string;
  /** Absolute path of the read-only root (root.squashfs), served over NBD. */
  readonly squashfs: string;
  /**
   * root.squashfs's size and sha256 from the version's manifest, when it
   * has one: a client that fetches its root into RAM checks them.
   */
  readonly root?: { readonly bytes: number; readonly sha256: string } | undefined;
}

export interface ImageLookup {
  /** The version `bootfleet image use` made current; null if the image has none. */
  current(name: string): BootImage | null;
  /** A given version (pinned in the config, or named in a URL); null if absent. */
  get(name: string, version: string): BootImage | null;
}

/** Image and version names that may appear in URLs, TFTP paths and NBD export names. */
export const IMAGE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

export function isSafeImageName(name: string): boolean {
  return IMAGE_NAME_PATTERN.test(name) && !name.includes("..");
}
