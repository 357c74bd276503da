/**
 * `manifest.json` beside every version's files: what was built, from what,
 * and the checksums a client or an operator can verify. Written last, inside
 * the build folder, before the folder is renamed into place, so a version
 * that is visible always has one.
 */
import { readFile } from "node:fs/promises";
import { ImageError } from "./image-error.js";

export type ImageSourceInfo =
  | { readonly kind: "dir"; readonly path: string }
  | {
      readonly kind: "debootstrap";
      readonly tool: "mmdebstrap" | "debootstrap";
      readonly suite: string;
      readonly mirror: string;
      readonly include: readonly string[];
      readonly variant?: string | undefined;
    }
  | { readonly kind: "file"; readonly path: string; readonly format: "squashfs" | "ext4" | "erofs" }
  | { readonly kind: "commit"; readonly from_version?: string | undefined };

export interface FileDigest {
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
}

export interface HookInfo {
  /** The image's own initrd the hook was appended to, or null when the hook is the whole initrd. */
  readonly base_initrd: string | null;
  /** Where busybox and nbd-client came from: `image:/usr/sbin/nbd-client` or `host:/bin/busybox`. */
  readonly busybox: string;
  readonly nbd_client: string;
  /**
   * The hook's reconnecting NBD connector, `bootfleet-nbd:<arch>:sha256:<hex>`;
   * absent in images built before it or for an architecture without a build
   * (their clients use nbd-client, whose device dies with the server).
   */
  readonly nbd_helper?: string | undefined;
  /** Kernel modules carried, in load order (built-in ones are not carried). */
  readonly modules: readonly string[];
  readonly modules_builtin: readonly string[];
  /** Where the modules came from when not the image (--modules-from); `image commit` reuses it. */
  readonly modules_from?: string | undefined;
  /** Modules asked for beyond the defaults (--module); `image commit` reuses them. */
  readonly extra_modules?: readonly string[] | undefined;
}

export interface ImageManifest {
  readonly format: 1;
  readonly name: string;
  readonly version: string;
  /** ISO 8601, UTC. */
  readonly created: string;
  readonly source: ImageSourceInfo;
  /** root.squashfs: its size in bytes and sha256 (hex). */
  readonly size: number;
  readonly sha256: string;
  readonly compression: string;
  readonly kernel_version: string;
  readonly arch: string;
  readonly kernel: FileDigest;
  readonly initrd: FileDigest;
  readonly hook: HookInfo;
}

export const MANIFEST_FILE = "manifest.json";

export async function readManifest(path: string): Promise<ImageManifest> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ImageError("MANIFEST_INVALID", `cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ImageError("MANIFEST_INVALID", `${path} is not valid JSON: ${(err as Error).message}`);
  }
  const m = value as Partial<ImageManifest> | null;
  if (
    !m ||
    typeof m !== "object" ||
    m.format !== 1 ||
    typeof m.name !== "string" ||
    typeof m.version !== "string" ||
    typeof m.sha256 !== "string" ||
    typeof m.size !== "number" ||
    typeof m.kernel_version !== "string"
  ) {
    throw new ImageError(
      "MANIFEST_INVALID",
      `${path} is not a bootfleet image manifest (format 1 with name, version, size, sha256, kernel_version)`,
    );
  }
  return m as ImageManifest;
}
