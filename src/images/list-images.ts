/** `bootfleet image list`: every version of every image, with its manifest's facts. */
import type { ImageCatalog } from "./image-catalog.js";
import { readManifest } from "./image-manifest.js";

export interface ImageVersionRow {
  readonly name: string;
  readonly version: string;
  readonly current: boolean;
  readonly inUse: boolean;
  /** ISO 8601; undefined when the manifest cannot be read. */
  readonly created?: string | undefined;
  /** Bytes of root.squashfs. */
  readonly size?: number | undefined;
  readonly kernelVersion?: string | undefined;
  readonly source?: string | undefined;
  /** Why the manifest could not be read. */
  readonly problem?: string | undefined;
}

export interface ImageListing {
  readonly name: string;
  readonly current?: string | undefined;
  readonly hasSource: boolean;
  /** Oldest first. */
  readonly versions: readonly ImageVersionRow[];
}

export async function listImages(catalog: ImageCatalog): Promise<ImageListing[]> {
  const out: ImageListing[] = [];
  for (const image of await catalog.list()) {
    const versions: ImageVersionRow[] = [];
    for (const version of image.versions) {
      const base = {
        name: image.name,
        version,
        current: version === image.current,
        inUse: catalog.isInUse(image.name, version),
      };
      try {
        const m = await readManifest(catalog.versionPaths(image.name, version).manifest);
        const s = m.source;
        versions.push({
          ...base,
          created: m.created,
          size: m.size,
          kernelVersion: m.kernel_version,
          source:
            s.kind === "dir" || s.kind === "file"
              ? `${s.kind} ${s.path}`
              : s.kind === "debootstrap"
                ? `${s.tool} ${s.suite}`
                : `commit${s.from_version ? ` of ${s.from_version}` : ""}`,
        });
      } catch (err) {
        versions.push({ ...base, problem: (err as Error).message });
      }
    }
    out.push({ name: image.name, current: image.current, hasSource: image.hasSource, versions });
  }
  return out;
}

/** The table `image list` prints. */
export function formatImageListing(images: readonly ImageListing[]): string {
  if (images.length === 0) return "no images (build one with 'bootfleet image build NAME --from ...')\n";
  const rows: string[][] = [["IMAGE", "VERSION", "", "SIZE", "KERNEL", "CREATED", "SOURCE"]];
  for (const image of images) {
    for (const v of [...image.versions].reverse()) {
      rows.push([
        image.name,
        v.version,
        [v.current ? "current" : "", v.inUse ? "in use" : ""].filter(Boolean).join(", "),
        v.size === undefined ? "?" : formatBytes(v.size),
        v.kernelVersion ?? "?",
        v.created?.replace(/\.\d+Z$/, "Z") ?? "?",
        v.problem ? `(${v.problem})` : (v.source ?? ""),
      ]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
