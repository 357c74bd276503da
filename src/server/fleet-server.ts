/**
 * `bootfleet serve`: builds the parts from one frozen config and starts the
 * enabled services. Data flows one way: config -> resolver -> planner ->
 * services -> event bus -> store. Each service gets its sockets, the store,
 * the bus and a logger handed in; this file is the only place that knows
 * them all.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FleetConfig } from "../config/model.js";
import { FleetResolver } from "../config/resolve-machine.js";
import { EventBus } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
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
  readonly #unsubscribe: () => void;

  private constructor(config: FleetConfig, store: Store, logger: Logger) {
    this.config = config;
    this.store = store;
    this.#logger = logger;
    this.bus = new EventBus();
    this.resolver = new FleetResolver(config);
    this.#unsubscribe = this.bus.subscribe((event) => {
      store
        .addEvent({ ...event })
        .catch((e: Error) => logger.error({ err: e.message, type: event.type }, "could not store event"));
      if (event.mac)
        store
          .noteMachine({
            mac: event.mac,
            ip: event.ip ?? null,
            at: event.at,
            state: stateOf(event.type, event.stage),
          })
          .catch((e: Error) => logger.error({ err: e.message }, "could not note machine"));
    });
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
    this.#unsubscribe();
    await this.store.close();
  }
}

export function openStore(config: FleetConfig): Store {
  if (config.store.driver === "postgres")
    throw Object.assign(new Error("the postgres store is not available in this build"), {
      hint: "use store: { driver: sqlite }",
    });
  return openSqliteStore(join(config.server.data_dir, "bootfleet.sqlite"));
}

/** A machine's last state from an event: off | dhcp | loading | root-mounted | up | failed. */
export function stateOf(type: string, stage: string | undefined): string | undefined {
  if (type === "client.stage") {
    if (stage === "init") return "up";
    if (stage === "failed") return "failed";
    if (stage === "initrd") return "loading";
    return "root-mounted";
  }
  if (type.startsWith("dhcp.")) return "dhcp";
  if (type.startsWith("tftp.") || type.startsWith("http.")) return "loading";
  return undefined;
}
