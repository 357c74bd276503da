/**
 * The narrow shape of the UDP sockets the DHCP service sends and receives
 * on, and the binder that makes real ones with node:dgram. The service is
 * handed a binder, so a test can give it sockets of its own.
 */
import { createSocket } from "node:dgram";

export interface DhcpUdpSocket {
  send(msg: Buffer, port: number, address: string, callback: (error: Error | null) => void): void;
  on(event: "message", listener: (msg: Buffer, rinfo: { address: string; port: number }) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  address(): { address: string; port: number };
  close(): void;
}

/**
 * Binds a UDP socket: SO_REUSEADDR (the catch-all and per-interface sockets
 * share a port), SO_BROADCAST, and a receive buffer of
 * DHCP_RECEIVE_BUFFER_BYTES.
 */
export type DhcpSocketBinder = (address: string, port: number) => Promise<DhcpUdpSocket>;

/**
 * The kernel's default receive buffer (net.core.rmem_default, 208 KiB) holds
 * about 150 DHCP datagrams as the kernel counts them: 15 ms of a storm at
 * 10,000 a second, so a pause of the event loop that long (a garbage
 * collection, a slow commit) had the kernel drop REQUESTs (measured: 27 of
 * 50,000 datagrams in a 5 s run at 5,000 exchanges a second). 4 MiB is
 * a quarter second or more. The native sockets get it as root past
 * net.core.rmem_max (SO_RCVBUFFORCE); node:dgram's are capped there.
 */
export const DHCP_RECEIVE_BUFFER_BYTES = 4 << 20;

export const dgramBinder: DhcpSocketBinder = (address, port) =>
  new Promise((resolve, reject) => {
    const s = createSocket({ type: "udp4", reuseAddr: true });
    s.once("error", reject);
    s.bind({ address, port }, () => {
      s.off("error", reject);
      s.setBroadcast(true);
      try {
        s.setRecvBufferSize(DHCP_RECEIVE_BUFFER_BYTES);
      } catch {
        // Best effort: the default buffer still serves.
      }
      resolve(s);
    });
  });
