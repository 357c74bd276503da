/**
 * Sends magic packets to a network's broadcast address on UDP port 9
 * (discard; the NIC matches the payload, not the port). One socket, made on
 * first use by the factory handed in, with SO_BROADCAST set: without it
 * Linux refuses a send to a broadcast address with EACCES.
 */
import type { Cidr } from "../config/model.js";
import { broadcastAddress } from "./broadcast-address.js";
import { buildMagicPacket } from "./magic-packet.js";

/** The narrow shape of node:dgram's Socket the sender uses. */
export interface WolSocket {
  bind(port: number, address: string | undefined, callback: () => void): unknown;
  setBroadcast(flag: boolean): void;
  send(msg: Buffer, port: number, address: string, callback: (error: Error | null) => void): void;
  once(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
  close(): void;
}

export interface WolSenderOptions {
  /** Makes the UDP socket, e.g. `() => dgram.createSocket("udp4")`. */
  readonly createSocket: () => WolSocket;
  /** Destination port: 9 (discard) by default; 7 is the other common one. */
  readonly port?: number | undefined;
  /** Source address to bind (the server's address in the fleet network); default any. */
  readonly bindAddress?: string | undefined;
  /** Copies sent per wake, a few ms apart: a switch may drop the first to an idle port. Default 1. */
  readonly repeat?: number | undefined;
}

export interface WakeRequest {
  readonly mac: string;
  /** The network the machine is in (the config network's subnet). */
  readonly subnet: Cidr | string;
  readonly password?: Uint8Array | string | undefined;
}

export interface WakeResult {
  readonly mac: string;
  readonly address: string;
  readonly port: number;
  readonly bytes: number;
}

export class WolSender {
  readonly #o: WolSenderOptions;
  #socket: Promise<WolSocket> | null = null;

  constructor(options: WolSenderOptions) {
    this.#o = options;
  }

  async wake(req: WakeRequest): Promise<WakeResult> {
    const packet = buildMagicPacket(req.mac, req.password);
    const address = broadcastAddress(req.subnet);
    const port = this.#o.port ?? 9;
    const socket = await this.#open();
    const repeat = Math.max(1, this.#o.repeat ?? 1);
    for (let i = 0; i < repeat; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 20));
      await new Promise<void>((resolve, reject) =>
        socket.send(packet, port, address, (err) => (err ? reject(err) : resolve())),
      );
    }
    return { mac: req.mac, address, port, bytes: packet.length };
  }

  close(): void {
    const s = this.#socket;
    this.#socket = null;
    void s?.then((sock) => sock.close()).catch(() => {});
  }

  #open(): Promise<WolSocket> {
    this.#socket ??= new Promise<WolSocket>((resolve, reject) => {
      const s = this.#o.createSocket();
      const onError = (err: Error) => reject(err);
      s.once("error", onError);
      // setBroadcast needs a bound socket (node:dgram throws EBADF before).
      s.bind(0, this.#o.bindAddress, () => {
        s.off("error", onError);
        s.setBroadcast(true);
        resolve(s);
      });
    });
    const p = this.#socket;
    p.catch(() => {
      if (this.#socket === p) this.#socket = null;
    });
    return p;
  }
}
