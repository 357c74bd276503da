/**
 * `services.ra`: which interfaces get router advertisements, and the
 * advertiser on the native addon's raw ICMPv6 sockets. Nothing here stops
 * the server from starting: without the addon or CAP_NET_RAW, machines boot
 * as before, iPXE waiting for a router, and one warning says why.
 */
import type { FleetConfig } from "../config/model.js";
import type { Logger } from "../logging/logger.js";
import { planServedNetworks, type LocalAddress } from "../services/dhcp/served-network.js";
import { NativeIcmpv6Socket } from "../services/ra/icmpv6-socket.js";
import { loadNativeIcmp6, type NativeIcmp6 } from "../services/ra/native-icmp6.js";
import { ROUTER_SOCKET, RouterAdvertiser } from "../services/ra/router-advertiser.js";

const WITHOUT = "iPXE will wait about 15 s for an IPv6 router at every boot";

/** The served interfaces: `server.interfaces`, else those holding an address in a configured network. */
export function advertisedInterfaces(
  config: Pick<FleetConfig, "networks" | "hosts" | "server">,
  addresses: readonly LocalAddress[],
): string[] {
  if (config.server.interfaces.length > 0) return [...new Set(config.server.interfaces)];
  const local = planServedNetworks(config, addresses).flatMap((n) =>
    n.interfaceName ? [n.interfaceName] : [],
  );
  return [...new Set(local)];
}

/** The running advertiser, or undefined (logged) when it cannot run. */
export function startRouterAdvertisements(
  interfaces: readonly string[],
  logger: Logger,
  load: () => { icmp6: NativeIcmp6 | null; reason: string } = loadNativeIcmp6,
): RouterAdvertiser | undefined {
  if (interfaces.length === 0) {
    logger.warn(
      {},
      `ra: no served interface to advertise on (set server.interfaces, or a network this machine has an address in); ${WITHOUT}`,
    );
    return undefined;
  }
  const { icmp6, reason } = load();
  if (icmp6 === null) {
    logger.warn({ reason }, `ra: no router advertisements without the native addon; ${WITHOUT}`);
    return undefined;
  }
  const sockets: NativeIcmpv6Socket[] = [];
  for (const name of interfaces) {
    try {
      sockets.push(NativeIcmpv6Socket.open(icmp6, name, ROUTER_SOCKET));
    } catch (e) {
      const message = (e as Error).message;
      logger.warn(
        {
          interface: name,
          err: message,
          hint: /not permitted/i.test(message)
            ? "a raw ICMPv6 socket needs root or CAP_NET_RAW (packaging/bootfleet.service grants it)"
            : "does the interface exist, with IPv6 enabled?",
        },
        `ra: cannot advertise on ${name}; ${WITHOUT}`,
      );
    }
  }
  if (sockets.length === 0) return undefined;
  const advertiser = new RouterAdvertiser({ sockets, logger: logger.child({ part: "ra" }) });
  advertiser.start();
  return advertiser;
}
