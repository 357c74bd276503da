#!/usr/bin/env node
// Runs every test with node:test (TypeScript through tsx): unit tests beside
// the code (src/**/*.test.ts), interop tests against real Debian peers
// (test/interop), whole-boot tests (test/e2e). Arguments filter by path
// substring: `npm run test:only -- tftp`.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "fixtures" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}

let files = [...walk(join(root, "src")), ...walk(join(root, "test"))].sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("run-tests: no test files matched");
  process.exit(1);
}
// Unit tests run in parallel; tests that use network namespaces, fixed
// ports or QEMU run one file at a time.
const serial = files.filter((f) => f.startsWith("test/"));
const parallel = files.filter((f) => !f.startsWith("test/"));
let failed = false;
for (const [group, concurrency] of [
  [parallel, 2],
  [serial, 1],
]) {
  if (group.length === 0) continue;
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...group],
    { cwd: root, stdio: "inherit", env: { ...process.env, NODE_ENV: "test" } },
  );
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
