/**
 * `services:` and `store:`: what one service needs of the rest of the
 * config (full DHCP needs a pool to lease from; PostgreSQL needs a URL),
 * the TFTP root inside the data folder, and the API token, from the config
 * or else the environment (a read policy of "token" needs one).
 */
import { resolve } from "node:path";
import type { CheckContext } from "./check-context.js";
import { compact } from "./compact.js";
import type { ConfigEnv } from "./config-env.js";
import type { RawConfig } from "./config-schema.js";
import type { FleetConfig, Network, ServicesConfig } from "./model.js";

export function checkStore(raw: RawConfig["store"], ctx: CheckContext): FleetConfig["store"] {
  if (raw.driver === "postgres" && !raw.url)
    ctx.problems.report(
      ["store"],
      "the postgres driver needs a url",
      "e.g. url: postgres://bootfleet@db/bootfleet",
    );
  return compact(raw) as FleetConfig["store"];
}

export function checkServices(
  raw: RawConfig["services"],
  networks: readonly Network[],
  dataDir: string,
  env: ConfigEnv,
  ctx: CheckContext,
): ServicesConfig {
  if (raw.dhcp.mode === "full" && networks.length > 0 && !networks.some((n) => n.pool))
    ctx.problems.report(
      ["services", "dhcp", "mode"],
      "full DHCP mode needs a pool in at least one network",
      "add pool: FIRST-LAST to a network, or use mode: proxy beside an existing DHCP server",
    );
  const token = raw.api.token ?? env.apiToken;
  if (raw.api.read === "token" && token === undefined)
    ctx.problems.report(
      ["services", "api", "read"],
      "reads need the API token, but no token is set: nobody could read the API or use the page",
      "set services.api.token (or the environment variable BOOTFLEET_API_TOKEN), or read: open",
    );
  return {
    ...raw,
    tftp: { ...raw.tftp, root: resolve(dataDir, raw.tftp.root) },
    api: compact({ token, read: raw.api.read }),
  };
}
