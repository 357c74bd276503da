/**
 * A small root for the NFS tests: folders, a hard link, a file larger than
 * one READ, a symlink out of the tree and one climbing past its root, and
 * names whose byte order differs from a locale's order.
 */
import { chmodSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const BUSYBOX_BYTES = 70_000;

export function makeTestTree(dir: string): void {
  mkdirSync(join(dir, "etc"), { recursive: true });
  // mkdtemp makes 0700 folders: a root a client can search, like an image's.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "etc/hostname"), "thin\n");
  writeFileSync(join(dir, "etc/Zeta"), "z");
  const big = Buffer.alloc(BUSYBOX_BYTES);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  writeFileSync(join(dir, "bin/busybox"), big);
  linkSync(join(dir, "bin/busybox"), join(dir, "bin/sh"));
  symlinkSync("/etc/shadow", join(dir, "etc/escape"));
  symlinkSync("../../..", join(dir, "etc/up"));
}
