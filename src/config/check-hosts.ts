/**
 * `hosts:`: each a valid hostname (RFC 1123), with a MAC and a fixed
 * address no other host has, the address inside a network and outside
 * every pool (so it is never leased to another machine), and groups that
 * exist. A layers/hosts/<name> folder adds files to a host, or stands for
 * one the config does not declare.
 */
import type { LayerContext } from "./check-context.js";
import { checkLayer } from "./check-layer.js";
import { inSomeNetwork } from "./check-networks.js";
import { compact } from "./compact.js";
import { didYouMean } from "./config-error.js";
import type { RawConfig } from "./config-schema.js";
import { type LayerTree, treeLocation, withTreeFiles } from "./layer-tree.js";
import type { Group, Host, Network } from "./model.js";
import { describeBadMac, normalizeMac, parseIpv4 } from "./net-address.js";

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)*$/;

export function checkHosts(
  raw: RawConfig["hosts"],
  networks: readonly Network[],
  groups: readonly Group[],
  tree: LayerTree,
  ctx: LayerContext,
): Host[] {
  const { problems, map } = ctx;
  const hosts: Host[] = [];
  const byMac = new Map<string, string>();
  const byIp = new Map<string, string>();
  for (const [name, h] of Object.entries(raw)) {
    const path = ["hosts", name];
    const spec = h ?? {};
    if (!HOSTNAME.test(name))
      problems.report(path, `'${name}' is not a valid hostname`, "letters, digits and '-' (RFC 1123)", true);
    let mac: string | undefined;
    if (spec.mac !== undefined) {
      const norm = normalizeMac(spec.mac);
      if (!norm)
        problems.report([...path, "mac"], `'${spec.mac}' is not a MAC address`, describeBadMac(spec.mac));
      else if (byMac.has(norm))
        problems.report(
          [...path, "mac"],
          `MAC ${norm} is already used by host '${byMac.get(norm)}'`,
          "two hosts cannot share one MAC",
        );
      else {
        byMac.set(norm, name);
        mac = norm;
      }
    }
    let ip: string | undefined;
    if (spec.ip !== undefined) {
      const n = parseIpv4(spec.ip);
      if (n === null) problems.report([...path, "ip"], `'${spec.ip}' is not an IPv4 address`);
      else if (!inSomeNetwork(networks, n))
        problems.report(
          [...path, "ip"],
          `${spec.ip} is outside every network`,
          `networks: ${networks.map((x) => x.subnet.text).join(", ")}`,
        );
      else if (byIp.has(spec.ip))
        problems.report([...path, "ip"], `${spec.ip} is already the address of host '${byIp.get(spec.ip)}'`);
      else {
        const pool = networks.flatMap((x) => x.pool ?? []).find((r) => n >= r.first && n <= r.last);
        if (pool)
          problems.report(
            [...path, "ip"],
            `fixed address ${spec.ip} lies inside the pool ${pool.start}-${pool.end}`,
            "move it outside the pool, or shrink the pool, so it is never leased to another machine",
          );
        byIp.set(spec.ip, name);
        ip = spec.ip;
      }
    }
    for (const g of spec.groups ?? []) {
      if (!groups.some((x) => x.name === g)) {
        const guess = didYouMean(
          g,
          groups.map((x) => x.name),
        );
        problems.report(
          [...path, "groups"],
          `group '${g}' does not exist`,
          guess ? `did you mean '${guess}'?` : "declare it under groups:",
        );
      }
    }
    const base = withTreeFiles(checkLayer(ctx, spec, path), tree.hosts.get(name));
    hosts.push(compact({ ...base, name, mac, ip, groups: spec.groups, at: map.locate(path, true) }) as Host);
  }
  for (const [name, files] of tree.hosts)
    if (!(name in raw)) hosts.push({ name, files, at: treeLocation(files, tree.root) });
  return hosts;
}
