/**
 * A DhcpHandler wired to the real config loader and resolver, the memory
 * store, a recording logger, a bus that keeps events, a settable clock and a
 * fake planner: what the unit and fuzz tests share.
 */
import type { BootPlanner, DhcpBootSpec } from "../../boot/boot-planner.js";
import { loadConfigFromString } from "../../config/load-config.js";
import type { FleetConfig, MachineFacts } from "../../config/model.js";
import { FleetResolver } from "../../config/resolve-machine.js";
import { type BootEvent, EventBus } from "../../events/event-bus.js";
import { MemoryLogger } from "../../logging/logger.js";
import { MemoryStore } from "../../store/memory/memory-store.js";
import type { Store } from "../../store/store.js";
import { DhcpHandler, type DhcpHandlerOptions } from "./dhcp-handler.js";
import type { LocalAddress } from "./served-network.js";

export const TEST_FLEET = `
server: { address: 198.18.10.1 }
services: { dhcp: { mode: full, lease_time: 600 } }
networks:
  - subnet: 198.18.10.0/24
    pool: 198.18.10.100-198.18.10.109
    routers: [198.18.10.1]
    dns: [198.18.10.1]
    domain: lab.example
  - subnet: 198.18.11.0/24
    pool: 198.18.11.50-198.18.11.59
    routers: [198.18.11.1]
    max_leases: 3
defaults:
  boot_unknown: true
  dhcp:
    root_path: "198.18.10.1:/opt/ltsp/i386"
    options: { "128": "e4:45:74:68:00:00", "129": "NIC=ne IO=0x300" }
hosts:
  ws100:
    mac: "00:c0:4f:ad:5c:bc"
    ip: 198.18.10.12
`;

/** The server holds 198.18.10.1 on s0; 198.18.11.0/24 is reached only through a relay. */
export const TEST_ADDRESSES: readonly LocalAddress[] = [
  { interface: "s0", address: "198.18.10.1", prefix: 24 },
];

export class TestPlanner implements BootPlanner {
  readonly asked: MachineFacts[] = [];
  dhcpBoot(facts: MachineFacts): DhcpBootSpec | null {
    this.asked.push(facts);
    if (facts.mac === "02:00:00:00:0f:0f") return null;
    const bootFile = facts.ipxe
      ? "http://198.18.10.1:8080/boot.ipxe"
      : facts.arch === 7
        ? "ipxe.efi"
        : "undionly.kpxe";
    return { nextServer: "198.18.10.1", bootFile, options: new Map([[150, Buffer.from("planner")]]) };
  }
  async generatedFile(): Promise<null> {
    return null;
  }
}

export interface HandlerFixture {
  readonly handler: DhcpHandler;
  readonly config: FleetConfig;
  readonly store: Store;
  readonly logger: MemoryLogger;
  readonly events: BootEvent[];
  readonly planner: TestPlanner;
  readonly clock: { t: number; now(): number };
}

export async function makeHandlerFixture(
  yaml: string = TEST_FLEET,
  options: {
    store?: Store;
    addresses?: readonly LocalAddress[];
    clock?: { t: number; now(): number };
    onBinding?: DhcpHandlerOptions["onBinding"];
  } = {},
): Promise<HandlerFixture> {
  const config = loadConfigFromString(yaml, "/test/bootfleet.yaml", { skipImageCheck: true });
  const store = options.store ?? new MemoryStore();
  await store.migrate();
  const clock = options.clock ?? { t: 1_800_000_000_000, now: () => 0 };
  clock.now = () => clock.t;
  const bus = new EventBus(clock);
  const events: BootEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const logger = new MemoryLogger();
  const planner = new TestPlanner();
  const handler = new DhcpHandler({
    config,
    addresses: options.addresses ?? TEST_ADDRESSES,
    resolver: new FleetResolver(config),
    planner,
    store,
    bus,
    logger,
    clock,
    onBinding: options.onBinding,
  });
  await handler.start();
  return { handler, config, store, logger, events, planner, clock };
}
