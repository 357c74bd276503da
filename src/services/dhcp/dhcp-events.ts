/**
 * The events the DHCP exchanges publish on the bus, for the event store, the
 * live page and metrics: one per packet handled, which also tells the reply.
 * A DISCOVER answered is one `dhcp.discover` with `reply: "offer"` and the
 * address offered; a REQUEST answered is its `dhcp.ack` or `dhcp.nak`,
 * carrying what the client said (arch, vendor class, state, ...); a REQUEST
 * left unanswered is a `dhcp.request`. Each event is a row in the store with
 * three indexes, most of the CPU an exchange costs, so an exchange is two
 * events, not four (a store from before also holds `dhcp.offer` events).
 * Each names the machine (mac), the address concerned when there is one,
 * and details by event.
 */
import type { MachineFacts } from "../../config/model.js";
import type { EventBus } from "../../events/event-bus.js";

export type DhcpEventType =
  | "dhcp.discover"
  | "dhcp.request"
  | "dhcp.ack"
  | "dhcp.nak"
  | "dhcp.decline"
  | "dhcp.release"
  | "dhcp.inform"
  | "dhcp.expire"
  /** A proxyDHCP reply (PXE spec 2.1 §2.2.2): boot information, no address. */
  | "dhcp.proxy";

export class DhcpEvents {
  readonly #bus: EventBus;

  constructor(bus: EventBus) {
    this.#bus = bus;
  }

  publish(type: DhcpEventType, mac: string, ip: string | undefined, detail: Record<string, unknown>): void {
    this.#bus.publish({ type, mac, ip, detail });
  }
}

/**
 * What a client said about itself, in the detail of its DISCOVER, REQUEST,
 * ACK or NAK: a new object on each call, to which the caller adds its own
 * fields (set, not spread: this runs for every packet).
 */
export function factsDetail(facts: MachineFacts): Record<string, unknown> {
  return {
    // Set by the callers that know it; first, so that it leads in the log line.
    network: undefined,
    arch: facts.arch,
    vendor_class: facts.vendorClass,
    user_class: facts.userClass,
    ipxe: facts.ipxe || undefined,
    relay: facts.relay,
  };
}
