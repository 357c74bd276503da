/**
 * Glue between the image catalog (src/images/) and what the planner, the
 * HTTP API and the NBD service ask of images. The planner's lookup is
 * synchronous (a DHCP answer must not wait on the disk's promise queue):
 * it reads the `current` symlink with readlinkSync, a single syscall, and a
 * version's manifest once. A version found on disk is taken as still there
 * for a second: in a boot storm the planner is asked for every DHCP packet
 * (a PXE ROM and then iPXE each send a DISCOVER and a REQUEST), and two
 * existsSync calls per answer were the largest part of planning one under
 * the storm bench (bench/storm/); a version removed meanwhile is noticed a
 * second later, and `current` is still read on every question.
 */
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { ImageVersionMissing, type ImageAdmin, type ImageInfo } from "../api/image-admin.js";
import type { BootImage, ImageLookup } from "../boot/image-lookup.js";
import type { FleetConfig } from "../config/model.js";
import { type Clock, systemClock } from "../events/event-bus.js";
import { CURRENT_LINK, type ImageCatalog } from "../images/image-catalog.js";
import { ImageError } from "../images/image-error.js";

/** Versions whose manifest is kept in memory; more are read again. */
const MAX_CACHED_MANIFESTS = 1000;
/** How long a version seen on disk is answered from memory. */
const FOUND_VERSION_MS = 1000;

export function catalogImageLookup(catalog: ImageCatalog, clock: Clock = systemClock): ImageLookup {
  const found = new Map<string, { readonly image: BootImage; readonly at: number }>();
  // A version's manifest never changes once the version exists: read once.
  const roots = new Map<string, BootImage["root"]>();
  const rootOf = (name: string, version: string, manifest: string): BootImage["root"] => {
    const key = `${name}@${version}`;
    if (roots.has(key)) return roots.get(key);
    let root: BootImage["root"];
    try {
      const m = JSON.parse(readFileSync(manifest, "utf8")) as { size?: unknown; sha256?: unknown };
      if (typeof m.size === "number" && typeof m.sha256 === "string" && /^[0-9a-f]{64}$/.test(m.sha256))
        root = { bytes: m.size, sha256: m.sha256 };
    } catch {
      // No manifest (an image store from before manifests): no RAM root for it.
    }
    if (roots.size >= MAX_CACHED_MANIFESTS) roots.clear();
    roots.set(key, root);
    return root;
  };
  return {
    get(name: string, version: string): BootImage | null {
      const key = `${name}@${version}`;
      const now = clock.now();
      const seen = found.get(key);
      if (seen && now - seen.at < FOUND_VERSION_MS) return seen.image;
      try {
        const p = catalog.versionPaths(name, version);
        if (!existsSync(p.kernel) || !existsSync(p.rootfs)) {
          found.delete(key);
          return null;
        }
        const root = rootOf(name, version, p.manifest);
        const image = { name, version, kernel: p.kernel, initrd: p.initrd, squashfs: p.rootfs, root };
        if (found.size >= MAX_CACHED_MANIFESTS) found.clear();
        found.set(key, { image, at: now });
        return image;
      } catch {
        return null;
      }
    },
    current(name: string): BootImage | null {
      try {
        return this.get(name, readlinkSync(join(catalog.imageDir(name), CURRENT_LINK)));
      } catch {
        return null;
      }
    },
  };
}

export function catalogImageAdmin(catalog: ImageCatalog, config: FleetConfig): ImageAdmin {
  return {
    async list(): Promise<readonly ImageInfo[]> {
      const summaries = await catalog.list();
      const out: ImageInfo[] = [];
      for (const s of summaries) {
        const versions = [];
        for (const version of s.versions) {
          const m = await catalog.manifest(s.name, version).catch(() => null);
          versions.push({
            version,
            created: m ? Date.parse(m.created) : undefined,
            size: m?.size,
          });
        }
        out.push({
          name: s.name,
          current: s.current ?? null,
          versions,
          description: config.images[s.name]?.description,
        });
      }
      for (const [name, spec] of Object.entries(config.images))
        if (!out.some((i) => i.name === name))
          out.push({ name, current: null, versions: [], description: spec.description });
      return out;
    },
    async use(name: string, version: string): Promise<void> {
      try {
        await catalog.setCurrent(name, version);
      } catch (e) {
        if (e instanceof ImageError && /NOT_FOUND|not found|no such/i.test(`${e.code ?? ""} ${e.message}`))
          throw new ImageVersionMissing(e.message);
        throw e;
      }
    },
  };
}
