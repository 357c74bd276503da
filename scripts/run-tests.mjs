#!/usr/bin/env node
// Runs every test with node:test (TypeScript through tsx): unit tests beside
// the code (src/**/*.test.ts), interop tests against real Debian peers
// (test/interop), whole-boot tests (test/e2e). Arguments filter by path
// substring: `npm run test:only -- tftp`.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));

const MINUTE = 60_000;
// A hung test (a peer that never answers, a socket never closed) must fail
// the run rather than hold it forever. The bounds are generous: whole boots
// in QEMU under TCG take minutes, everything else seconds.
const TIMEOUT_E2E = 10 * MINUTE;
const TIMEOUT_OTHER = 3 * MINUTE;
// Node 20 applies --test-timeout to each test file as a whole, not to each
// test in it (later releases apply it per test, and a test's own `timeout`
// option wins). So a file whose tests declare a longer bound of their own
// (`{ timeout: 20 * 60_000 }` on a QEMU boot or a debootstrap build) gets that
// bound, plus room for hooks outside the suite and for the process to exit:
// the flag never cuts short what a test allows itself.
const TIMEOUT_MARGIN = MINUTE;

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "fixtures" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}

/** The largest `timeout: N` or `timeout: N * M` (numeric literals) written in a file, 0 if none. */
function declaredTimeout(file) {
  let most = 0;
  for (const m of readFileSync(join(root, file), "utf8").matchAll(
    /\btimeout:\s*([\d_]+)(?:\s*\*\s*([\d_]+))?/g,
  )) {
    const n = Number(m[1].replaceAll("_", "")) * (m[2] === undefined ? 1 : Number(m[2].replaceAll("_", "")));
    if (Number.isFinite(n)) most = Math.max(most, n);
  }
  return most;
}

function fileTimeout(file) {
  const base = file.startsWith("test/e2e/") ? TIMEOUT_E2E : TIMEOUT_OTHER;
  const declared = declaredTimeout(file);
  return declared > 0 ? Math.max(base, declared + TIMEOUT_MARGIN) : base;
}

let files = [...walk(join(root, "src")), ...walk(join(root, "test"))].sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("run-tests: no test files matched");
  process.exit(1);
}

// Unit tests use port 0, fakes and their own temporary folders, so files run
// side by side, one per CPU. Tests under test/ create network namespaces
// with fixed addresses, bind fixed ports or boot QEMU: one file at a time.
const runs = [];
function addRun(group, concurrency) {
  const byTimeout = new Map();
  for (const file of group) {
    const timeout = fileTimeout(file);
    byTimeout.set(timeout, [...(byTimeout.get(timeout) ?? []), file]);
  }
  for (const [timeout, list] of [...byTimeout].sort((a, b) => a[0] - b[0]))
    runs.push({ list, concurrency, timeout });
}
addRun(
  files.filter((f) => !f.startsWith("test/")),
  availableParallelism(),
);
addRun(
  files.filter((f) => f.startsWith("test/")),
  1,
);

let failed = false;
for (const { list, concurrency, timeout } of runs) {
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--test",
      `--test-concurrency=${concurrency}`,
      `--test-timeout=${timeout}`,
      "--test-reporter=spec",
      ...list,
    ],
    { cwd: root, stdio: "inherit", env: { ...process.env, NODE_ENV: "test" } },
  );
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
