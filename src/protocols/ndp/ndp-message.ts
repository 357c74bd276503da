/**
 * The two Neighbor Discovery messages a router sends and hears (RFC 4861
 * §4.1 Router Solicitation, §4.2 Router Advertisement), as one union told
 * apart by `type`, the ICMPv6 type on the wire.
 */

export const NdpType = {
  ROUTER_SOLICITATION: 133,
  ROUTER_ADVERTISEMENT: 134,
} as const;
export type NdpType = (typeof NdpType)[keyof typeof NdpType];

/** RFC 4861 §4.6: option types this codec reads or writes; any other is skipped (§4.1, §4.2). */
export const NdpOptionType = {
  SOURCE_LINK_LAYER_ADDRESS: 1,
  MTU: 5,
} as const;

export interface RouterSolicitation {
  readonly type: typeof NdpType.ROUTER_SOLICITATION;
  /**
   * The solicitor's link-layer address option (§4.6.1), "52:54:00:11:00:01"
   * for Ethernet; absent when it sent none (it must send none from the
   * unspecified address, §4.1).
   */
  readonly sourceLinkLayer?: string | undefined;
}

export interface RouterAdvertisement {
  readonly type: typeof NdpType.ROUTER_ADVERTISEMENT;
  /** Cur Hop Limit hosts should use; 0 = unspecified by this router. */
  readonly curHopLimit: number;
  /** M flag: addresses come from DHCPv6. */
  readonly managed: boolean;
  /** O flag: other configuration (DNS and such) comes from DHCPv6. */
  readonly other: boolean;
  /** Seconds this router may be a default router; 0 = it is not one (§4.2, §6.3.4). */
  readonly routerLifetime: number;
  /** Milliseconds; 0 = unspecified by this router. */
  readonly reachableTime: number;
  /** Milliseconds; 0 = unspecified by this router. */
  readonly retransTimer: number;
  /** The router's link-layer address option (§4.6.1), when present. */
  readonly sourceLinkLayer?: string | undefined;
  /** The MTU option (§4.6.4), when present. */
  readonly mtu?: number | undefined;
}

export type NdpMessage = RouterSolicitation | RouterAdvertisement;
