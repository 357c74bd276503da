/**
 * A layer's `dhcp:` options: addresses that must be IPv4 addresses, and
 * custom options keyed by their code (RFC 2132 codes run 1-254; 0 is Pad
 * and 255 is End).
 */
import type { CheckContext } from "./check-context.js";
import { compact } from "./compact.js";
import type { RawLayer } from "./config-schema.js";
import type { LayerSpec } from "./model.js";
import { parseIpv4 } from "./net-address.js";
import type { KeyPath } from "./source-map.js";

export function checkDhcpOptions(
  ctx: CheckContext,
  path: KeyPath,
  d: NonNullable<RawLayer["dhcp"]>,
): NonNullable<LayerSpec["dhcp"]> {
  if (d.routers) checkAddressList(ctx, [...path, "routers"], d.routers);
  if (d.dns) checkAddressList(ctx, [...path, "dns"], d.dns);
  if (d.ntp) checkAddressList(ctx, [...path, "ntp"], d.ntp);
  if (d.next_server !== undefined && parseIpv4(d.next_server) === null)
    ctx.problems.report([...path, "next_server"], `'${d.next_server}' is not an IPv4 address`);
  for (const code of Object.keys(d.options ?? {})) {
    const n = Number(code);
    if (!/^\d+$/.test(code) || n < 1 || n > 254)
      ctx.problems.report(
        [...path, "options", code],
        `'${code}' is not a DHCP option code`,
        "options are keyed by their number, 1-254, e.g. 128",
        true,
      );
  }
  return compact(d) as NonNullable<LayerSpec["dhcp"]>;
}

/** A list of IPv4 addresses; `dns: 198.18.0.1` is a list of one, reported at that value. */
export function checkAddressList(ctx: CheckContext, path: KeyPath, list: readonly string[]): string[] {
  list.forEach((a, i) => {
    if (parseIpv4(a) === null)
      ctx.problems.report(list.length > 1 ? [...path, i] : path, `'${a}' is not an IPv4 address`);
  });
  return [...list];
}
