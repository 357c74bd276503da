/**
 * Squashes a root tree with mksquashfs, turning its progress bar
 * ("[====|    ] 600/5524  10%", redrawn with \r) into ProgressReporter
 * updates.
 */
import { readFile } from "node:fs/promises";
import { ImageError } from "./image-error.js";
import type { ProgressReporter } from "./progress-reporter.js";
import { runTool } from "./run-tool.js";

export interface SquashOptions {
  readonly source: string;
  readonly output: string;
  /** mksquashfs -comp: gzip, xz, zstd (default), lz4, lzo. */
  readonly compression?: string | undefined;
  /** The mksquashfs program (default: from PATH). */
  readonly mksquashfs?: string | undefined;
  readonly progress: ProgressReporter;
}

export const COMPRESSIONS = ["gzip", "xz", "zstd", "lz4", "lzo", "lzma"] as const;

const PROGRESS = /(\d+)\/(\d+)\s+(\d+)%/;

/**
 * The fraction done from one piece of mksquashfs (or unsquashfs) output
 * between carriage returns: "[====|    ] 600/5524  10%" -> 600/5524.
 * undefined for any other line.
 */
export function parseSquashfsProgress(line: string): number | undefined {
  const m = PROGRESS.exec(line);
  if (!m) return undefined;
  const total = Number(m[2]);
  return total > 0 ? Math.min(1, Number(m[1]) / total) : undefined;
}

export async function squashRoot(opts: SquashOptions): Promise<void> {
  const compression = opts.compression ?? "zstd";
  if (!(COMPRESSIONS as readonly string[]).includes(compression)) {
    throw new ImageError(
      "TOOL_FAILED",
      `unknown squashfs compression '${compression}': use one of ${COMPRESSIONS.join(", ")}`,
    );
  }
  const busy = await mountsUnder(opts.source);
  if (busy.length) {
    throw new ImageError(
      "SOURCE_BUSY",
      `${busy.join(", ")} ${busy.length > 1 ? "are" : "is"} mounted inside ${opts.source} ` +
        "(an 'image shell' still open?): leave it, or umount them, and build again",
    );
  }
  await runTool(
    opts.mksquashfs ?? "mksquashfs",
    [
      opts.source,
      opts.output,
      "-noappend",
      "-comp",
      compression,
      // A folder with /proc or /dev bound into it (a chroot) must not pull the
      // host's into the image.
      "-one-file-system",
    ],
    {
      onLine: (line) => {
        const f = parseSquashfsProgress(line);
        if (f !== undefined) opts.progress.update(f);
      },
    },
  );
  opts.progress.update(1);
}

/** Mount points strictly inside `dir` (from /proc/self/mountinfo, octal escapes decoded). */
export async function mountsUnder(dir: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const prefix = `${dir.replace(/\/+$/, "")}/`;
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const field = line.split(" ")[4];
    if (!field) continue;
    const point = field.replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(Number.parseInt(o, 8)),
    );
    if (point.startsWith(prefix)) out.push(point);
  }
  return out;
}
