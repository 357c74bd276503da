/**
 * Runs the DHCP service alone, without the other services `bootfleet serve`
 * starts, for interop tests and the benchmark (which start it inside a
 * network namespace with `ip netns exec NS node --import tsx
 * test/interop/dhcp-server-main.ts ...`). Real config loader and resolver, real SQLite store (or memory),
 * the fake planner. Prints `READY {"dhcp":67,...}` once listening and one
 * `EVENT {...}` line per bus event on stdout (unless --quiet); logs go to stderr.
 *
 *   --config FILE   bootfleet YAML (required)
 *   --db FILE       SQLite store file; absent: the in-memory store
 *   --quiet         no EVENT lines (the benchmark)
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../../src/config/load-config.js";
import { FleetResolver } from "../../src/config/resolve-machine.js";
import { EventBus } from "../../src/events/event-bus.js";
import { createLogger } from "../../src/logging/create-logger.js";
import { DhcpService } from "../../src/services/dhcp/dhcp-service.js";
import { MemoryStore } from "../../src/store/memory/memory-store.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { FakeBootPlanner } from "./dhcp-fake-planner.js";

const { values } = parseArgs({
  options: {
    config: { type: "string" },
    db: { type: "string" },
    quiet: { type: "boolean", default: false },
  },
});
if (!values.config) {
  process.stderr.write("dhcp-server-main: --config FILE is required\n");
  process.exit(2);
}
const config = await loadConfig(values.config, { skipImageCheck: true });
const logger = createLogger({ pretty: false });
let store: Store;
if (values.db) store = openSqliteStore(values.db);
else store = new MemoryStore();
await store.migrate();
const bus = new EventBus();
if (!values.quiet) bus.subscribe((e) => process.stdout.write(`EVENT ${JSON.stringify(e)}\n`));
const service = new DhcpService({
  config,
  resolver: new FleetResolver(config),
  planner: new FakeBootPlanner(config.server.address),
  store,
  bus,
  logger,
});
await service.start();
process.stdout.write(`READY ${JSON.stringify(service.ports)}\n`);
const stop = async () => {
  await service.stop();
  await store.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
