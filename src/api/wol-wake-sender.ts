/**
 * The wake route's WakeSender over src/wol's WolSender: the magic packet
 * goes to the broadcast address of the network the config puts the machine
 * in (a directed broadcast, which is all a WoL NIC listens for).
 */
import type { WolSender } from "../wol/wol-sender.js";
import type { WakeSender } from "./web-admin-routes.js";

export function wolWakeSender(sender: Pick<WolSender, "wake">): WakeSender {
  return {
    async wake(mac, hint) {
      if (!hint.network) {
        throw new Error(
          `no network in the config holds ${mac}${hint.ip ? ` (${hint.ip})` : ""}: its broadcast address is unknown`,
        );
      }
      const r = await sender.wake({ mac, subnet: hint.network });
      return { sentTo: `${r.address}:${r.port}` };
    },
  };
}
