/**
 * `images:`: image name -> spec, and the one number in it, `keep`, the
 * versions of each image kept on disk.
 */
import type { CheckContext } from "./check-context.js";
import { compact } from "./compact.js";
import { DEFAULT_IMAGES_KEEP, type RawConfig } from "./config-schema.js";
import type { ImageSpec } from "./model.js";

export interface CheckedImages {
  readonly images: Record<string, ImageSpec>;
  readonly keep: number;
}

export function checkImages(raw: RawConfig["images"], ctx: CheckContext): CheckedImages {
  const { problems, map } = ctx;
  let keep = DEFAULT_IMAGES_KEEP;
  const images: Record<string, ImageSpec> = {};
  for (const [name, spec] of Object.entries(raw)) {
    if (name === "keep") {
      if (typeof spec !== "number" || spec < 1)
        problems.report(
          ["images", "keep"],
          "must be a whole number of at least 1",
          "how many versions of each image to keep",
        );
      else keep = spec;
      continue;
    }
    if (typeof spec === "number") {
      problems.report(
        ["images", name],
        "an image is a mapping, not a number",
        "only `images.keep` is a number",
      );
      continue;
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
      problems.report(
        ["images", name],
        `'${name}' is not a valid image name`,
        "use letters, digits, '.', '_' and '-'",
        true,
      );
    images[name] = { name, ...compact(spec ?? {}), at: map.locate(["images", name], true) } as ImageSpec;
  }
  return { images, keep };
}
