/**
 * Picks the backend from the config's `store:` section: SQLite in the data
 * folder by default, PostgreSQL when several servers share one fleet.
 * The store comes back unmigrated; call `migrate()` before use.
 */
import { join } from "node:path";
import { openPostgresStore } from "./postgres/postgres-store.js";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

export interface StoreOptions {
  readonly driver: "sqlite" | "postgres";
  /** PostgreSQL connection URL; for sqlite, an explicit file instead of the default. */
  readonly url?: string | undefined;
  /** Absolute data folder: the SQLite file is `<data_dir>/bootfleet.sqlite`. */
  readonly data_dir: string;
}

export class StoreConfigError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.name = "StoreConfigError";
    this.hint = hint;
  }
}

export function openStore(options: StoreOptions): Store {
  if (options.driver === "postgres") {
    if (!options.url) {
      throw new StoreConfigError(
        "store: driver postgres needs a url",
        "set store: { driver: postgres, url: postgresql://user@host/db }",
      );
    }
    return openPostgresStore(options.url);
  }
  return openSqliteStore(options.url ?? join(options.data_dir, "bootfleet.sqlite"));
}
