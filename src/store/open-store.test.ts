import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { openStore } from "./open-store.js";

const dir = mkdtempSync(join(tmpdir(), "bf-open-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));

it("sqlite lives at <data_dir>/bootfleet.sqlite, the folder made when absent", async () => {
  const dataDir = join(dir, "var", "lib");
  const store = openStore({ driver: "sqlite", data_dir: dataDir });
  await store.migrate();
  await store.noteMachine({ mac: "52:54:00:00:00:01", at: 1 });
  await store.close();
  assert.ok(existsSync(join(dataDir, "bootfleet.sqlite")));
});

it("postgres without a url fails with a hint", () => {
  assert.throws(() => openStore({ driver: "postgres", data_dir: dir }), {
    name: "StoreConfigError",
    message: "store: driver postgres needs a url",
  });
});
