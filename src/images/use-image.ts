/** `bootfleet image use NAME VERSION`: switch `current` atomically (rename of a new symlink). */
import type { ImageCatalog } from "./image-catalog.js";

export interface UseImageResult {
  readonly name: string;
  readonly version: string;
  readonly previous?: string | undefined;
}

export async function useImage(
  catalog: ImageCatalog,
  name: string,
  version: string,
): Promise<UseImageResult> {
  const previous = await catalog.current(name);
  await catalog.setCurrent(name, version);
  return { name, version, previous };
}
