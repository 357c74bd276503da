/**
 * `bootfleet image list` on a shared store: every version build servers
 * published, which one serving servers boot (the latest published of each
 * image), and which servers hold a complete, checked copy.
 */
import type { PublishedImages } from "./published-images.js";

export interface PublishedRow {
  readonly name: string;
  readonly version: string;
  readonly builtBy: string;
  readonly url: string;
  /** The latest published of its image: the version serving servers switch to. */
  readonly latest: boolean;
  readonly publishedAt: string;
  /** Servers holding it, the builder included, by name. */
  readonly heldBy: readonly string[];
}

export async function listPublished(published: PublishedImages): Promise<PublishedRow[]> {
  const [versions, holders] = await Promise.all([published.list(), published.holders()]);
  const latest = new Map<string, string>();
  for (const p of versions) latest.set(p.name, p.version);
  return versions
    .map((p) => ({
      name: p.name,
      version: p.version,
      builtBy: p.builtBy,
      url: p.url,
      latest: latest.get(p.name) === p.version,
      publishedAt: new Date(p.at).toISOString(),
      heldBy: holders.filter((h) => h.name === p.name && h.version === p.version).map((h) => h.server),
    }))
    .sort((a, b) => (a.name === b.name ? (a.version < b.version ? 1 : -1) : a.name < b.name ? -1 : 1));
}

export function formatPublishedListing(rows: readonly PublishedRow[]): string {
  if (rows.length === 0)
    return "no versions published in the store (a build server publishes what it builds)\n";
  const table: string[][] = [["IMAGE", "VERSION", "", "BUILT BY", "HELD BY"]];
  for (const r of rows)
    table.push([r.name, r.version, r.latest ? "latest" : "", r.builtBy, r.heldBy.join(", ") || "-"]);
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return `${table
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
