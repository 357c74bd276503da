/**
 * What the loader's checks share: where each value was written, where the
 * problems go, and the disk for the files a config names.
 */
import type { ConfigDisk } from "./config-disk.js";
import type { ConfigProblems } from "./config-problems.js";
import type { ImageNames } from "./image-names.js";
import type { SourceMap } from "./source-map.js";

export interface CheckContext {
  readonly map: SourceMap;
  readonly problems: ConfigProblems;
  /** The config file's folder: relative paths in the config start here. */
  readonly dir: string;
  readonly disk: ConfigDisk;
}

/** Layers may name images, so their checks also know which images exist. */
export interface LayerContext extends CheckContext {
  readonly images: ImageNames;
}
