/**
 * The DNS servers a first-run config hands clients in full mode, read from
 * a resolv.conf. Loopback resolvers (systemd-resolved's 127.0.0.53, a local
 * dnsmasq) answer only this machine, so they are left out: the caller reads
 * /run/systemd/resolve/resolv.conf, the upstream list, when it exists.
 */
import { ipv4ToNumber } from "../protocols/ipv4-address.js";

export function nameservers(resolvConf: string): string[] {
  const out: string[] = [];
  for (const line of resolvConf.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    const ip = m?.[1];
    const n = ip === undefined ? null : ipv4ToNumber(ip);
    if (n === null || n >>> 24 === 127 || out.includes(ip!)) continue;
    out.push(ip!);
  }
  return out;
}
