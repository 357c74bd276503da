/**
 * What passes between the DHCP service's sockets and the exchanges: a
 * datagram in with the socket it arrived on, replies out with where each
 * must go and which socket sends it. The exchanges never touch a socket.
 */

/** Which of the service's ports a datagram came in on. */
export type DhcpListener = "dhcp" | "proxy";

export interface DhcpInbound {
  readonly data: Buffer;
  readonly address: string;
  readonly port: number;
  readonly listener: DhcpListener;
  /** Set when the receiving socket is bound to one of our addresses (a unicast to it). */
  readonly localAddress?: string | undefined;
}

export interface DhcpOutbound {
  readonly data: Buffer;
  readonly address: string;
  readonly port: number;
  /** The socket to send from: iPXE takes replies to 4011 only from source port 4011. */
  readonly from: DhcpListener;
  /** For a broadcast: our address on the interface it must leave by. */
  readonly via?: string | undefined;
  /** For logs and tests. */
  readonly type: number;
}
