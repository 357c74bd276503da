/**
 * Published image versions in the shared PostgreSQL store (the
 * published_images and image_holders tables).
 *
 * Why LISTEN/NOTIFY, with a poll behind it (src/images/image-puller.ts):
 * a notice makes serving servers start pulling as soon as a build is
 * published, for one idle connection per server; the notice only says
 * "look now", the tables stay the one source, so a notice lost while a
 * connection was down costs one poll interval.
 */
import type pg from "pg";
import type { ImageManifest } from "../../images/image-manifest.js";
import type { ImageHolder, PublishedImage, PublishedImages } from "../../images/published-images.js";
import { openPostgresClient, openPostgresPool } from "./postgres-pool.js";

const CHANNEL = "bootfleet_images";

interface PublishedRow {
  readonly name: string;
  readonly version: string;
  readonly built_by: string;
  readonly url: string;
  readonly manifest: string;
  readonly at: string | number;
}

export class PostgresPublishedImages implements PublishedImages {
  readonly #url: string;
  readonly #pool: pg.Pool;
  #listener: pg.Client | null = null;
  #closed = false;

  constructor(url: string) {
    this.#url = url;
    this.#pool = openPostgresPool(url, 1);
  }

  async publish(image: PublishedImage): Promise<void> {
    const c = await this.#pool.connect();
    try {
      await c.query("BEGIN");
      await c.query(
        `INSERT INTO published_images (name, version, built_by, url, manifest, at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name, version) DO UPDATE SET built_by = excluded.built_by, url = excluded.url, at = excluded.at`,
        [image.name, image.version, image.builtBy, image.url, image.manifestText, image.at],
      );
      await c.query(
        `INSERT INTO image_holders (name, version, server, at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name, version, server) DO NOTHING`,
        [image.name, image.version, image.builtBy, image.at],
      );
      // Delivered at commit: a listener never looks before the row is there.
      await c.query("SELECT pg_notify($1, $2)", [CHANNEL, `${image.name} ${image.version}`]);
      await c.query("COMMIT");
    } catch (e) {
      await c.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  async list(): Promise<readonly PublishedImage[]> {
    const r = await this.#pool.query<PublishedRow>(
      `SELECT name, version, built_by, url, manifest, at FROM published_images
       ORDER BY at, name COLLATE "C", version COLLATE "C"`,
    );
    return r.rows.map((row) => ({
      name: row.name,
      version: row.version,
      builtBy: row.built_by,
      url: row.url,
      manifest: JSON.parse(row.manifest) as ImageManifest,
      manifestText: row.manifest,
      at: Number(row.at),
    }));
  }

  async hold(name: string, version: string, server: string, at: number): Promise<void> {
    await this.#pool.query(
      `INSERT INTO image_holders (name, version, server, at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name, version, server) DO UPDATE SET at = excluded.at`,
      [name, version, server, at],
    );
  }

  async release(name: string, version: string, server: string): Promise<void> {
    await this.#pool.query("DELETE FROM image_holders WHERE name = $1 AND version = $2 AND server = $3", [
      name,
      version,
      server,
    ]);
  }

  async holders(): Promise<readonly ImageHolder[]> {
    const r = await this.#pool.query<{ name: string; version: string; server: string; at: string | number }>(
      `SELECT name, version, server, at FROM image_holders
       ORDER BY name COLLATE "C", version COLLATE "C", server COLLATE "C"`,
    );
    return r.rows.map((row) => ({ ...row, at: Number(row.at) }));
  }

  async follow(onPublished: () => void): Promise<void> {
    const client = openPostgresClient(this.#url);
    client.on("notification", () => onPublished());
    // A lost connection is opened again; the puller's poll covers the gap.
    client.on("error", () => {
      if (this.#listener !== client) return;
      this.#listener = null;
      client.end().catch(() => {});
      if (!this.#closed) setTimeout(() => void this.follow(onPublished).catch(() => {}), 1000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.#listener = client;
    onPublished();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const listener = this.#listener;
    this.#listener = null;
    await listener?.end().catch(() => {});
    await this.#pool.end();
  }
}
