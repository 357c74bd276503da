/**
 * Verbs that run or read the server: serve, machines, events.
 */
import type { Command, Option } from "commander";
import { createLogger } from "../logging/create-logger.js";
import { FleetServer, openStore, STOP_GRACE_MS } from "../server/fleet-server.js";
import type { EventRow } from "../store/store.js";
import { configPath, loadFleetConfig } from "./config-option.js";
import { refuseForeignConfig } from "./local-network-report.js";

/**
 * How long `serve` may take to stop: the services' grace for transfers
 * (STOP_GRACE_MS) plus writing what is queued, inside the 30 s a service
 * manager waits before it kills (packaging/bootfleet.service).
 */
const STOP_DEADLINE_MS = STOP_GRACE_MS + 15_000;

export function registerRuntimeCommands(program: Command, configOption: () => Option): void {
  program
    .command("serve")
    .description("run the enabled services (DHCP, TFTP, NBD, HTTP, syslog) until stopped")
    .addOption(configOption())
    .option("--log-level <level>", "debug, info, warn or error", "info")
    .action(async (opts: { config?: string; logLevel: string }) => {
      const config = await loadFleetConfig(opts.config);
      const warnings = refuseForeignConfig(config, configPath(opts.config));
      const logger = createLogger({ level: opts.logLevel });
      for (const w of warnings) logger.warn({ at: `${w.at.file}:${w.at.line}`, hint: w.hint }, w.message);
      const server = await FleetServer.start({ config, logger });
      logger.info(
        { data_dir: config.server.data_dir, dhcp: config.services.dhcp.mode },
        `bootfleet serving ${config.hosts.length} host(s) in ${config.networks.length} network(s)`,
      );
      for (const s of server.services) logger.info({ where: s.where }, `${s.name} listening`);
      let stopping = false;
      // SIGTERM (systemctl stop/restart) or SIGINT (Ctrl-C): stop cleanly and
      // exit 0, so a restart loses no lease and no event. A second signal,
      // or a stop that hangs, ends the process at once; nothing
      // acknowledged is lost to that either (leases and copy-on-write
      // writes are on disk before they are answered).
      const stop = async (signal: string) => {
        if (stopping) {
          logger.warn({ signal }, "stopping now, without waiting for transfers under way");
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal }, "stopping");
        setTimeout(() => {
          logger.error({ after_ms: STOP_DEADLINE_MS }, "stopping took too long; exiting");
          process.exit(1);
        }, STOP_DEADLINE_MS).unref();
        try {
          await server.stop();
        } catch (e) {
          logger.error({ err: (e as Error).message }, "stopping failed");
          process.exit(1);
        }
        logger.info({}, "stopped");
        process.exit(0);
      };
      process.on("SIGINT", () => void stop("SIGINT"));
      process.on("SIGTERM", () => void stop("SIGTERM"));
    });

  program
    .command("machines")
    .description("every machine declared or seen, with its last boot state")
    .addOption(configOption())
    .option("--json", "print JSON")
    .action(async (opts: { config?: string; json?: boolean }) => {
      const config = await loadFleetConfig(opts.config);
      const store = openStore(config);
      await store.migrate();
      const seen = new Map((await store.listMachines()).map((m) => [m.mac, m]));
      const rows: Record<string, unknown>[] = [];
      for (const h of config.hosts) {
        const s = h.mac ? seen.get(h.mac) : undefined;
        if (h.mac) seen.delete(h.mac);
        rows.push({
          mac: h.mac ?? null,
          hostname: h.name,
          ip: s?.ip ?? h.ip ?? null,
          declared: true,
          state: s?.state ?? "off",
          lastSeen: s ? new Date(s.lastSeen).toISOString() : null,
        });
      }
      for (const s of seen.values())
        rows.push({
          mac: s.mac,
          hostname: s.hostname,
          ip: s.ip,
          declared: false,
          state: s.state,
          lastSeen: new Date(s.lastSeen).toISOString(),
        });
      await store.close();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      printTable(
        ["MAC", "HOSTNAME", "IP", "STATE", "LAST SEEN"],
        rows.map((r) => [
          String(r.mac ?? "-"),
          `${r.hostname ?? "-"}${r.declared ? "" : " (seen)"}`,
          String(r.ip ?? "-"),
          String(r.state),
          String(r.lastSeen ?? "never"),
        ]),
      );
    });

  program
    .command("events")
    .description("boot events from the store, oldest first")
    .addOption(configOption())
    .option("-f, --follow", "keep printing new events as they arrive")
    .option("-m, --machine <mac>", "only events of this machine (MAC or declared hostname)")
    .option("-n, --limit <n>", "last N events", (v) => Number(v), 50)
    .option("--json", "one JSON object per line")
    .action(
      async (opts: {
        config?: string;
        follow?: boolean;
        machine?: string;
        limit: number;
        json?: boolean;
      }) => {
        const config = await loadFleetConfig(opts.config);
        const store = openStore(config);
        await store.migrate();
        let mac = opts.machine?.toLowerCase();
        const host = opts.machine ? config.hosts.find((h) => h.name === opts.machine) : undefined;
        if (host?.mac) mac = host.mac;
        const print = (e: EventRow) =>
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(e)}\n`
              : `${new Date(e.at).toISOString()}  ${e.type.padEnd(16)} ${(e.mac ?? "-").padEnd(17)} ${(e.ip ?? "").padEnd(15)} ${
                  e.stage ?? ""
                } ${Object.keys(e.detail).length ? JSON.stringify(e.detail) : ""}\n`,
          );
        const last = await store.listEvents({ mac, order: "desc", limit: opts.limit });
        let after = 0;
        for (const e of [...last].reverse()) {
          print(e);
          after = e.id;
        }
        if (!opts.follow) {
          await store.close();
          return;
        }
        // The server writes, we read: poll the store (SQLite WAL readers do not block it).
        for (;;) {
          await new Promise((r) => setTimeout(r, 500));
          for (const e of await store.listEvents({ mac, afterId: after, limit: 1000 })) {
            print(e);
            after = e.id;
          }
        }
      },
    );
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `${r.map((c, i) => c.padEnd(widths[i]!)).join("  ")}`.trimEnd();
  process.stdout.write(`${[line(head), ...rows.map(line)].join("\n")}\n`);
}
