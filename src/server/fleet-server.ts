/**
 * `bootfleet serve`: builds the parts from one frozen config and starts the
 * enabled services. Data flows one way: config -> resolver -> planner ->
 * services -> event bus -> store. Each service gets its sockets, the store,
 * the bus and a logger handed in; this file is the only place that knows
 * them all.
 */
import { mkdirSync } from "node:fs";
import type { FleetConfig } from "../config/model.js";
import { FleetResolver } from "../config/resolve-machine.js";
import { EventBus } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import { EventRecorder } from "../store/event-recorder.js";
import { openStore as openBackend } from "../store/open-store.js";
import type { Store } from "../store/store.js";

export interface RunningService {
  readonly name: string;
  /** Where it listens, for the start-up summary: "udp 0.0.0.0:69". */
  readonly where: string;
  stop(): Promise<void>;
}

export interface FleetServerOptions {
  readonly config: FleetConfig;
  readonly logger: Logger;
  /** An already open store (tests); default: the config's store. */
  readonly store?: Store | undefined;
}

export class FleetServer {
  readonly config: FleetConfig;
  readonly bus: EventBus;
  readonly store: Store;
  readonly resolver: FleetResolver;
  readonly services: RunningService[] = [];
  readonly #logger: Logger;
  readonly recorder: EventRecorder;

  private constructor(config: FleetConfig, store: Store, logger: Logger) {
    this.config = config;
    this.store = store;
    this.#logger = logger;
    this.bus = new EventBus();
    this.resolver = new FleetResolver(config);
    this.recorder = new EventRecorder({ store, bus: this.bus, logger: logger.child({ part: "events" }) });
  }

  static async start(opts: FleetServerOptions): Promise<FleetServer> {
    const { config, logger } = opts;
    mkdirSync(config.server.data_dir, { recursive: true });
    const store = opts.store ?? openStore(config);
    await store.migrate();
    const server = new FleetServer(config, store, logger);
    try {
      await server.#startServices();
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }

  async #startServices(): Promise<void> {
    // Services are added here as they land (DHCP, TFTP, NBD, HTTP, syslog).
  }

  async stop(): Promise<void> {
    for (const s of this.services.reverse()) {
      try {
        await s.stop();
      } catch (e) {
        this.#logger.warn({ service: s.name, err: (e as Error).message }, "service did not stop cleanly");
      }
    }
    await this.recorder.close();
    await this.store.close();
  }
}

export function openStore(config: FleetConfig): Store {
  return openBackend({
    driver: config.store.driver,
    url: config.store.url,
    data_dir: config.server.data_dir,
  });
}
