/**
 * Finding a machine named by MAC, hostname or address, and how it looks in
 * the API (GET /machines/<id>): shared by api-routes.ts and the routes in
 * their own files (machine-image-routes.ts), so every route answers a
 * machine the same way.
 */
import type { InspectableBootPlanner, PlanResult } from "../boot/fleet-boot-planner.js";
import { parseMac } from "../boot/mac-address.js";
import type { FleetConfig, Host, MachineFacts, ResolvedMachine, Resolver } from "../config/model.js";
import type { Logger } from "../logging/logger.js";
import type { MachineRow, Store } from "../store/store.js";
import { ApiError } from "./api-errors.js";
import { bootView, summary } from "./machine-view.js";

export interface MachineLookupDeps {
  readonly config: FleetConfig;
  readonly resolver: Resolver;
  readonly planner: InspectableBootPlanner;
  readonly store: Store;
  readonly logger: Logger;
}

export interface FoundMachine {
  readonly id: string;
  readonly mac: string | null;
  readonly row: MachineRow | null;
  readonly host: Host | undefined;
}

export interface MachineLookup {
  /** Runs a store call; a failure is logged and becomes 500 STORE_FAILED. */
  storeCall<T>(what: string, call: () => Promise<T>): Promise<T>;
  /** What is known of a machine: what its firmware told DHCP, else the store, else the config. */
  factsOf(mac: string, row: MachineRow | null, host: Host | undefined): MachineFacts;
  /** The resolved machine, or null (logged) when resolving throws. */
  resolveSafe(facts: MachineFacts): ResolvedMachine | null;
  /** A machine declared in the config or seen on the network; 404 MACHINE_NOT_FOUND otherwise. */
  find(id: string): Promise<FoundMachine>;
  /** The machine's MAC; 404 MACHINE_NOT_FOUND for a declared host without one that was never seen. */
  requireMac(m: FoundMachine): string;
  /** The body of GET /machines/<id>. */
  detail(found: FoundMachine): { machine: Record<string, unknown> };
}

export function machineLookup(deps: MachineLookupDeps): MachineLookup {
  const { config, resolver, planner, store, logger } = deps;

  const storeCall = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      logger.error({ err: String(err), what }, "store failed");
      throw new ApiError("STORE_FAILED", `the store could not ${what}`);
    }
  };

  const factsOf = (mac: string, row: MachineRow | null, host: Host | undefined): MachineFacts => {
    const remembered = planner.factsFor(mac);
    return {
      ...remembered,
      mac,
      ip: remembered.ip ?? row?.ip ?? host?.ip ?? undefined,
      hostname: remembered.hostname ?? row?.hostname ?? host?.name ?? undefined,
      arch: remembered.arch ?? row?.arch ?? undefined,
    };
  };

  const resolveSafe = (facts: MachineFacts): ResolvedMachine | null => {
    try {
      return resolver.resolve(facts);
    } catch (err) {
      logger.warn({ mac: facts.mac, err: String(err) }, "resolving a machine for the API failed");
      return null;
    }
  };

  const find = async (id: string): Promise<FoundMachine> => {
    const mac = parseMac(id);
    let found: FoundMachine | null = null;
    if (mac) {
      const row = await storeCall("read a machine", () => store.getMachine(mac));
      const host = config.hosts.find((h) => h.mac === mac);
      if (row || host) found = { id, mac, row, host };
    } else {
      const host = resolver.findHost(id);
      if (host?.mac) {
        const hostMac = host.mac;
        found = {
          id,
          mac: hostMac,
          row: await storeCall("read a machine", () => store.getMachine(hostMac)),
          host,
        };
      } else {
        const rows = await storeCall("list machines", () => store.listMachines());
        const row =
          rows.find((r) => r.ip === id || r.hostname === id || (host?.ip && r.ip === host.ip)) ?? null;
        if (row || host) found = { id, mac: row?.mac ?? null, row, host };
      }
    }
    if (!found) {
      throw new ApiError(
        "MACHINE_NOT_FOUND",
        `no machine "${id}" is declared in the config or has been seen; look machines up by MAC, hostname or IP`,
        { id },
      );
    }
    return found;
  };

  const requireMac = (m: FoundMachine): string => {
    if (m.mac) return m.mac;
    throw new ApiError(
      "MACHINE_NOT_FOUND",
      `host "${m.host?.name ?? m.id}" has no MAC address in the config and has not been seen yet`,
      { id: m.id },
    );
  };

  const detail = (found: FoundMachine): { machine: Record<string, unknown> } => {
    const m = found.mac ? resolveSafe(factsOf(found.mac, found.row, found.host)) : null;
    const boot: PlanResult | null = found.mac
      ? planner.decide(factsOf(found.mac, found.row, found.host))
      : null;
    return {
      machine: {
        ...summary(found.row, m, found.host !== undefined),
        ...(found.host ? { hostname: found.host.name } : {}),
        host: found.host?.name ?? null,
        boot: boot ? bootView(boot) : { bootable: false, reason: "no MAC address known for this host yet" },
      },
    };
  };

  return { storeCall, factsOf, resolveSafe, find, requireMac, detail };
}
