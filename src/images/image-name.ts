/**
 * Image names and export names. A name is a folder under
 * `<data_dir>/images/`, a word in the config (`image: debian`) and the first
 * half of an NBD export name (`debian@20261124-153000`), so it is kept to
 * characters that are safe in all three: lower-case letters, digits, `.`,
 * `_` and `-`, starting with a letter or digit (hidden build folders start
 * with a dot and can never clash with an image).
 */
import { ImageError } from "./image-error.js";
import { isImageVersion } from "./image-version.js";

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function isImageName(name: string): boolean {
  return NAME.test(name);
}

export function assertImageName(name: string): string {
  if (!isImageName(name)) {
    throw new ImageError(
      "IMAGE_NAME_INVALID",
      `invalid image name '${name}': use 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
}

export interface ExportName {
  readonly image: string;
  /** Absent: the image's current version. */
  readonly version?: string | undefined;
}

/** `debian` or `debian@20261124-153000`, as clients ask the NBD service for it. */
export function parseExportName(text: string): ExportName {
  const at = text.indexOf("@");
  const image = at < 0 ? text : text.slice(0, at);
  assertImageName(image);
  if (at < 0) return { image };
  const version = text.slice(at + 1);
  if (!isImageVersion(version)) {
    throw new ImageError(
      "IMAGE_NAME_INVALID",
      `invalid export name '${text}': the version after '@' must look like 20261124-153000`,
    );
  }
  return { image, version };
}

export function formatExportName(image: string, version?: string): string {
  return version === undefined ? image : `${image}@${version}`;
}
