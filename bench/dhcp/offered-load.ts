/**
 * The two loads the DHCP benchmark offers, both full DORA exchanges with a
 * reply counted lost when it has not come 1 s after its request:
 *
 * - broadcast clients (broadcast-clients.c, built here with cc): machines on
 *   the server's own segment, as PXE ROMs are, from 0.0.0.0 to
 *   255.255.255.255 with their own Ethernet addresses.
 * - perfdhcp: a relay (perfdhcp puts its own address in giaddr, hops 1)
 *   forwarding for many clients, `-R` distinct MACs picked at random.
 *
 * Each returns the exchanges started and completed (ACKed) during the
 * sending period; exchanges/s is completed / period, loss is the share of
 * started exchanges that got no ACK.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export interface LoadResult {
  readonly started: number;
  readonly completed: number;
  readonly seconds: number;
  /** Distinct clients that got an ACK, when the load generator knows. */
  readonly clientsAcked?: number | undefined;
  /** The longest wait for a reply that came in time, in ms. */
  readonly worstReplyMs: number;
}

/** Builds broadcast-clients.c into `dir`; returns the program's path. */
export function buildBroadcastClients(here: string, dir: string): string {
  const out = join(dir, "broadcast-clients");
  const cc = spawnSync("cc", ["-O2", "-Wall", "-o", out, join(here, "broadcast-clients.c")], {
    encoding: "utf8",
  });
  if (cc.status !== 0) throw new Error(`cc broadcast-clients.c failed: ${cc.stderr ?? cc.error?.message}`);
  return out;
}

export interface BroadcastLoad {
  readonly program: string;
  readonly ns: string;
  readonly iface: string;
  readonly clients: number;
  /** Exchanges started per second; 0 = keep `window` in flight. */
  readonly rate: number;
  readonly window: number;
  readonly seconds: number;
}

export function runBroadcastClients(load: BroadcastLoad): LoadResult {
  const r = spawnSync(
    "ip",
    [
      "netns",
      "exec",
      load.ns,
      load.program,
      load.iface,
      String(load.clients),
      String(load.rate),
      String(load.seconds),
      String(load.window),
    ],
    { encoding: "utf8", timeout: (load.seconds + 30) * 1000 },
  );
  const field = (name: string): number => {
    const m = r.stdout?.match(new RegExp(`\\b${name}=([\\d.]+)`));
    if (!m) throw new Error(`broadcast-clients printed no ${name}:\n${r.stdout}\n${r.stderr}`);
    return Number(m[1]);
  };
  return {
    started: field("started"),
    completed: field("acks"),
    seconds: field("seconds"),
    clientsAcked: field("clients_acked"),
    worstReplyMs: field("worst_reply_ms"),
  };
}

export interface PerfdhcpLoad {
  readonly ns: string;
  /** perfdhcp's own address: the relay's giaddr. */
  readonly relayAddress: string;
  readonly server: string;
  readonly clients: number;
  /** Exchanges started per second; 0 = as fast as perfdhcp sends (no -r). */
  readonly rate: number;
  readonly seconds: number;
}

export function runPerfdhcp(load: PerfdhcpLoad): LoadResult {
  const args = [
    "netns",
    "exec",
    load.ns,
    "perfdhcp",
    "-4",
    "-l",
    load.relayAddress,
    "-R",
    String(load.clients),
    "-p",
    String(load.seconds),
    // Wait 1 s after the period for replies still on their way, so that
    // exchanges started at the end are not counted lost.
    "-W",
    "1000000",
    ...(load.rate > 0 ? ["-r", String(load.rate)] : []),
    load.server,
  ];
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: (load.seconds + 30) * 1000 });
  const section = (name: string): string => {
    const at = r.stdout?.indexOf(`***Statistics for: ${name}***`) ?? -1;
    if (at < 0) throw new Error(`perfdhcp printed no ${name} statistics:\n${r.stdout}\n${r.stderr}`);
    return r.stdout.slice(at);
  };
  const count = (text: string, what: string): number => {
    const m = text.match(new RegExp(`${what}: (\\d+)`));
    if (!m) throw new Error(`perfdhcp printed no "${what}":\n${r.stdout}`);
    return Number(m[1]);
  };
  const maxDelay = (text: string): number => Number(text.match(/max delay: ([\d.]+) ms/)?.[1] ?? 0);
  return {
    started: count(section("DISCOVER-OFFER"), "sent packets"),
    completed: count(section("REQUEST-ACK"), "received packets"),
    seconds: load.seconds,
    worstReplyMs: Math.max(maxDelay(section("DISCOVER-OFFER")), maxDelay(section("REQUEST-ACK"))),
  };
}
