/** Where a fleet config chooses a boot loader (for start-up checks of what that loader needs). */
import type { FleetConfig, LayerSpec } from "../config/model.js";

/** The layers that set `loader: <loader>`: "defaults", "network 198.18.0.0/24", "group lab4", "host a-1", "address 198.18.0.9". */
export function layersWithLoader(config: FleetConfig, loader: NonNullable<LayerSpec["loader"]>): string[] {
  const uses = (l: LayerSpec) => l.loader === loader;
  const where: string[] = [];
  if (uses(config.defaults)) where.push("defaults");
  for (const n of config.networks) if (uses(n)) where.push(`network ${n.subnet.text}`);
  for (const g of config.groups) if (uses(g)) where.push(`group ${g.name}`);
  for (const h of config.hosts) if (uses(h)) where.push(`host ${h.name}`);
  for (const a of config.addresses) if (uses(a)) where.push(`address ${a.ip}`);
  return where;
}
