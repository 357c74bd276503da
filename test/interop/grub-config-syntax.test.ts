/**
 * Every GRUB config the planner writes parses in GRUB's own script parser
 * (grub-script-check, from grub-common): the per-machine configs, kept
 * equal to the renderer's output by src/boot/render-golden.test.ts, with
 * their `if linux ...; then` fallbacks across servers, and grub/grub.cfg.
 * A syntax error there would stop GRUB at its prompt on every machine.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { renderGrubDispatch } from "../../src/boot/render-grub.js";
import { findPeer, requirePeers } from "../support/require-peers.js";

const GOLDEN = fileURLToPath(new URL("../fixtures/boot/golden/", import.meta.url));

function check(name: string, text: string): void {
  const r = spawnSync(findPeer("grub-script-check")!, [], { input: text, encoding: "utf8" });
  assert.equal(r.status, 0, `${name} does not parse: ${r.stdout}${r.stderr}`);
}

test("grub-script-check parses every generated GRUB config", () => {
  requirePeers(["grub-script-check"]);
  const configs = readdirSync(GOLDEN).filter((f) => f.endsWith(".grub.cfg"));
  assert.ok(
    configs.some((f) => f.startsWith("servers-")),
    "a config with fallback servers is among them",
  );
  for (const f of configs) check(f, readFileSync(join(GOLDEN, f), "utf8"));
  check("grub/grub.cfg", renderGrubDispatch());
});

test("grub-script-check refuses a config that does not parse (the check can fail)", () => {
  requirePeers(["grub-script-check"]);
  const r = spawnSync(findPeer("grub-script-check")!, [], {
    input: "menuentry 'x' {\n  if linux /vmlinuz; then\n}\n",
    encoding: "utf8",
  });
  assert.notEqual(r.status, 0);
});
