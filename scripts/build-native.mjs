#!/usr/bin/env node
// Builds native/bootfleet_udp.node (the TFTP workers' epoll loop, see
// src/services/tftp/native-udp.ts) with the node-gyp that ships with npm,
// against the headers of the Node.js that runs this script: nothing is
// downloaded. Skipped when the addon is newer than its sources.
//
//   node scripts/build-native.mjs [--optional]
//
// --optional: a failed build is a warning (bootfleet then runs TFTP
// transfers on node:dgram), not an error.
//
// It first builds the client hook's static helpers
// (scripts/build-client-helpers.mjs, same --optional), so `npm run build`
// and both bootstrap modes get them without another step.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const optional = process.argv.includes("--optional");
const dir = join(root, "native");
const out = join(dir, "build", "Release", "bootfleet_udp.node");
const sources = ["bootfleet_udp.c", "binding.gyp"].map((f) => join(dir, f));
/** Where this Node.js is installed (/usr for Debian's and NodeSource's packages). */
const prefix = resolve(process.execPath, "..", "..");

function giveUp(message) {
  if (optional) {
    process.stderr.write(
      `build-native: ${message}\nbuild-native: going on without it: TFTP transfers use node:dgram (no busy polling: lock-step about 3x slower, see bench/tftp/README.md).\n`,
    );
    process.exit(0);
  }
  process.stderr.write(`build-native: ${message}\n`);
  process.exit(1);
}

function buildClientHelpers() {
  const helpers = spawnSync(
    process.execPath,
    [join(root, "scripts", "build-client-helpers.mjs"), ...(optional ? ["--optional"] : [])],
    { stdio: "inherit" },
  );
  if (helpers.status !== 0) process.exit(helpers.status ?? 1);
}
buildClientHelpers();

if (process.platform !== "linux") giveUp("the addon uses epoll and eventfd, which only Linux has");
if (existsSync(out) && sources.every((s) => statSync(s).mtimeMs <= statSync(out).mtimeMs)) process.exit(0);

/** npm's own node-gyp: beside the npm that runs us, or the one installed with node. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath)
    candidates.push(
      join(dirname(process.env.npm_execpath), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"),
    );
  candidates.push(
    join(prefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  );
  return candidates.find((c) => existsSync(c)) ?? null;
}

const nodeGyp = findNodeGyp();
if (nodeGyp === null) giveUp("node-gyp not found (it comes with npm); is npm installed?");
// The headers of this very Node.js (Debian/NodeSource packages put them in
// <prefix>/include/node); without them node-gyp would try to download them.
const nodedir = existsSync(join(prefix, "include", "node", "node_api.h")) ? [`--nodedir=${prefix}`] : [];
if (nodedir.length === 0)
  process.stderr.write(
    `build-native: no Node.js headers under ${prefix}/include/node; node-gyp will look for them itself\n`,
  );
process.stderr.write("build-native: compiling native/bootfleet_udp.c\n");
const r = spawnSync(
  process.execPath,
  [nodeGyp, "rebuild", "--loglevel=warn", "--directory", dir, ...nodedir],
  {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  },
);
if (r.error) giveUp(`node-gyp: ${r.error.message}`);
if (r.status !== 0)
  giveUp(
    `node-gyp failed (exit ${r.status}); a C compiler, make and python3 are needed (Debian: apt-get install build-essential python3)`,
  );
if (!existsSync(out)) giveUp(`node-gyp finished but ${out} is missing`);
// `node-gyp rebuild` starts by deleting native/build, the helpers' builds with it.
buildClientHelpers();
