/** `server:`: the address clients are told to reach, and the data folder. */
import { resolve } from "node:path";
import type { CheckContext } from "./check-context.js";
import type { RawConfig } from "./config-schema.js";
import type { FleetConfig } from "./model.js";
import { parseIpv4 } from "./net-address.js";

export function checkServer(raw: RawConfig["server"], ctx: CheckContext): FleetConfig["server"] {
  if (parseIpv4(raw.address) === null)
    ctx.problems.report(
      ["server", "address"],
      `'${raw.address}' is not an IPv4 address`,
      "the address clients reach, e.g. 198.18.0.1",
    );
  return { address: raw.address, interfaces: raw.interfaces, data_dir: resolve(ctx.dir, raw.data_dir) };
}
