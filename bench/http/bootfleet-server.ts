/**
 * bootfleet's HTTP service alone, serving one image, for the bench: started
 * as its own process (like nginx) so neither server shares the bench's
 * event loop. Prints "port <n>" when listening; stops on SIGTERM.
 *
 *   node --import tsx bench/http/bootfleet-server.ts <images-root> [--no-cache] [--no-offload]
 *
 * --no-cache streams every body from disk; --no-offload writes bodies from
 * the event loop instead of the sendfile thread.
 */
import { join } from "node:path";
import { FleetBootPlanner } from "../../src/boot/fleet-boot-planner.js";
import type { BootImage, ImageLookup } from "../../src/boot/image-lookup.js";
import { EventBus } from "../../src/events/event-bus.js";
import { MemoryLogger } from "../../src/logging/logger.js";
import { ClientIdentity } from "../../src/identity/client-identity.js";
import { createHttpService } from "../../src/services/http/http-service.js";
import { MemoryStore } from "../../src/store/memory/memory-store.js";
import { fleetConfig, TableResolver } from "../../test/fixtures/boot/fleet-fixture.js";

const root = process.argv[2];
if (!root) {
  process.stderr.write("usage: bootfleet-server.ts <images-root> [--no-cache] [--no-offload]\n");
  process.exit(2);
}
const image: BootImage = {
  name: "bench",
  version: "1",
  kernel: join(root, "bench", "1", "vmlinuz"),
  initrd: join(root, "bench", "1", "initrd.img"),
  squashfs: join(root, "bench", "1", "root.squashfs"),
};
const images: ImageLookup = {
  current: (name) => (name === "bench" ? image : null),
  get: (name, version) => (name === "bench" && version === "1" ? image : null),
};
const config = fleetConfig();
const resolver = new TableResolver();
const bus = new EventBus();
const planner = new FleetBootPlanner({ config, resolver, images });
const store = new MemoryStore();
const logger = new MemoryLogger();
const app = createHttpService({
  config,
  resolver,
  planner,
  store,
  bus,
  images,
  logger,
  identity: await ClientIdentity.open({ config, store, logger }),
  fileCache: process.argv.includes("--no-cache") ? false : undefined,
  offloadFiles: !process.argv.includes("--no-offload"),
});
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
if (address && typeof address !== "string") process.stdout.write(`port ${address.port}\n`);
process.on("SIGTERM", () => {
  void app.close().then(() => process.exit(0));
});
