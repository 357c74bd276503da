/**
 * The storm's small image: the whole-boot tests' busybox image on Debian's
 * kernel (test/fixtures/images/busybox-root.ts), built with `image build`
 * into `<work>/var` as the catalog keeps it. The hook's own boot path with
 * a small userland: a few seconds to build, so it is built fresh each run.
 */
import { mkdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { buildImage } from "../../src/images/build-image.js";
import { makeBusyboxRoot } from "../../test/fixtures/images/busybox-root.js";
import { ensureDebianKernel } from "../../test/fixtures/images/debian-kernel.js";
import { STORM_IMAGE, type StormImage } from "./storm-image.js";

export async function buildBusyboxStormImage(work: string): Promise<StormImage> {
  const kernel = ensureDebianKernel();
  const root = join(work, "image-root");
  mkdirSync(root);
  await makeBusyboxRoot(root, { token: "STORM", vmlinuz: kernel.vmlinuz, kernelVersion: kernel.version });
  const dataDir = join(work, "var");
  await buildImage({ dataDir, name: STORM_IMAGE, from: root, modulesFrom: kernel.root });
  const version = readlinkSync(join(dataDir, "images", STORM_IMAGE, "current"));
  return {
    kind: "busybox",
    dataDir,
    name: STORM_IMAGE,
    version,
    dir: join(dataDir, "images", STORM_IMAGE, version),
    description: `busybox image (test/fixtures/images/busybox-root.ts) on Debian kernel ${kernel.version}`,
  };
}
