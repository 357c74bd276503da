/**
 * The socket the router advertiser is handed: one interface's ICMPv6, told
 * apart from the addon so tests hand in a fake.
 */
import { constants } from "node:os";
import type { NativeIcmp6 } from "./native-icmp6.js";

export interface Icmpv6Message {
  /** The ICMPv6 message, without the IPv6 header. */
  readonly bytes: Buffer;
  /** The IPv6 source address ("::" for the unspecified address). */
  readonly source: string;
  /** The IPv6 hop limit it arrived with; -1 when the kernel did not say. */
  readonly hopLimit: number;
}

export interface Icmpv6Socket {
  readonly interfaceName: string;
  /** Sends one message to `destination` on this interface: bytes sent, or -errno. */
  send(destination: string, bytes: Uint8Array): number;
  /** The one handler for the messages this socket receives. */
  onMessage(handler: (message: Icmpv6Message) => void): void;
  close(): void;
}

/** What a socket passes and joins: the advertiser's needs, opened on the addon. */
export interface Icmpv6SocketSpec {
  readonly hopLimit: number;
  readonly types: readonly number[];
  readonly groups: readonly string[];
}

export class NativeIcmpv6Socket implements Icmpv6Socket {
  readonly interfaceName: string;
  readonly #native: NativeIcmp6;
  readonly #fd: number;
  readonly #ifindex: number;
  #watch: unknown;
  #handler: ((message: Icmpv6Message) => void) | undefined;
  #closed = false;

  private constructor(native: NativeIcmp6, interfaceName: string, fd: number, ifindex: number) {
    this.#native = native;
    this.interfaceName = interfaceName;
    this.#fd = fd;
    this.#ifindex = ifindex;
  }

  /** Throws the addon's error ("socket(...): Operation not permitted" without CAP_NET_RAW). */
  static open(native: NativeIcmp6, interfaceName: string, spec: Icmpv6SocketSpec): NativeIcmpv6Socket {
    const [fd, ifindex] = native.icmp6Open(interfaceName, spec.hopLimit, spec.types, spec.groups);
    const socket = new NativeIcmpv6Socket(native, interfaceName, fd, ifindex);
    try {
      socket.#watch = native.icmp6Watch(fd, (bytes, source, hopLimit) => {
        // Messages the addon had queued before close() are not for anyone.
        if (!socket.#closed) socket.#handler?.({ bytes, source, hopLimit });
      });
    } catch (e) {
      native.close(fd);
      throw e;
    }
    return socket;
  }

  send(destination: string, bytes: Uint8Array): number {
    if (this.#closed) return -constants.errno.EBADF;
    return this.#native.icmp6Send(this.#fd, destination, this.#ifindex, bytes);
  }

  onMessage(handler: (message: Icmpv6Message) => void): void {
    this.#handler = handler;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.icmp6Unwatch(this.#watch);
    this.#native.close(this.#fd);
  }
}
