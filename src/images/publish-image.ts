/**
 * A build server's side of image publishing (docs/ha.md, split roles): a
 * version it holds, with its manifest and the HTTP base its files are
 * served from, recorded in the shared store for serving servers to pull.
 */
import { readFile } from "node:fs/promises";
import type { ImageCatalog } from "./image-catalog.js";
import type { PublishedImages } from "./published-images.js";

export interface Publisher {
  /** This server's name in the store: `ha.this_server`, else `server.address`. */
  readonly server: string;
  /** Where this server's HTTP service serves `/images/...`: `http://198.18.0.1:8080`. */
  readonly url: string;
}

export async function publishImage(
  catalog: ImageCatalog,
  published: PublishedImages,
  publisher: Publisher,
  name: string,
  version: string,
  now: number = Date.now(),
): Promise<void> {
  // Read from the version's own folder: what pullers check is what was built.
  const manifest = await catalog.manifest(name, version);
  const manifestText = await readFile(catalog.versionPaths(name, version).manifest, "utf8");
  await published.publish({
    name,
    version,
    builtBy: publisher.server,
    url: publisher.url,
    manifest,
    manifestText,
    at: now,
  });
}

/** At a build server's start: every image's current version, so versions built while the store was away are published too. */
export async function publishCurrentVersions(
  catalog: ImageCatalog,
  published: PublishedImages,
  publisher: Publisher,
): Promise<string[]> {
  const done: string[] = [];
  for (const image of await catalog.list()) {
    if (!image.current) continue;
    await publishImage(catalog, published, publisher, image.name, image.current);
    done.push(`${image.name}@${image.current}`);
  }
  return done;
}
