/**
 * The parts a server needs to share its fleet with peers (docs/ha.md), built
 * from the frozen config: the HA scope and its heartbeat, and the shared
 * lease book. The PostgreSQL modules are imported here only, so a server
 * without `ha:` never loads the driver.
 */
import type { FleetConfig, HaConfig } from "../config/model.js";
import type { Clock } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { LeaseBook } from "../services/dhcp/lease-book.js";
import type { Store } from "../store/store.js";
import { HaHeartbeat } from "./ha-heartbeat.js";
import { HaScope } from "./ha-scope.js";

export interface Ha {
  readonly config: HaConfig;
  readonly scope: HaScope;
  /** The lease book DHCP uses: claims arbitrated by the shared table. */
  readonly leases: LeaseBook;
  close(): Promise<void>;
}

export async function openHa(
  config: FleetConfig,
  store: Store,
  logger: Logger,
  clock: Clock,
): Promise<Ha | null> {
  const ha = config.ha;
  const url = config.store.url;
  // `bootfleet check` refuses ha: without the postgres store.
  if (!ha || config.store.driver !== "postgres" || !url) return null;
  const [{ PostgresLeaseClaims }, { PostgresHeartbeats }, { SharedLeaseBook }] = await Promise.all([
    import("../store/postgres/postgres-lease-claims.js"),
    import("../store/postgres/postgres-heartbeats.js"),
    import("../services/dhcp/shared-lease-book.js"),
  ]);
  const scope = new HaScope(ha);
  const claims = new PostgresLeaseClaims(url);
  const heartbeats = new PostgresHeartbeats(url);
  const heartbeat = new HaHeartbeat({ config: ha, scope, heartbeats, logger, clock });
  await heartbeat.start();
  const leases = new SharedLeaseBook({
    store,
    clock,
    claims,
    share: { index: scope.index, count: ha.peers.length },
  });
  return {
    config: ha,
    scope,
    leases,
    async close() {
      await heartbeat.stop();
      await claims.close();
      await heartbeats.close();
    },
  };
}
