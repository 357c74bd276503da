/**
 * The published-images table of the config's store, and this server's name
 * and HTTP base in it. Null on SQLite: one server holds the whole fleet and
 * publishing is a no-op. The PostgreSQL module is imported here only.
 */
import type { FleetConfig } from "../config/model.js";
import type { Publisher } from "./publish-image.js";
import type { PublishedImages } from "./published-images.js";

export async function openPublishedImages(config: FleetConfig): Promise<PublishedImages | null> {
  const url = config.store.url;
  if (config.store.driver !== "postgres" || !url) return null;
  const { PostgresPublishedImages } = await import("../store/postgres/postgres-published-images.js");
  return new PostgresPublishedImages(url);
}

/** `port`: where the HTTP service listens when that is not the config's (port 0 in tests). */
export function publisherOf(config: FleetConfig, port: number = config.services.http.port): Publisher {
  return {
    server: config.ha?.this_server ?? config.server.address,
    url: `http://${config.server.address}:${port}`,
  };
}
