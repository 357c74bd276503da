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

/** Binds a UDP socket: SO_REUSEADDR (the catch-all and per-interface sockets share a port) and SO_BROADCAST. */
export type DhcpSocketBinder = (address: string, port: number) => Promise<DhcpUdpSocket>;

export const dgramBinder: DhcpSocketBinder = (address, port) =>
  new Promise((resolve, reject) => {
    const s = createSocket({ type: "udp4", reuseAddr: true });
    s.once("error", reject);
    s.bind({ address, port }, () => {
      s.off("error", reject);
      s.setBroadcast(true);
      resolve(s);
    });
  });
