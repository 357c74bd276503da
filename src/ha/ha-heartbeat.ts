/**
 * Keeps this server's heartbeat in the store and the HA scope up to date:
 * every `ha.heartbeat` seconds it beats, reads every peer's age and tells
 * the scope, logging each peer that goes quiet or comes back. A store that
 * cannot be reached leaves the scope as it was: the claims refuse nothing
 * they cannot write, so no address goes out twice meanwhile.
 */
import type { HaConfig } from "../config/model.js";
import type { Clock } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { HaScope } from "./ha-scope.js";
import type { Heartbeats } from "./heartbeats.js";

export interface HaHeartbeatOptions {
  readonly config: HaConfig;
  readonly scope: HaScope;
  readonly heartbeats: Heartbeats;
  readonly logger: Logger;
  readonly clock: Clock;
}

export class HaHeartbeat {
  readonly #o: HaHeartbeatOptions;
  readonly #started: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(options: HaHeartbeatOptions) {
    this.#o = options;
    this.#started = options.clock.now();
  }

  async start(): Promise<void> {
    await this.tick();
    this.#timer = setInterval(() => {
      this.#running ??= this.tick().finally(() => {
        this.#running = null;
      });
    }, this.#o.config.heartbeat * 1000);
    this.#timer.unref();
  }

  /** One beat and one reading of the peers' ages. */
  async tick(): Promise<void> {
    const { config, scope, heartbeats, logger, clock } = this.#o;
    try {
      await heartbeats.beat(config.this_server, config.mode);
      const changed = scope.update(await heartbeats.ages(), clock.now() - this.#started);
      for (const peer of changed) {
        const down = scope.down.includes(peer);
        logger.warn(
          { peer, mode: config.mode, failover_after: config.failover_after },
          down ? "ha: peer silent, answering its clients" : "ha: peer back, leaving its clients to it",
        );
      }
    } catch (err) {
      logger.warn({ err: (err as Error).message }, "ha: heartbeat failed");
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
