/** `server:`: the address clients are told to reach, the data folder, and what this server does. */
import { resolve } from "node:path";
import type { CheckContext } from "./check-context.js";
import { type RawConfig, SERVER_ROLES, type ServerRole } from "./config-schema.js";
import type { FleetConfig } from "./model.js";
import { parseIpv4 } from "./net-address.js";

export function checkServer(raw: RawConfig["server"], ctx: CheckContext): FleetConfig["server"] {
  if (parseIpv4(raw.address) === null)
    ctx.problems.report(
      ["server", "address"],
      `'${raw.address}' is not an IPv4 address`,
      "the address clients reach, e.g. 198.18.0.1",
    );
  if (raw.roles.length === 0)
    ctx.problems.report(
      ["server", "roles"],
      "a server with no roles runs nothing",
      `list what it does, e.g. [${SERVER_ROLES.join(", ")}], or leave roles out for all of them`,
    );
  const seen = new Set<string>();
  raw.roles.forEach((role, i) => {
    if (seen.has(role)) ctx.problems.report(["server", "roles", i], `role '${role}' is listed twice`);
    seen.add(role);
  });
  return {
    address: raw.address,
    interfaces: raw.interfaces,
    data_dir: resolve(ctx.dir, raw.data_dir),
    roles: [...seen] as ServerRole[],
  };
}
