/**
 * The checks `bootfleet check` would make, applied to a draft before it is
 * written, each one resolved the way the original daemon behaved and said
 * in a comment: identical dhcpd ranges merged (dhcpd refuses them: "lease
 * declared twice"), fixed addresses cut out of the pools (dhcpd warns,
 * bootfleet refuses), a server address chosen from what the inputs name.
 */
import { broadcastOf, formatIpv4, parseCidr, parseIpv4 } from "../config/net-address.js";
import type { Cidr, SourceLocation } from "../config/model.js";
import { AddressRanges } from "./address-ranges.js";
import { briefList } from "./brief-list.js";
import { ADDRESS_RANK, type ConfigDraft, type PoolDraft } from "./config-draft.js";
import type { ImportProblem } from "./import-problem.js";

export interface FinalizeOptions {
  /** --server-address: the address clients reach bootfleet at. */
  readonly serverAddress?: string | undefined;
}

export interface FinalizedServer {
  readonly address: string;
  readonly why: string[];
}

export function finalizeDraft(
  draft: ConfigDraft,
  problems: ImportProblem[],
  options: FinalizeOptions = {},
): FinalizedServer | undefined {
  const firstFile: SourceLocation = { file: draft.sources[0] ?? "(input)", line: 1, column: 1 };
  if (options.serverAddress !== undefined) {
    if (parseIpv4(options.serverAddress) === null)
      problems.push({
        severity: "error",
        at: { file: "--server-address", line: 1, column: 1 },
        message: `'${options.serverAddress}' is not an IPv4 address`,
        hint: "the address clients reach bootfleet at, e.g. 10.0.0.11",
      });
    else draft.proposeServerAddress(options.serverAddress, ADDRESS_RANK.explicit, "--server-address");
  }
  checkOverlaps(draft, problems, firstFile);
  mergePools(draft);
  checkHosts(draft, problems);
  carvePools(draft, problems);
  if (
    draft.services.dhcp.mode === "full" &&
    draft.networks.length > 0 &&
    !draft.networks.some((n) => n.pools.length > 0)
  ) {
    draft.setService("dhcp", "mode", "proxy", {
      before: [
        "no pool is left to lease from (every address is a host's fixed address), so DHCP runs in proxy mode",
      ],
    });
  }
  const candidates = [...draft.addressCandidates].sort((a, b) => b.rank - a.rank);
  const best = candidates[0];
  if (!best) {
    problems.push({
      severity: "error",
      at: firstFile,
      message:
        "no input names the address clients reach this server at (no next-server, server-identifier, dhcp-boot server, nbdroot/nfsroot or SERVER)",
      hint: "pass it: bootfleet import --server-address ADDRESS FILE...",
    });
    return undefined;
  }
  serverForZeroAddress(draft, best.address);
  const why = [
    `from ${best.why}${best.at ? ` (${best.at.file}:${best.at.line})` : ""}: the address clients reach bootfleet at`,
  ];
  const others = candidates.filter((c) => c.address !== best.address);
  for (const o of others)
    why.push(`also named: ${o.address} by ${o.why}${o.at ? ` (${o.at.file}:${o.at.line})` : ""}`);
  return { address: best.address, why };
}

/**
 * dnsmasq reads 0.0.0.0 in an address option (dns-server, router,
 * ntp-server) as "the machine running dnsmasq" (dnsmasq(8), --dhcp-option),
 * and sends its own address; sent as written it would point clients
 * nowhere. It becomes the address clients reach bootfleet at.
 */
function serverForZeroAddress(draft: ConfigDraft, address: string): void {
  const layers = [draft.defaults, ...draft.networks, ...draft.groups.values(), ...draft.hosts.values()];
  for (const layer of layers)
    for (const key of ["routers", "dns", "ntp"]) {
      const list = layer.get(["dhcp", key]);
      if (!Array.isArray(list) || !list.includes("0.0.0.0")) continue;
      layer.set(
        ["dhcp", key],
        list.map((v) => (v === "0.0.0.0" ? address : v)),
        { inline: `0.0.0.0 (this server, as dnsmasq reads it) is ${address}` },
      );
    }
}

/**
 * Two networks sharing addresses (192.168.1.0/24 and 192.168.1.0/25): dhcpd
 * serves the subnet a request's address falls in first, bootfleet's check
 * refuses the pair (a machine's network would be ambiguous), so the import
 * says where, rather than write a config that fails check.
 */
function checkOverlaps(draft: ConfigDraft, problems: ImportProblem[], firstFile: SourceLocation): void {
  const seen: { readonly cidr: Cidr; readonly at: SourceLocation | undefined }[] = [];
  for (const net of [...draft.networks]) {
    const cidr = parseCidr(net.subnet);
    if (!cidr) continue;
    const other = seen.find((o) => overlaps(o.cidr, cidr));
    if (other)
      problems.push({
        severity: "error",
        at: net.at ?? firstFile,
        message: `subnet ${cidr.text} overlaps ${other.cidr.text}${other.at ? ` (${other.at.file}:${other.at.line})` : ""}; bootfleet's networks do not share addresses`,
        hint: "keep one of them, or give each its own addresses",
      });
    else seen.push({ cidr, at: net.at });
    // Left out, so that a --partial import still passes check.
    if (other) draft.networks.splice(draft.networks.indexOf(net), 1);
  }
}

function overlaps(a: Cidr, b: Cidr): boolean {
  const mask = a.prefix < b.prefix ? a.mask : b.mask;
  return (a.network & mask) >>> 0 === (b.network & mask) >>> 0;
}

/** dhcpd refuses two ranges that share an address ("lease ... is declared twice"); bootfleet takes their union. */
function mergePools(draft: ConfigDraft): void {
  for (const net of draft.networks) {
    if (net.pools.length < 2) continue;
    const sorted = [...net.pools].sort((a, b) => a.first - b.first);
    const merged: PoolDraft[] = [];
    for (const p of sorted) {
      const last = merged[merged.length - 1];
      if (last && p.first <= last.last + 1) {
        const same = p.first === last.first && p.last === last.last;
        last.comments.push(
          ...p.comments,
          `${same ? "the same range" : `range ${formatIpv4(p.first)}-${formatIpv4(p.last)}`}${p.at ? ` (${p.at.file}:${p.at.line})` : ""} ${same ? "is declared again" : "overlaps it"}; dhcpd refuses that ("lease declared twice"), bootfleet merges them`,
        );
        last.last = Math.max(last.last, p.last);
      } else merged.push({ ...p, comments: [...p.comments] });
    }
    net.pools.splice(0, net.pools.length, ...merged);
  }
}

/** Host addresses outside every network, and addresses or MACs two hosts share. */
function checkHosts(draft: ConfigDraft, problems: ImportProblem[]): void {
  const networks = new AddressRanges(
    draft.networks
      .map((n) => parseCidr(n.subnet))
      .filter((c) => c !== null)
      .map((c) => ({ first: c.network, last: broadcastOf(c) })),
  );
  const subnets = briefList(draft.networks.map((x) => x.subnet));
  const byIp = new Map<string, string>();
  const byMac = new Map<string, string>();
  for (const host of draft.hosts.values()) {
    const at = host.at ?? { file: draft.sources[0] ?? "(input)", line: 1, column: 1 };
    if (host.mac) {
      const other = byMac.get(host.mac);
      if (other) {
        problems.push({
          severity: "warning",
          at,
          message: `host ${host.name} has the MAC ${host.mac} of host ${other}; imported without it`,
          hint: "a MAC belongs to one host",
        });
        host.notes.push({ why: `not mapped: mac ${host.mac} is already host ${other}'s` });
        host.mac = undefined;
      } else byMac.set(host.mac, host.name);
    }
    if (!host.ip) continue;
    const n = parseIpv4(host.ip)!;
    if (!networks.empty && !networks.contains(n)) {
      problems.push({
        severity: "warning",
        at,
        message: `host ${host.name}'s address ${host.ip} is in no imported network; imported without it`,
        hint: "add the network, or fix the address",
      });
      host.notes.push({
        why: `not mapped: ip ${host.ip} is outside every network (${subnets})`,
      });
      host.ip = undefined;
      continue;
    }
    const other = byIp.get(host.ip);
    if (other) {
      problems.push({
        severity: "warning",
        at,
        message: `host ${host.name} has the address ${host.ip} of host ${other}; imported without it`,
        hint: "an address belongs to one host",
      });
      host.notes.push({ why: `not mapped: ip ${host.ip} is already host ${other}'s` });
      host.ip = undefined;
      continue;
    }
    byIp.set(host.ip, host.name);
  }
}

/**
 * A fixed address inside a pool could be leased to another machine;
 * bootfleet refuses that, so the pool is cut around it. The hosts are
 * sorted by address once and each pool takes the ones inside it by binary
 * search: a subnet whose range holds 25,000 fixed addresses is cut in one
 * pass, not one pass over the pieces per host.
 */
function carvePools(draft: ConfigDraft, problems: ImportProblem[]): void {
  const fixed = [...draft.hosts.values()]
    .filter((h) => h.ip !== undefined)
    .map((host) => ({ host, n: parseIpv4(host.ip!)! }))
    .sort((a, b) => a.n - b.n);
  for (const net of draft.networks) {
    const pools: PoolDraft[] = [];
    for (const p of net.pools) {
      let i = firstAtOrAbove(fixed, p.first);
      if (i >= fixed.length || fixed[i]!.n > p.last) {
        pools.push(p);
        continue;
      }
      const pieces: PoolDraft[] = [];
      /** Notes for addresses below the pool's first piece, given to it once it exists. */
      let waiting: string[] = [];
      let start = p.first;
      const piece = (first: number, last: number) => {
        pieces.push({
          first,
          last,
          at: p.at,
          comments: pieces.length ? waiting : [...p.comments, ...waiting],
        });
        waiting = [];
      };
      for (; i < fixed.length && fixed[i]!.n <= p.last; i++) {
        const { host, n } = fixed[i]!;
        if (start < n) piece(start, n - 1);
        start = n + 1;
        const note = `${host.ip} (host ${host.name}'s fixed address) taken out of this pool${p.at ? ` (${p.at.file}:${p.at.line})` : ""}: bootfleet never leases a fixed address to another machine`;
        const below = pieces[pieces.length - 1];
        if (below) below.comments.push(note);
        else waiting.push(note);
        if (p.at)
          problems.push({
            severity: "warning",
            at: p.at,
            message: `fixed address ${host.ip} (host ${host.name}) lies inside the range; it is taken out of the pool`,
            hint: "dhcpd warns about such addresses; bootfleet refuses them",
          });
      }
      if (start <= p.last) piece(start, p.last);
      if (pieces.length === 0)
        for (const why of [...p.comments, ...waiting]) net.notes.push({ at: p.at, why });
      pools.push(...pieces);
    }
    net.pools.splice(0, net.pools.length, ...pools);
  }
}

/** The index of the first of `sorted` at or above address `n` (sorted.length when none is). */
function firstAtOrAbove(sorted: readonly { readonly n: number }[], n: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.n < n) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
