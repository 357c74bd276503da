/**
 * Which machine is at an address, from evidence the server controls:
 *   - a fixed address in the config (`hosts: { name: { mac, ip } }`), first;
 *   - full DHCP: the lease bootfleet granted (bound and running, from the
 *     store, so it survives a restart; relayed clients' leases too);
 *   - proxy mode: the DHCP exchange the server watched (observed-bindings.ts),
 *     fed by the DHCP service through observe().
 * Never from which files an address asked for: anyone can fetch any
 * machine's boot files, so a fetch says nothing about who the fetcher is.
 *
 * A host with a fixed address is at that address and nowhere else: no lease
 * or observed exchange makes it be somewhere else, which is what lets an
 * administrator pin the machines whose disks and secrets matter.
 *
 * machineAt() is the one relation; addressesOf() and isMachineAt() are read
 * from it, so the three never disagree. NBD copy-on-write layers, stage
 * reports, syslog attribution and secret layer entries all ask here.
 */
import type { FleetConfig } from "../config/model.js";
import { cidrContains, parseIpv4, plainIpv4 } from "../config/net-address.js";
import { type Clock, systemClock } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { Store } from "../store/store.js";
import { FixedAddresses } from "./fixed-addresses.js";
import { type ObservedBinding, ObservedBindings } from "./observed-bindings.js";

/** What proved a machine's address. */
export type IdentityEvidence = "fixed-address" | "lease" | "dhcp-observed";

export interface Identity {
  readonly mac: string;
  readonly ip: string;
  readonly evidence: IdentityEvidence;
}

/** The questions services ask (handed to them at wiring time). */
export interface IdentityQueries {
  /** The machine proven at `ip`, and how; null when none is. */
  identityOf(ip: string): Promise<Identity | null>;
  /** The MAC of the machine proven at `ip`; null when none is. */
  machineAt(ip: string): Promise<string | null>;
  /** Every address the machine is proven at (usually one; none when unknown). */
  addressesOf(mac: string): Promise<readonly string[]>;
  /** `ip` is a proven address of `mac`. */
  isMachineAt(mac: string, ip: string): Promise<boolean>;
}

export interface ClientIdentityOptions {
  readonly config: Pick<FleetConfig, "hosts" | "networks" | "services">;
  readonly store: Store;
  readonly logger: Logger;
  readonly clock?: Clock | undefined;
  /** Observed bindings kept at most (proxy mode; default 65,536, the oldest goes first). */
  readonly maxObserved?: number | undefined;
}

export class ClientIdentity implements IdentityQueries {
  readonly #mode: FleetConfig["services"]["dhcp"]["mode"];
  readonly #networks: FleetConfig["networks"];
  readonly #fixed: FixedAddresses;
  readonly #observed: ObservedBindings | undefined;
  readonly #store: Store;
  readonly #clock: Clock;

  private constructor(options: ClientIdentityOptions, observed: ObservedBindings | undefined) {
    this.#mode = options.config.services.dhcp.mode;
    this.#networks = options.config.networks;
    this.#fixed = new FixedAddresses(options.config.hosts);
    this.#observed = observed;
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
  }

  /** Reads the observed bindings kept in the store (proxy mode). */
  static async open(options: ClientIdentityOptions): Promise<ClientIdentity> {
    const log = options.logger.child({ part: "identity" });
    const observed =
      options.config.services.dhcp.mode === "proxy"
        ? await ObservedBindings.load(options.store, log, options.maxObserved ?? 65_536)
        : undefined;
    return new ClientIdentity(options, observed);
  }

  async identityOf(address: string): Promise<Identity | null> {
    const ip = plainIpv4(address);
    const fixed = this.#fixed.macAt(ip);
    if (fixed !== undefined) return { mac: fixed, ip, evidence: "fixed-address" };
    let found: Identity | null = null;
    if (this.#mode === "full") {
      const lease = await this.#store.getLeaseByIp(ip);
      if (lease && lease.state === "bound" && lease.expires > this.#clock.now())
        found = { mac: lease.mac, ip, evidence: "lease" };
    } else if (this.#observed) {
      const mac = this.#observed.macAt(ip);
      if (mac !== undefined) found = { mac, ip, evidence: "dhcp-observed" };
    }
    // Pinned elsewhere by the config: this evidence does not move it.
    if (found && this.#fixed.addressOf(found.mac) !== undefined) return null;
    return found;
  }

  async machineAt(address: string): Promise<string | null> {
    return (await this.identityOf(address))?.mac ?? null;
  }

  async addressesOf(mac: string): Promise<readonly string[]> {
    const fixed = this.#fixed.addressOf(mac);
    if (fixed !== undefined) return [fixed];
    if (this.#mode === "full") {
      // The running leases of `mac` are what identityOf() reads at each of
      // their addresses (a lease is keyed by its address), so only the
      // config's pins remain to check.
      const leases = await this.#store.queryLeases({
        mac,
        states: ["bound"],
        expiresAfter: this.#clock.now(),
      });
      return leases.filter((l) => this.#fixed.macAt(l.ip) === undefined).map((l) => l.ip);
    }
    const ip = this.#observed?.addressOf(mac);
    return ip !== undefined && (await this.machineAt(ip)) === mac ? [ip] : [];
  }

  async isMachineAt(mac: string, address: string): Promise<boolean> {
    return (await this.machineAt(address)) === mac;
  }

  /**
   * The DHCP service saw `binding.mac` use `binding.ip` in an exchange
   * another server answered. Kept in proxy mode only (in full mode our own
   * leases are the evidence), for addresses inside the configured networks
   * (which also bounds the table), and never for a host the config pins.
   */
  observe(binding: ObservedBinding): void {
    if (!this.#observed) return;
    const n = parseIpv4(binding.ip);
    if (n === null || n === 0 || !this.#networks.some((net) => cidrContains(net.subnet, n))) return;
    if (this.#fixed.addressOf(binding.mac) !== undefined || this.#fixed.macAt(binding.ip) !== undefined)
      return;
    this.#observed.record(binding, this.#clock.now());
  }

  /** Resolves when the observed bindings seen so far are in the store. */
  async flush(): Promise<void> {
    await this.#observed?.flush();
  }
}
