/**
 * `bootfleet image commit NAME`: squash the kept source tree (after changes
 * made with `image shell`) into a new version, like a build from it.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { type BuildImageOptions, type BuildImageResult, buildImage } from "./build-image.js";
import { ImageCatalog } from "./image-catalog.js";
import { ImageError } from "./image-error.js";
import { type ProgressReporter, silentProgress } from "./progress-reporter.js";

export type CommitImageOptions = Omit<BuildImageOptions, "from" | "commit" | "keepSource">;

export async function commitImage(
  opts: CommitImageOptions,
  progress: ProgressReporter = silentProgress,
): Promise<BuildImageResult> {
  const catalog = opts.catalog ?? new ImageCatalog(resolve(opts.dataDir), { inUse: opts.inUse });
  const source = catalog.sourceDir(opts.name);
  if (
    !(await stat(source).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    throw new ImageError(
      "SOURCE_MISSING",
      `image ${opts.name} has no source tree (${source}): it was built from an image file, or never built; ` +
        `build it from a folder or debootstrap (or from the file with --keep-source) first`,
    );
  }
  // What the last version was built with, unless asked otherwise.
  const last = await catalog.manifest(opts.name).catch(() => undefined);
  return buildImage(
    {
      ...opts,
      modulesFrom: opts.modulesFrom ?? last?.hook.modules_from,
      extraModules: opts.extraModules ?? last?.hook.extra_modules,
      compression: opts.compression ?? (last?.compression === "as given" ? undefined : last?.compression),
      catalog,
      from: source,
      commit: true,
    },
    progress,
  );
}
