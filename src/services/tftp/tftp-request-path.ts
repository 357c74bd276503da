/**
 * Turns the filename of a read request into a path relative to the served
 * root, or says why it is refused. Pure: the file system checks (symlinks,
 * file types) are in tftp-file-resolver.ts.
 *
 * Leading slash. Many PXE ROMs ask for "/pxelinux.0" while pxelinux asks for
 * "pxelinux.cfg/default"; both mean a file under the root. Like tftp-hpa with
 * -s (it chroots), one leading "/" is dropped and the rest is taken relative
 * to the root: "/etc/passwd" is <root>/etc/passwd, never the host's file. A
 * name that is still absolute after that ("//etc/passwd") or carries a DOS
 * drive ("C:...") is refused.
 *
 * Refused outright: "..", backslashes (no remapping of Windows paths: a path
 * written for a Windows server is refused, not guessed at), NUL and other
 * control bytes, an empty name or one naming the root itself, and names over
 * 1024 bytes. "." and empty components ("a//b") are dropped.
 */
export const MAX_FILENAME_BYTES = 1024;

export type RequestPath =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly reason: string };

export function requestPath(filename: string): RequestPath {
  if (filename.length === 0) return { ok: false, reason: "empty file name" };
  if (Buffer.byteLength(filename, "utf8") > MAX_FILENAME_BYTES)
    return { ok: false, reason: `file name longer than ${MAX_FILENAME_BYTES} bytes` };
  if (/[\u0000-\u001f\u007f]/.test(filename)) return { ok: false, reason: "control character in file name" };
  if (filename.includes("\\")) return { ok: false, reason: "backslash in file name" };
  const rest = filename.startsWith("/") ? filename.slice(1) : filename;
  if (rest.startsWith("/")) return { ok: false, reason: "absolute path" };
  if (/^[A-Za-z]:/.test(rest)) return { ok: false, reason: "DOS drive in file name" };
  const parts: string[] = [];
  for (const part of rest.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") return { ok: false, reason: "parent directory (..) in file name" };
    parts.push(part);
  }
  if (parts.length === 0) return { ok: false, reason: "file name names the root folder" };
  return { ok: true, path: parts.join("/") };
}
