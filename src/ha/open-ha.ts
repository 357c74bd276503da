/**
 * The parts a server needs to share its fleet with peers (docs/ha.md), built
 * from the frozen config: the HA scope and its heartbeat, the shared lease
 * book, and the fleet-wide "event stored" signal for the live view. The PostgreSQL modules are imported here only, so a server
 * without `ha:` never loads the driver.
 */
import type { FleetConfig, HaConfig } from "../config/model.js";
import type { Clock } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { LeaseBook } from "../services/dhcp/lease-book.js";
import type { Store } from "../store/store.js";
import { FleetEvents, type PersistedSource } from "./fleet-events.js";
import { HaHeartbeat } from "./ha-heartbeat.js";
import { HaScope } from "./ha-scope.js";

export interface Ha {
  readonly config: HaConfig;
  readonly scope: HaScope;
  /** The lease book DHCP uses: claims arbitrated by the shared table. */
  readonly leases: LeaseBook;
  /** Events stored by this server or any other: what the live view follows. */
  readonly events: FleetEvents;
  close(): Promise<void>;
}

export async function openHa(
  config: FleetConfig,
  store: Store,
  recorder: PersistedSource,
  logger: Logger,
  clock: Clock,
): Promise<Ha | null> {
  const ha = config.ha;
  const url = config.store.url;
  // `bootfleet check` refuses ha: without the postgres store.
  if (!ha || config.store.driver !== "postgres" || !url) return null;
  const [{ PostgresLeaseClaims }, { PostgresHeartbeats }, { PostgresEventNotices }, { SharedLeaseBook }] =
    await Promise.all([
      import("../store/postgres/postgres-lease-claims.js"),
      import("../store/postgres/postgres-heartbeats.js"),
      import("../store/postgres/postgres-event-notices.js"),
      import("../services/dhcp/shared-lease-book.js"),
    ]);
  const scope = new HaScope(ha);
  const claims = new PostgresLeaseClaims(url);
  const heartbeats = new PostgresHeartbeats(url);
  const heartbeat = new HaHeartbeat({ config: ha, scope, heartbeats, logger, clock });
  await heartbeat.start();
  const notices = new PostgresEventNotices(url);
  const events = new FleetEvents(notices, logger, clock);
  await events.start(recorder);
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
    events,
    async close() {
      events.stop();
      await notices.close();
      await heartbeat.stop();
      await claims.close();
      await heartbeats.close();
    },
  };
}
