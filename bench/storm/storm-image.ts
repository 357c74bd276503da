/**
 * The image every storm machine boots, and the one the read trace was
 * recorded from: the whole-boot tests' busybox image on Debian's kernel
 * (test/fixtures/images/busybox-root.ts), built with `image build` into
 * `dataDir` as the catalog keeps it. Both stacks serve these same files.
 */
import { mkdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { buildImage } from "../../src/images/build-image.js";
import { makeBusyboxRoot } from "../../test/fixtures/images/busybox-root.js";
import { ensureDebianKernel } from "../../test/fixtures/images/debian-kernel.js";

export const STORM_IMAGE = "storm";

export interface StormImage {
  readonly dataDir: string;
  readonly name: string;
  readonly version: string;
  /** `<dataDir>/images/<name>/<version>`: vmlinuz, initrd.img, root.squashfs. */
  readonly dir: string;
  readonly kernelVersion: string;
}

export async function buildStormImage(work: string): Promise<StormImage> {
  const kernel = ensureDebianKernel();
  const root = join(work, "image-root");
  mkdirSync(root);
  await makeBusyboxRoot(root, { token: "STORM", vmlinuz: kernel.vmlinuz, kernelVersion: kernel.version });
  const dataDir = join(work, "var");
  await buildImage({ dataDir, name: STORM_IMAGE, from: root, modulesFrom: kernel.root });
  const version = readlinkSync(join(dataDir, "images", STORM_IMAGE, "current"));
  return {
    dataDir,
    name: STORM_IMAGE,
    version,
    dir: join(dataDir, "images", STORM_IMAGE, version),
    kernelVersion: kernel.version,
  };
}
