#!/usr/bin/env node
// Builds the programs the client hook carries into every client's initrd,
// one static build per client architecture the server supports:
//
//   native/build/client/x86_64/bootfleet-nbd   (gcc)
//   native/build/client/arm64/bootfleet-nbd    (aarch64-linux-gnu-gcc)
//
// Static (glibc, -static) because the hook runs them before the image's root
// is mounted, beside whatever libc the image's own initrd has or none.
// Skipped when the output is newer than its source.
//
//   node scripts/build-client-helpers.mjs [--optional]
//
// A missing cross compiler is one warning naming the Debian package: images
// for that architecture then fall back to nbd-client (no reconnect). A failed
// x86_64 build is an error unless --optional (`npm start` goes on serving;
// `npm test` needs it).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const optional = process.argv.includes("--optional");
const source = join(root, "src", "client-hook", "bootfleet-nbd.c");

/** Client architecture (the directory name the image build looks up) -> compiler and its Debian packages. */
const TARGETS = [
  { arch: "x86_64", cc: "gcc", packages: "gcc libc6-dev", native: true },
  { arch: "arm64", cc: "aarch64-linux-gnu-gcc", packages: "gcc-aarch64-linux-gnu libc6-dev-arm64-cross" },
];

function hasCommand(cmd) {
  return spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
}

let failed = false;
for (const t of TARGETS) {
  const out = join(root, "native", "build", "client", t.arch, "bootfleet-nbd");
  if (existsSync(out) && statSync(source).mtimeMs <= statSync(out).mtimeMs) continue;
  if (!hasCommand(t.cc)) {
    const what = `${t.cc} not found: bootfleet-nbd for ${t.arch} clients is not built, so their NBD root will not reconnect after a server restart (install: apt-get install ${t.packages})`;
    process.stderr.write(`build-client-helpers: ${what}\n`);
    if (t.native && !optional) failed = true;
    continue;
  }
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  process.stderr.write(`build-client-helpers: compiling bootfleet-nbd for ${t.arch}\n`);
  const r = spawnSync(t.cc, ["-static", "-Os", "-s", "-Wall", "-o", tmp, source], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) {
    process.stderr.write(
      `build-client-helpers: ${t.cc} failed (exit ${r.status ?? r.error?.message}); a static build needs ${t.packages}\n`,
    );
    if (!optional) failed = true;
    continue;
  }
  renameSync(tmp, out);
}
process.exit(failed ? 1 : 0);
