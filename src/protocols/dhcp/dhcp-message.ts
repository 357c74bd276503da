/**
 * The DHCP/BOOTP message (RFC 2131 §2, figure 1) as the codec hands it over.
 * Options are kept as raw payloads by code, in the order first seen; the
 * typed readers in dhcp-option-values.ts and the PXE/relay/user-class
 * decoders interpret them. Several instances of one option are already
 * concatenated (RFC 3396 §7), and options carried in `file`/`sname` under
 * option 52 (RFC 2132 §9.3) are already merged in.
 */

/** RFC 2131 §2: `op`. */
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;

/** RFC 2131 §3: the four octets 99.130.83.99 that open the options field. */
export const MAGIC_COOKIE = 0x63825363;

/** RFC 2131 §2: op(1) htype(1) hlen(1) hops(1) xid(4) secs(2) flags(2) ciaddr yiaddr siaddr giaddr (4 each) chaddr(16) sname(64) file(128). */
export const FIXED_HEADER_LENGTH = 236;
/** RFC 2131 §2: where `sname` and `file` sit in the fixed header, and their sizes. */
export const SNAME_OFFSET = 44;
export const SNAME_LENGTH = 64;
export const FILE_OFFSET = 108;
export const FILE_LENGTH = 128;
/** Fixed header plus the magic cookie: the least a DHCP (not BOOTP) packet can be. */
export const MIN_DHCP_LENGTH = FIXED_HEADER_LENGTH + 4;
/**
 * RFC 2131 §2: a client must accept 576-octet messages, i.e. 548 of UDP
 * payload; RFC 1542 §2.1: BOOTP messages are at least 300 octets, so we pad
 * replies to that (some PXE ROMs drop shorter ones).
 */
export const MIN_REPLY_LENGTH = 300;
export const DEFAULT_MAX_MESSAGE = 576 - 28;
/**
 * Largest message we accept: a full 1500-octet Ethernet frame less the IPv4
 * and UDP headers. Nothing legitimate on a LAN is larger, and anything larger
 * is an attack on the parser, dropped as `oversized`.
 */
export const MAX_DHCP_LENGTH = 1500 - 28;

/** RFC 2131 §2 figure 2: the broadcast bit of `flags`. */
export const FLAG_BROADCAST = 0x8000;

/** RFC 2132 §9.6: DHCP message types (option 53). */
export const DhcpMessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;
export type DhcpMessageTypeValue = (typeof DhcpMessageType)[keyof typeof DhcpMessageType];

export const MESSAGE_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: "discover",
  2: "offer",
  3: "request",
  4: "decline",
  5: "ack",
  6: "nak",
  7: "release",
  8: "inform",
};

/** Option codes this project reads or writes (RFC 2132 unless noted). */
export const Opt = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTERS: 3,
  DNS_SERVERS: 6,
  HOSTNAME: 12,
  DOMAIN_NAME: 15,
  ROOT_PATH: 17,
  BROADCAST_ADDRESS: 28,
  NTP_SERVERS: 42,
  VENDOR_SPECIFIC: 43,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_LIST: 55,
  MESSAGE: 56,
  MAX_MESSAGE_SIZE: 57,
  RENEWAL_TIME: 58,
  REBINDING_TIME: 59,
  VENDOR_CLASS: 60,
  CLIENT_ID: 61,
  TFTP_SERVER_NAME: 66,
  BOOTFILE_NAME: 67,
  /** RFC 3004 */
  USER_CLASS: 77,
  /** RFC 3046 */
  RELAY_AGENT_INFO: 82,
  /** RFC 4578 §2.1 */
  CLIENT_ARCH: 93,
  /** RFC 4578 §2.2 */
  CLIENT_NDI: 94,
  /** RFC 4578 §2.3 */
  CLIENT_UUID: 97,
  /** iPXE's encapsulated options (its own registry, not an RFC). */
  IPXE_ENCAPSULATED: 175,
  END: 255,
} as const;

export interface DhcpMessage {
  readonly op: number;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly giaddr: string;
  /** All 16 octets of `chaddr`; the hardware address is the first `hlen`. */
  readonly chaddr: Buffer;
  /** Server host name; "" when empty or when it carried options (overload). */
  readonly sname: string;
  /** Boot file name; "" when empty or when it carried options (overload). */
  readonly file: string;
  /** Option payloads by code, in order of first appearance; no PAD/END/OVERLOAD. */
  readonly options: ReadonlyMap<number, Buffer>;
  /** Option 53, or null for a plain BOOTP message (RFC 1542). */
  readonly messageType: number | null;
}
