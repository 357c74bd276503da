/**
 * One entry of a layer's `files:`: text written in the YAML, or a file on
 * the server named by `source:` (relative to the config file's folder),
 * read through the loader's disk. `secret:` is kept as written; the
 * resolver decides by mode when it is absent (secret-defaults.ts).
 */
import { isAbsolute, resolve } from "node:path";
import type { CheckContext } from "./check-context.js";
import type { LayerFile } from "./model.js";
import type { KeyPath } from "./source-map.js";

export type LayerFileEntry =
  | string
  | {
      content?: string | undefined;
      source?: string | undefined;
      mode?: string | number | undefined;
      secret?: boolean | undefined;
    };

export function readLayerFile(ctx: CheckContext, path: KeyPath, entry: LayerFileEntry): LayerFile | null {
  const { problems } = ctx;
  if (typeof entry === "string") return { content: Buffer.from(entry, "utf8"), mode: 0o644 };
  let mode = 0o644;
  if (entry.mode !== undefined) {
    const m = typeof entry.mode === "number" ? String(entry.mode) : entry.mode;
    if (!/^0?[0-7]{3,4}$/.test(m))
      problems.report(
        [...path, "mode"],
        `'${entry.mode}' is not a file mode`,
        'write it in octal, e.g. "0644" or "0755"',
      );
    else mode = Number.parseInt(m, 8);
  }
  if ((entry.content === undefined) === (entry.source === undefined)) {
    problems.report(path, "a file needs exactly one of content or source");
    return null;
  }
  const secret = entry.secret === undefined ? {} : { secret: entry.secret };
  if (entry.content !== undefined) return { content: Buffer.from(entry.content, "utf8"), mode, ...secret };
  const src = isAbsolute(entry.source!) ? entry.source! : resolve(ctx.dir, entry.source!);
  try {
    return { content: ctx.disk.readFile(src), mode, sourcePath: src, ...secret };
  } catch (e) {
    problems.report(
      [...path, "source"],
      `cannot read ${src}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      "paths are relative to the config file's folder",
    );
    return null;
  }
}
