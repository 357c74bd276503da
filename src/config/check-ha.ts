/** `ha:`: several servers need one shared store, and each must find itself among the peers. */
import type { CheckContext } from "./check-context.js";
import type { RawConfig } from "./config-schema.js";
import type { FleetConfig, HaConfig } from "./model.js";

export function checkHa(
  raw: RawConfig["ha"],
  store: FleetConfig["store"],
  ctx: CheckContext,
): HaConfig | undefined {
  if (!raw) return undefined;
  // SQLite is one process's file: two servers on it would each keep their
  // own leases and hand one address to two machines.
  if (store.driver !== "postgres")
    ctx.problems.report(
      ["ha"],
      "high availability needs the postgres store: SQLite is one server's own file",
      "set store: { driver: postgres, url: postgres://bootfleet@db/bootfleet } on every server, or remove ha:",
    );
  if (!raw.peers.includes(raw.this_server))
    ctx.problems.report(
      ["ha", "this_server"],
      `'${raw.this_server}' is not one of the peers (${raw.peers.join(", ")})`,
      "list every server in peers, this one included",
    );
  const seen = new Set<string>();
  raw.peers.forEach((name, i) => {
    if (seen.has(name)) ctx.problems.report(["ha", "peers", i], `peer '${name}' is listed twice`);
    seen.add(name);
  });
  if (raw.heartbeat >= raw.failover_after)
    ctx.problems.report(
      ["ha", "heartbeat"],
      `a heartbeat every ${raw.heartbeat} s cannot show a peer alive within failover_after (${raw.failover_after} s)`,
      "make heartbeat a fraction of failover_after, e.g. a quarter",
    );
  return raw;
}
