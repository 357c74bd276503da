/**
 * A serving server's side of image publishing (docs/ha.md, split roles):
 * when a build server publishes a version, fetch it (pull-image.ts), record
 * this server as a holder, and make it the image's current version. Only
 * the latest published version of each image is pulled (the build
 * server's last `image build`, `commit` or `use`): it is the one to boot,
 * and older ones would only fill the disk. A failed or corrupt pull is
 * logged and tried again at the next poll; the current version stays.
 */
import type { Logger } from "../logging/logger.js";
import type { ImageCatalog } from "./image-catalog.js";
import { pullImage } from "./pull-image.js";
import type { PublishedImage, PublishedImages } from "./published-images.js";

/** Behind the notices: a publish whose notice was lost is seen within this. */
export const DEFAULT_PULL_POLL_MS = 60_000;

export interface ImagePullerOptions {
  readonly catalog: ImageCatalog;
  readonly published: PublishedImages;
  /** This server's name in image_holders. */
  readonly server: string;
  readonly logger: Logger;
  /** Versions kept of each image (`images.keep`), as a build keeps them; older ones not in use are removed. */
  readonly keep: number;
  readonly pollMs?: number | undefined;
  readonly fetch?: typeof fetch | undefined;
}

export class ImagePuller {
  readonly #opts: ImagePullerOptions;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(opts: ImagePullerOptions) {
    this.#opts = opts;
  }

  async start(): Promise<void> {
    await this.#opts.published.follow(() => this.wake());
    this.#timer = setInterval(() => this.wake(), this.#opts.pollMs ?? DEFAULT_PULL_POLL_MS);
    this.#timer.unref();
  }

  /** Looks for new versions now; a call while a pass runs makes one more pass after it. */
  wake(): void {
    if (this.#abort.signal.aborted) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#passes().finally(() => {
      this.#running = null;
    });
  }

  /** Resolves when no pass is running (tests). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#abort.abort();
    await this.#running;
  }

  async #passes(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#pass();
      } catch (e) {
        this.#opts.logger.warn({ err: (e as Error).message }, "images: cannot read the published versions");
      }
    } while (this.#again && !this.#abort.signal.aborted);
  }

  async #pass(): Promise<void> {
    const { catalog, published, server, logger } = this.#opts;
    // list() is oldest first: the last row of a name is its latest.
    const latest = new Map<string, PublishedImage>();
    for (const p of await published.list()) latest.set(p.name, p);
    for (const p of latest.values()) {
      if (this.#abort.signal.aborted) return;
      if (p.builtBy === server) continue;
      const log = { image: p.name, version: p.version, from: p.url };
      try {
        const pulled = await pullImage({
          catalog,
          image: p,
          fetch: this.#opts.fetch,
          signal: this.#abort.signal,
        });
        await published.hold(p.name, p.version, server, Date.now());
        // Switched only now: the version is complete and checked.
        if ((await catalog.current(p.name)) !== p.version) {
          await catalog.setCurrent(p.name, p.version);
          // As a build does: a file server's disk holds `keep` versions, not every one ever published.
          for (const old of await catalog.prune(p.name, this.#opts.keep))
            await published.release(p.name, old, server);
          logger.info(
            log,
            pulled ? "images: pulled and switched to a published version" : "images: switched",
          );
        }
      } catch (e) {
        if (this.#abort.signal.aborted) return;
        logger.warn({ ...log, err: (e as Error).message }, "images: pull refused; the current version stays");
      }
    }
  }
}
