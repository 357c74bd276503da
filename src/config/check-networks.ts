/**
 * `networks:`: each a subnet written without host bits, pools inside it,
 * no two subnets overlapping (a machine's network must be one answer), and
 * the DHCP options a network may write on itself (routers, dns, domain).
 */
import type { LayerContext } from "./check-context.js";
import { checkAddressList } from "./check-dhcp-options.js";
import { checkLayer } from "./check-layer.js";
import { compact } from "./compact.js";
import type { ConfigProblems } from "./config-problems.js";
import type { RawConfig } from "./config-schema.js";
import { broadcastKey, type LayerTree, treeLocation, withTreeFiles } from "./layer-tree.js";
import type { AddressRange, Network } from "./model.js";
import { cidrContains, formatIpv4, parseCidr, parseRange } from "./net-address.js";

export function checkNetworks(raw: RawConfig["networks"], ctx: LayerContext): Network[] {
  const { problems, map } = ctx;
  const networks: Network[] = [];
  raw.forEach((n, i) => {
    const path = ["networks", i];
    const subnet = parseCidr(n.subnet);
    if (!subnet) {
      problems.report(
        [...path, "subnet"],
        `'${n.subnet}' is not a subnet`,
        "write it as address/prefix, e.g. 198.18.0.0/24",
      );
      return;
    }
    if (formatIpv4(subnet.network) !== n.subnet.split("/")[0])
      problems.report(
        [...path, "subnet"],
        `'${n.subnet}' has host bits set`,
        `did you mean '${subnet.text}'?`,
      );
    const pool: AddressRange[] = [];
    for (const [j, text] of (n.pool ?? []).entries()) {
      const pp = [...path, "pool", j];
      const r = parseRange(text);
      if (!r) {
        problems.report(
          pp,
          `'${text}' is not an address range`,
          "write it as first-last, e.g. 198.18.0.100-198.18.0.199",
        );
        continue;
      }
      if (!cidrContains(subnet, r.first) || !cidrContains(subnet, r.last)) {
        problems.report(
          pp,
          `range ${text} is not inside ${subnet.text}`,
          "a pool must lie inside its network's subnet",
        );
        continue;
      }
      pool.push(r);
    }
    const base = checkLayer(ctx, n, path);
    const dhcp = { ...(base.dhcp ?? {}) } as Record<string, unknown>;
    if (n.routers) dhcp.routers = checkAddressList(ctx, [...path, "routers"], n.routers);
    if (n.dns) dhcp.dns = checkAddressList(ctx, [...path, "dns"], n.dns);
    if (n.domain) dhcp.domain = n.domain;
    networks.push(
      compact({
        ...base,
        dhcp: Object.keys(dhcp).length ? dhcp : undefined,
        subnet,
        pool: pool.length ? pool : undefined,
        interface: n.interface,
        max_leases: n.max_leases,
        at: map.locate(path),
      }) as Network,
    );
  });
  checkOverlaps(networks, problems);
  return networks;
}

function checkOverlaps(networks: readonly Network[], problems: ConfigProblems): void {
  for (let i = 0; i < networks.length; i++)
    for (let j = 0; j < i; j++) {
      const a = networks[j]!.subnet;
      const b = networks[i]!.subnet;
      if (cidrContains(a, b.network) || cidrContains(b, a.network))
        problems.report(
          ["networks", i, "subnet"],
          `${b.text} overlaps ${a.text} (networks[${j}])`,
          "each network must be its own subnet",
        );
    }
}

/** With no networks declared (proxy mode needs none), any address is accepted. */
export function inSomeNetwork(networks: readonly Network[], ip: number): boolean {
  return networks.length === 0 || networks.some((n) => cidrContains(n.subnet, ip));
}

/**
 * The networks with their layers/networks/ folders (named by subnet or by
 * broadcast address); a folder naming no configured network is reported.
 */
export function withNetworkTrees(
  networks: readonly Network[],
  tree: LayerTree,
  problems: ConfigProblems,
): Network[] {
  const treeFor = (n: Network) =>
    tree.networks.get(n.subnet.text) ?? tree.networks.get(broadcastKey(n.subnet.text) ?? "");
  const out = networks.map((n) => withTreeFiles(n, treeFor(n)));
  for (const [cidr, files] of tree.networks)
    if (!networks.some((n) => n.subnet.text === cidr || broadcastKey(n.subnet.text) === cidr))
      problems.add({
        at: treeLocation(files, tree.root),
        path: "layers",
        message: `layer folder for network ${cidr} matches no network in the config`,
        hint: "name network folders after a configured subnet, e.g. networks/198.18.0.0_24",
      });
  return out;
}
