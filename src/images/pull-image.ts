/**
 * Copies a version a build server published (docs/ha.md, split roles) into
 * this server's image store: each file fetched over HTTP from the builder's
 * `/images/<name>/<version>/<file>`, its size and sha256 checked against the
 * published manifest, all of it into a hidden folder that one rename(2)
 * makes the version. A transfer that fails or does not match leaves nothing
 * behind: the store only ever shows complete, checked versions.
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type ImageCatalog, INITRD_FILE, KERNEL_FILE, ROOTFS_FILE } from "./image-catalog.js";
import { ImageError } from "./image-error.js";
import { MANIFEST_FILE } from "./image-manifest.js";
import { isImageName } from "./image-name.js";
import { isImageVersion } from "./image-version.js";
import type { PublishedImage } from "./published-images.js";

export interface PullImageOptions {
  readonly catalog: ImageCatalog;
  readonly image: PublishedImage;
  /** Default: the global fetch (tests hand in their own). */
  readonly fetch?: typeof fetch | undefined;
  /** Aborts the transfer (the server stops). */
  readonly signal?: AbortSignal | undefined;
}

/** Fetches and checks every file of `image`; true when it was pulled, false when the store already had it. */
export async function pullImage(opts: PullImageOptions): Promise<boolean> {
  const { catalog, image } = opts;
  const { name, version, manifest } = image;
  // Both become path parts here and in the URL: checked before either is built.
  if (!isImageName(name) || !isImageVersion(version))
    throw new ImageError("PULL_FAILED", `published image '${name}' version '${version}' is not a valid name`);
  if (manifest.name !== name || manifest.version !== version)
    throw new ImageError(
      "PULL_FAILED",
      `published ${name} ${version} carries the manifest of ${manifest.name} ${manifest.version}`,
    );
  const base = new URL(image.url);
  if (base.protocol !== "http:" && base.protocol !== "https:")
    throw new ImageError(
      "PULL_FAILED",
      `published ${name} ${version}: '${image.url}' is not an HTTP address`,
    );
  if ((await catalog.versions(name)).includes(version)) return false;

  const files = [
    { file: ROOTFS_FILE, size: manifest.size, sha256: manifest.sha256 },
    { file: KERNEL_FILE, size: manifest.kernel.size, sha256: manifest.kernel.sha256 },
    { file: INITRD_FILE, size: manifest.initrd.size, sha256: manifest.initrd.sha256 },
  ];
  // Hidden (a dot name is never an image version) beside its final place: the rename stays on one file system.
  const temp = join(catalog.imageDir(name), `.pull-${version}-${randomBytes(4).toString("hex")}`);
  await mkdir(temp, { recursive: true });
  try {
    for (const f of files) {
      const url = new URL(`images/${name}/${version}/${f.file}`, base.href.endsWith("/") ? base : `${base}/`);
      const got = await download(url, join(temp, f.file), opts.fetch ?? fetch, opts.signal);
      if (got.size !== f.size || got.sha256 !== f.sha256)
        throw new ImageError(
          "PULL_FAILED",
          `${name} ${version}: ${f.file} from ${url} does not match its manifest ` +
            `(${got.size} bytes, sha256 ${got.sha256}; published ${f.size} bytes, sha256 ${f.sha256})`,
        );
    }
    await writeFile(join(temp, MANIFEST_FILE), image.manifestText);
    const dir = catalog.versionPaths(name, version).dir;
    try {
      await rename(temp, dir);
    } catch (e) {
      // Another pull of the same version finished first: its copy is as good.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOTEMPTY" || code === "EEXIST") return false;
      throw e;
    }
    return true;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function download(
  url: URL,
  path: string,
  fetchFn: typeof fetch,
  signal: AbortSignal | undefined,
): Promise<{ size: number; sha256: string }> {
  let res: Response;
  try {
    res = await fetchFn(url, { signal });
  } catch (e) {
    throw new ImageError("PULL_FAILED", `cannot fetch ${url}: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => {});
    throw new ImageError("PULL_FAILED", `${url} answered ${res.status} ${res.statusText}`);
  }
  const hash = createHash("sha256");
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>),
      count,
      createWriteStream(path),
    );
  } catch (e) {
    // A connection cut mid-file, or this disk full: the pull fails, to be tried again.
    throw new ImageError("PULL_FAILED", `${url}: transfer failed: ${(e as Error).message}`, { cause: e });
  }
  return { size, sha256: hash.digest("hex") };
}
