/**
 * `server.roles` in `bootfleet serve`: only the services of this server's
 * roles start, enabled or not under `services:`. Everything on 127.0.0.1,
 * port 0; the store in memory.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { loadConfigFromString } from "../config/load-config.js";
import { MemoryLogger } from "../logging/logger.js";
import { MemoryStore } from "../store/memory/memory-store.js";
import { FleetServer } from "./fleet-server.js";

const dir = mkdtempSync(join(tmpdir(), "bf-roles-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function servicesFor(roles: string): Promise<string[]> {
  const config = loadConfigFromString(
    `server: { address: 127.0.0.1, data_dir: ${dir}, roles: ${roles} }
services:
  dhcp: { mode: off }
  tftp: { enabled: true, port: 0, root: ${join(dir, "tftp")}, workers: 0 }
  http: { port: 0, bind: 127.0.0.1 }
  nbd: { port: 0, bind: 127.0.0.1 }
  syslog: { enabled: false }
`,
    join(dir, "bootfleet.yaml"),
    { skipImageCheck: true },
  );
  const server = await FleetServer.start({ config, logger: new MemoryLogger(), store: new MemoryStore() });
  try {
    return server.services.map((s) => s.name);
  } finally {
    await server.stop();
  }
}

describe("serve with server.roles", () => {
  test("a file server starts HTTP and NBD only, though TFTP is enabled", async () => {
    assert.deepEqual(await servicesFor("[http, nbd]"), ["http", "nbd"]);
  });

  test("a boot server without NBD starts TFTP and HTTP", async () => {
    assert.deepEqual(await servicesFor("[tftp, http, build]"), ["http", "tftp"]);
  });
});
