/**
 * What `bootfleet explain` needs from the store: the images set per machine
 * through the API, so it shows what the server would hand out. Explain must
 * work on a fresh checkout too: an absent SQLite file is no overrides (and is
 * not created), and a store that cannot be read is a warning, not a failure.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MachineOverrides } from "../config/machine-overrides.js";
import type { FleetConfig } from "../config/model.js";
import { openStore } from "../server/fleet-server.js";

export async function storedOverrides(
  config: FleetConfig,
  warn: (message: string) => void,
): Promise<MachineOverrides> {
  if (config.store.driver === "sqlite") {
    const file = config.store.url ?? join(config.server.data_dir, "bootfleet.sqlite");
    if (!existsSync(file)) return new MachineOverrides();
  }
  let store: ReturnType<typeof openStore> | undefined;
  try {
    store = openStore(config);
    return new MachineOverrides(await store.listMachineOverrides());
  } catch (err) {
    warn(
      `could not read the images set through the API from the store (${(err as Error).message}); ` +
        "showing what the config alone says",
    );
    return new MachineOverrides();
  } finally {
    await store?.close().catch(() => {});
  }
}
