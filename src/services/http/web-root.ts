/**
 * The admin page's static files (src/web/) under "/". Only the page's own
 * files are served:
 *   - the path is normalised and must stay below the root after symlinks
 *     are resolved;
 *   - only the kinds of file a page is made of (TYPES): the folder also
 *     holds the page's tests and type declarations (`*.test.ts`, `*.d.ts`),
 *     which are no one's business over HTTP;
 *   - never a test (`name.test.*`) or a hidden file or folder (`.name`).
 * New module files (`*.js`) are served as they are added, with no list to
 * keep up to date.
 */
import { realpath } from "node:fs/promises";
import { basename, extname, join, normalize, relative, sep } from "node:path";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

export function contentTypeOf(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/** Whether a file (a path below the root) is part of the page. */
function isPageFile(rel: string): boolean {
  if (rel.split(sep).some((part) => part.startsWith("."))) return false;
  if (/\.test\./i.test(basename(rel))) return false;
  return Object.hasOwn(TYPES, extname(rel).toLowerCase());
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
    if (!real.startsWith(realRoot + sep)) return null;
    // Checked on the name asked for and on the file it resolves to: a
    // symlink named like a page file must not serve a test either.
    return isPageFile(relative(root, wanted)) && isPageFile(relative(realRoot, real)) ? real : null;
  } catch {
    return null;
  }
}
