/**
 * The storm's Debian image: Debian 12 with systemd as init, built as the
 * systemd whole-boot test builds it (test/fixtures/images/debian-systemd-image.ts:
 * debootstrap from the local repository, INITRD=No, so its initrd.img is
 * the client hook alone), under the name the storm serves.
 *
 * A build takes 65-90 s here, so the version is kept in
 * `<repo>/.cache/storm-images/debian-<key>/` and reused while what it was
 * built from is the same: the key is a digest of the build's arguments, the
 * local repository's package index (every .deb's name, version and
 * checksum) and the client hook the initrd carries. A run gets its own data
 * folder whose image version is a link to the cached one, so the server's
 * store, in-use marks and NFS trees never land in the cache.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../test/fixtures/images/debian-kernel.js";
import {
  buildDebianSystemdImage,
  ensureSystemdImageMirror,
  SYSTEMD_IMAGE_BUILD_ARGS,
} from "../../test/fixtures/images/debian-systemd-image.js";
import { STORM_IMAGE, type StormImage } from "./storm-image.js";

/** What the image's initrd is made of besides the packages: the hook, its helper, the code that packs them. */
const HOOK_SOURCES = [
  "src/client-hook/bootfleet-init.sh",
  "src/client-hook/udhcpc.script",
  "src/client-hook/bootfleet-nbd.c",
  "src/client-hook/hook-files.ts",
  "src/images/hook-initrd.ts",
];

/** The cache key: one digest over every input, each length-prefixed so no two input lists collide. */
export function debianImageKey(inputs: readonly (string | Buffer)[]): string {
  const h = createHash("sha256");
  for (const input of inputs) {
    const bytes = typeof input === "string" ? Buffer.from(input) : input;
    h.update(`${bytes.length}:`);
    h.update(bytes);
  }
  return h.digest("hex").slice(0, 16);
}

export async function debianStormImage(work: string): Promise<StormImage> {
  const mirror = ensureSystemdImageMirror();
  const mirrorDir = join(REPO_ROOT, ".cache", "debian-mirror");
  const key = debianImageKey([
    STORM_IMAGE,
    ...SYSTEMD_IMAGE_BUILD_ARGS,
    readFileSync(join(mirrorDir, "Packages")),
    ...HOOK_SOURCES.map((f) => readFileSync(join(REPO_ROOT, f))),
  ]);
  const cacheDir = join(REPO_ROOT, ".cache", "storm-images");
  const cached = join(cacheDir, `debian-${key}`);
  if (!existsSync(cached)) {
    process.stderr.write(
      `storm: building the Debian systemd image (key ${key}; about 90 s, kept in ${cached})\n`,
    );
    // Built aside and renamed into place: an interrupted build leaves no half image under the key.
    const building = join(cacheDir, `.build-${key}-${process.pid}`);
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { recursive: true });
    try {
      const config = join(building, "build.yaml");
      writeFileSync(config, `server: { address: 198.18.204.1, data_dir: ${join(building, "var")} }\n`);
      const seconds = buildDebianSystemdImage(STORM_IMAGE, config, mirror);
      process.stderr.write(`storm: Debian image built in ${seconds.toFixed(1)} s\n`);
      renameSync(building, cached);
    } catch (e) {
      rmSync(building, { recursive: true, force: true });
      throw e;
    }
  }
  const cachedImage = join(cached, "var", "images", STORM_IMAGE);
  const version = readlinkSync(join(cachedImage, "current"));
  const dataDir = join(work, "var");
  const imageDir = join(dataDir, "images", STORM_IMAGE);
  mkdirSync(imageDir, { recursive: true });
  symlinkSync(join(cachedImage, version), join(imageDir, version));
  symlinkSync(version, join(imageDir, "current"));
  return {
    kind: "debian",
    dataDir,
    name: STORM_IMAGE,
    version,
    dir: join(imageDir, version),
    description: `Debian 12 systemd image (image build ${SYSTEMD_IMAGE_BUILD_ARGS.join(" ")}, INITRD=No; cache key ${key})`,
  };
}
