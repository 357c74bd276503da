/**
 * The narrow shape of a UDP socket the TFTP service uses. node:dgram's Socket
 * fits it; tests can hand in a fake. The service never creates the listening
 * socket itself, and per-transfer sockets come from a factory it is given.
 */
export interface UdpRemote {
  readonly address: string;
  readonly port: number;
}

export interface UdpSocket {
  send(
    msg: Buffer,
    port: number,
    address: string,
    callback?: (error: Error | null, bytes: number) => void,
  ): void;
  on(event: "message", listener: (msg: Buffer, rinfo: UdpRemote) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "message", listener: (msg: Buffer, rinfo: UdpRemote) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
  close(): void;
  address(): UdpRemote;
}

/**
 * The socket of one transfer, connected to the client (as tftp-hpa does):
 * `send` needs no address, and the kernel delivers only the client's
 * datagrams. Node's dgram skips its per-send address lookup on a connected
 * socket, which is most of the per-packet cost of a lock-step transfer.
 * A stranger's datagram to this port gets ICMP port unreachable from the
 * kernel instead of RFC 1350's ERROR 5; the transfer still checks the sender
 * in case a socket that is not connected is handed in.
 */
export interface TransferSocket {
  send(msg: Buffer, callback?: (error: Error | null, bytes: number) => void): void;
  on(event: "message", listener: (msg: Buffer, rinfo: UdpRemote) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "message", listener: (msg: Buffer, rinfo: UdpRemote) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
  close(): void;
  address(): UdpRemote;
}

/**
 * Makes the socket for one transfer: RFC 1350 section 4 has each transfer on
 * its own port (its transfer ID). Bound to the address clients reach, so the
 * replies come from the address the client sent its request to, and
 * connected to the client.
 */
export type TransferSocketFactory = (client: UdpRemote) => Promise<TransferSocket>;
