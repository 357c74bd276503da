/**
 * What the API needs from the image store (src/images/) to list images and
 * switch the current version (`POST /api/v1/images/<name>/current`). The
 * lead glues the real catalog in; without one the API lists the configured
 * images with the current version the ImageLookup knows, and refuses switches.
 */

export interface ImageVersionInfo {
  readonly version: string;
  /** Milliseconds since the epoch, when known. */
  readonly created?: number | undefined;
  /** Bytes of root.squashfs, when known. */
  readonly size?: number | undefined;
}

export interface ImageInfo {
  readonly name: string;
  readonly current: string | null;
  readonly versions: readonly ImageVersionInfo[];
  readonly description?: string | undefined;
}

export interface ImageAdmin {
  list(): Promise<readonly ImageInfo[]>;
  /**
   * Makes `version` current, atomically (the images module's job). Throws
   * ImageVersionMissing when there is no such version; other errors are
   * reported as IMAGE_SWITCH_FAILED.
   */
  use(name: string, version: string): Promise<void>;
}

/** Thrown by ImageAdmin.use for an unknown image or version (-> 404). */
export class ImageVersionMissing extends Error {
  override readonly name = "ImageVersionMissing";
}
