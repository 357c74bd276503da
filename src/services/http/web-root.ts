/**
 * The admin page's static files (src/web/) under "/".
 * Only files inside the folder are served: the path is normalised and must
 * stay below the root after symlinks are resolved.
 */
import { realpath } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

export function contentTypeOf(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/** The file for a URL path, or null when it would leave the root. */
export async function webFile(root: string, urlPath: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0")) return null;
  const rel = normalize(`/${decoded}`).replace(/^\/+/, "");
  const wanted = join(root, rel === "" || decoded.endsWith("/") ? join(rel, "index.html") : rel);
  try {
    const [realRoot, real] = await Promise.all([realpath(root), realpath(wanted)]);
    return real === realRoot || real.startsWith(realRoot + sep) ? real : null;
  } catch {
    return null;
  }
}
