import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { MemoryStore } from "./memory/memory-store.js";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import { runStoreSuite } from "./store-suite.js";

runStoreSuite("memory", async () => ({ store: new MemoryStore() }), {
  exactRetention: true,
  persistent: false,
});

const dir = mkdtempSync(join(tmpdir(), "bf-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
runStoreSuite(
  "sqlite",
  async () => {
    const file = join(dir, `s${++n}.sqlite`);
    const store = openSqliteStore(file);
    await store.migrate();
    return { store, reopen: async () => openSqliteStore(file) };
  },
  { exactRetention: false, persistent: true },
);
