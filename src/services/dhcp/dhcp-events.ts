/**
 * The events the DHCP exchanges publish on the bus, one per packet handled
 * and one per reply, for the event store, the live page and metrics. Each
 * names the machine (mac), the address concerned when there is one, and
 * details by event.
 */
import type { MachineFacts } from "../../config/model.js";
import type { EventBus } from "../../events/event-bus.js";

export type DhcpEventType =
  | "dhcp.discover"
  | "dhcp.offer"
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

/** What a client said about itself, as the detail of its DISCOVER or REQUEST. */
export function factsDetail(facts: MachineFacts): Record<string, unknown> {
  return {
    arch: facts.arch,
    vendor_class: facts.vendorClass,
    user_class: facts.userClass,
    ipxe: facts.ipxe || undefined,
    relay: facts.relay,
  };
}
