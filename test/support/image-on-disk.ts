/**
 * An image version laid out on disk the way the image catalog keeps it
 * (`<data_dir>/images/<name>/<version>/{vmlinuz,initrd.img,root.squashfs}`,
 * `current` a symlink to the version), for tests that start `bootfleet serve`
 * on a data dir without building a real image.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function writeImageVersion(
  dataDir: string,
  name: string,
  version: string,
  root: string | Buffer,
): void {
  const dir = join(dataDir, "images", name, version);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "vmlinuz"), Buffer.alloc(4096, 1));
  writeFileSync(join(dir, "initrd.img"), Buffer.alloc(4096, 2));
  writeFileSync(join(dir, "root.squashfs"), root);
  symlinkSync(version, join(dataDir, "images", name, "current"));
}
