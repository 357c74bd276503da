/**
 * The raw ICMPv6 calls of bootfleet's native addon (native/bootfleet_udp.c),
 * described by this project's own small type. Why an addon: a router
 * advertisement must leave with IPv6 hop limit 255 and a solicitation is
 * only valid if it arrived with 255 (RFC 4861 §6.1.1, §6.1.2: proof that no
 * router forwarded it), and only a raw ICMPv6 socket (or a packet socket
 * building whole frames) can send ICMPv6 or read that hop limit; Node has
 * neither. The addon is the same optional one the TFTP workers use: without
 * it bootfleet serves as before, sending no advertisements.
 */
import { loadNativeUdp } from "../tftp/native-udp.js";

export interface NativeIcmp6 {
  /**
   * A non-blocking raw ICMPv6 socket bound to `interfaceName`, passing only
   * `types`, sending with `hopLimit`, joined to `groups` there; needs
   * CAP_NET_RAW. Returns the fd and the interface's index.
   */
  icmp6Open(
    interfaceName: string,
    hopLimit: number,
    types: readonly number[],
    groups: readonly string[],
  ): [fd: number, ifindex: number];
  /** Bytes sent, or -errno; the kernel fills in the checksum. */
  icmp6Send(fd: number, address: string, ifindex: number, bytes: Uint8Array): number;
  /** Calls `onMessage` on this thread for each message the socket receives, until icmp6Unwatch. */
  icmp6Watch(fd: number, onMessage: (bytes: Buffer, source: string, hopLimit: number) => void): unknown;
  icmp6Unwatch(handle: unknown): void;
  close(fd: number): void;
}

/** The addon's ICMPv6 calls, or null with the reason (for the log line). */
export function loadNativeIcmp6(): { icmp6: NativeIcmp6 | null; reason: string } {
  const { udp, reason } = loadNativeUdp();
  if (udp === null) return { icmp6: null, reason };
  const candidate = udp as unknown as Partial<NativeIcmp6>;
  if (typeof candidate.icmp6Open !== "function" || typeof candidate.icmp6Watch !== "function")
    return {
      icmp6: null,
      reason: "native/build/Release/bootfleet_udp.node predates its ICMPv6 calls (run: npm run build:native)",
    };
  return { icmp6: candidate as NativeIcmp6, reason: "" };
}
