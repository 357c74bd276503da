/**
 * `bootfleet image rm NAME [VERSION]`: one version, or the whole image with
 * its source tree. Refuses what a connected client uses (the catalog's own
 * acquisitions and the `inUse` callback it was made with) and the current
 * version while others exist.
 */
import type { ImageCatalog } from "./image-catalog.js";

export async function removeImage(catalog: ImageCatalog, name: string, version?: string): Promise<void> {
  if (version === undefined) await catalog.removeImage(name);
  else await catalog.removeVersion(name, version);
}
