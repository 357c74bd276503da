/**
 * Path lookup inside an image's root tree as the image itself would see it:
 * symlinks are followed with `/` meaning the image's root, not the build
 * host's (Debian's merged /usr makes /lib a symlink to usr/lib, and
 * /lib64/ld-linux-x86-64.so.2 an absolute symlink), and `..` never climbs
 * out of the root.
 */
import { lstat, readlink } from "node:fs/promises";
import { join } from "node:path";

const MAX_LINKS = 40; // Linux's MAXSYMLINKS

/**
 * The host path of `path` inside `root` with every symlink resolved, or
 * undefined when it does not exist (or loops).
 */
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  const real = await realPathInRoot(root, path);
  return real === undefined ? undefined : join(root, real);
}

/** Like resolveInRoot, but the resolved path relative to the root (`/usr/lib/...`). */
export async function realPathInRoot(root: string, path: string): Promise<string | undefined> {
  let todo = split(path);
  const done: string[] = [];
  let links = 0;
  while (todo.length) {
    const part = todo.shift()!;
    if (part === ".") continue;
    if (part === "..") {
      done.pop();
      continue;
    }
    const here = join(root, ...done, part);
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(here);
    } catch {
      return undefined;
    }
    if (!st.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) return undefined;
    const target = await readlink(here);
    if (target.startsWith("/")) done.length = 0;
    todo = [...split(target), ...todo];
  }
  return `/${done.join("/")}`;
}

function split(path: string): string[] {
  return path.split("/").filter((p) => p.length > 0);
}
