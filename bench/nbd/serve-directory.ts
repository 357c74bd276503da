/**
 * Serves a folder over NBD with DirectoryExportSource: for the benchmark and
 * for trying bootfleet's NBD service against real clients by hand.
 *
 *   node --import tsx bench/nbd/serve-directory.ts DIR [PORT] [--cow NAME]...
 *
 * Prints the bound port on stdout, events and log lines on stderr, and
 * stops cleanly on SIGTERM or SIGINT.
 */
import { EventBus } from "../../src/events/event-bus.js";
import type { Logger } from "../../src/logging/logger.js";
import { DirectoryExportSource } from "../../src/services/nbd/directory-export-source.js";
import { NbdService } from "../../src/services/nbd/nbd-service.js";

const args = process.argv.slice(2);
const root = args[0];
if (!root) {
  process.stderr.write("usage: serve-directory.ts DIR [PORT] [--cow NAME]... [--quiet]\n");
  process.exit(2);
}
const port = args[1] && /^\d+$/.test(args[1]) ? Number(args[1]) : 0;
const cow = new Set(args.flatMap((a, i) => (a === "--cow" && args[i + 1] ? [args[i + 1]!] : [])));
const quiet = args.includes("--quiet");

const line = (level: string) => (obj: object, msg?: string) => {
  if (!quiet || level !== "info") process.stderr.write(`${level} ${msg ?? ""} ${JSON.stringify(obj)}\n`);
};
const logger: Logger = {
  debug: () => {},
  info: line("info"),
  warn: line("warn"),
  error: line("error"),
  child: () => logger,
};
const bus = new EventBus();
if (!quiet) bus.subscribe((e) => process.stderr.write(`event ${JSON.stringify(e)}\n`));

const source = new DirectoryExportSource({
  root,
  cowFor: (name) => (cow.has(name) || cow.has(name.split("@")[0]!) ? {} : undefined),
});
const service = new NbdService({ source, bus, logger, listen: { port, host: "127.0.0.1" } });
const address = await service.start();
process.stdout.write(`${address.port}\n`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    void service.stop().then(() => process.exit(0));
  });
}
