/**
 * `addresses:`: layers for one IP address each (the diskless scripts' IP
 * layer), which must lie inside a network; a layers/addresses/<ip> (or
 * layers/hosts/<ip>) folder adds files or stands for one not declared.
 */
import type { LayerContext } from "./check-context.js";
import { checkLayer } from "./check-layer.js";
import { inSomeNetwork } from "./check-networks.js";
import type { RawConfig } from "./config-schema.js";
import { type LayerTree, treeLocation, withTreeFiles } from "./layer-tree.js";
import type { AddressLayer, Network } from "./model.js";
import { parseIpv4 } from "./net-address.js";

export function checkAddressLayers(
  raw: RawConfig["addresses"],
  networks: readonly Network[],
  tree: LayerTree,
  ctx: LayerContext,
): AddressLayer[] {
  const { problems, map } = ctx;
  const addresses: AddressLayer[] = [];
  for (const [ip, a] of Object.entries(raw)) {
    const path = ["addresses", ip];
    const n = parseIpv4(ip);
    if (n === null) {
      problems.report(path, `'${ip}' is not an IPv4 address`, undefined, true);
      continue;
    }
    if (!inSomeNetwork(networks, n)) problems.report(path, `${ip} is outside every network`, undefined, true);
    addresses.push({
      ...withTreeFiles(checkLayer(ctx, a ?? {}, path), tree.addresses.get(ip)),
      ip,
      at: map.locate(path, true),
    });
  }
  for (const [ip, files] of tree.addresses)
    if (!(ip in raw)) addresses.push({ ip, files, at: treeLocation(files, tree.root) });
  return addresses;
}
