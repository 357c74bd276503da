#!/usr/bin/env node
// The two commands of the quick start. `npm start` and `npm test` both land
// here so that a fresh clone on a fresh Debian machine needs nothing else:
//   start: install npm deps if missing, fetch iPXE binaries (Debian's ipxe
//          package), build, serve ./bootfleet.yaml (from `bootfleet init`)
//          or else the bundled example config.
//   test:  install npm deps and the Debian test peers listed in
//          scripts/test-peers.txt (only those missing), build, typecheck,
//          lint, run every test.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const mode = process.argv[2] ?? "test";

function step(title) {
  process.stderr.write(`\n==> ${title}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    process.stderr.write(`\nbootstrap: '${cmd} ${args.join(" ")}' failed with exit code ${r.status}\n`);
    process.exit(r.status ?? 1);
  }
}

function npmDepsMissing() {
  const marker = join(root, "node_modules", ".package-lock.json");
  if (!existsSync(marker)) return true;
  // package-lock.json newer than what was installed: install again.
  return statSync(join(root, "package-lock.json")).mtimeMs > statSync(marker).mtimeMs + 1000;
}

function ensureNpmDeps() {
  if (!npmDepsMissing()) return;
  step("installing npm dependencies (better-sqlite3 compiles from source: about a minute)");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

/** Package names of a list file; `name [amd64 arm64]` only on those architectures. */
function packagesFromList(file) {
  let arch = "";
  try {
    arch = execFileSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).trim();
  } catch {}
  return readFileSync(join(root, file), "utf8")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean)
    .flatMap((l) => {
      const m = /^(\S+)(?:\s+\[([^\]]*)\])?$/.exec(l);
      if (!m) throw new Error(`${file}: cannot read the line '${l}' (a package name, optionally [arch ...])`);
      const only = m[2]?.split(/\s+/).filter(Boolean);
      return !only || only.includes(arch) ? [m[1]] : [];
    });
}

function missingDebianPackages(pkgs) {
  return pkgs.filter((p) => {
    const r = spawnSync("dpkg-query", ["-W", "-f=\x24{Status}", p], { encoding: "utf8" });
    return r.status !== 0 || !r.stdout.includes("install ok installed");
  });
}

/** Other machines' packages (`name:arm64`, files only) need dpkg to know their architecture. */
function foreignArchitectures(pkgs) {
  let native = "";
  let known = [];
  try {
    native = execFileSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).trim();
    known = execFileSync("dpkg", ["--print-foreign-architectures"], { encoding: "utf8" }).split(/\s+/);
  } catch {}
  const wanted = pkgs.map((p) => /:([a-z0-9]+)$/.exec(p)?.[1]).filter((a) => a && a !== native);
  return [...new Set(wanted)].filter((a) => !known.includes(a));
}

/** Seconds apt-get and dpkg wait for another apt or dpkg (unattended upgrades, a second shell) to finish. */
const DPKG_LOCK_WAIT_S = 600;

/** dpkg itself has no lock timeout: retry while another dpkg or apt holds its lock. */
function runWaitingForDpkgLock(cmd, args) {
  const deadline = Date.now() + DPKG_LOCK_WAIT_S * 1000;
  for (;;) {
    const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
    if (r.status === 0) return;
    const locked = /lock/i.test(`${r.stderr}`);
    if (!locked || Date.now() > deadline) {
      process.stderr.write(
        `${r.stderr ?? ""}\nbootstrap: '${cmd} ${args.join(" ")}' failed with exit code ${r.status}\n`,
      );
      process.exit(r.status ?? 1);
    }
    spawnSync("sleep", ["2"]);
  }
}

function ensureDebianPackages(pkgs, why) {
  const missing = missingDebianPackages(pkgs);
  if (missing.length === 0) return;
  step(`installing Debian packages for ${why}: ${missing.join(" ")}`);
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  const lockWait = ["-o", `DPkg::Lock::Timeout=${DPKG_LOCK_WAIT_S}`];
  const apt = (args) =>
    sudo.length ? run("sudo", ["apt-get", ...lockWait, ...args]) : run("apt-get", [...lockWait, ...args]);
  const foreign = foreignArchitectures(missing);
  if (foreign.length > 0) {
    step(
      `adding the ${foreign.join(", ")} architecture to dpkg (for other machines' files; nothing of it runs here)`,
    );
    for (const a of foreign)
      runWaitingForDpkgLock(sudo.length ? "sudo" : "dpkg", [
        ...(sudo.length ? ["dpkg"] : []),
        "--add-architecture",
        a,
      ]);
    // The new architecture's package lists.
    apt(["update", "-q"]);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  // Package lists are absent on a fresh machine; update once.
  const lists = "/var/lib/apt/lists";
  let hasLists = false;
  try {
    hasLists = execFileSync("ls", [lists], { encoding: "utf8" }).includes("_Packages");
  } catch {}
  if (!hasLists) apt(["update", "-q"]);
  // Installing server packages (tftpd-hpa, nginx, dnsmasq, postgresql...)
  // must not start them: they would hold the ports our tests use. The
  // policy-rc.d convention tells invoke-rc.d not to start services.
  const policy = "/usr/sbin/policy-rc.d";
  const madePolicy = process.getuid?.() === 0 && !existsSync(policy);
  if (madePolicy)
    writeFileSync(
      policy,
      "#!/bin/sh\n# bootfleet bootstrap: do not start services while installing test peers\nexit 101\n",
      { mode: 0o755 },
    );
  process.on("exit", () => {
    if (madePolicy) rmSync(policy, { force: true });
  });
  const r = spawnSync(
    sudo.length ? "sudo" : "apt-get",
    [
      ...(sudo.length ? ["apt-get"] : []),
      ...lockWait,
      "install",
      "-y",
      "-q",
      "--no-install-recommends",
      ...missing,
    ],
    {
      cwd: root,
      stdio: "inherit",
      env,
    },
  );
  if (r.status !== 0) {
    // Stale lists: update and retry once.
    apt(["update", "-q"]);
    apt(["install", "-y", "-q", "--no-install-recommends", ...missing]);
  }
}

/** `optionalNative`: serving goes on without the addon (TFTP on node:dgram); the test suite needs it. */
function build(optionalNative) {
  step("building (tsc, native/bootfleet_udp, the client hook's bootfleet-nbd)");
  run(join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"]);
  run(process.execPath, [join(root, "scripts/build-native.mjs"), ...(optionalNative ? ["--optional"] : [])]);
}

if (mode === "start") {
  ensureNpmDeps();
  ensureDebianPackages(
    packagesFromList("scripts/serve-packages.txt"),
    "serving (iPXE binaries, squashfs tools, compilers for the client hook)",
  );
  build(true);
  // `bootfleet init` writes ./bootfleet.yaml for this machine's own network;
  // until then the bundled example shows the way, on its lab bridge.
  const config = existsSync(join(root, "bootfleet.yaml")) ? "bootfleet.yaml" : "examples/bootfleet.yaml";
  step(`serving ${config} (Ctrl-C stops)`);
  const child = spawn(
    process.execPath,
    [join(root, "dist/src/cli/main.js"), "serve", "-c", config, ...process.argv.slice(3)],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => {
    // 78 (EX_CONFIG): serve found the config is for another machine's network.
    if (code === 78 && config.startsWith("examples/"))
      process.stderr.write(
        "\nnpm start serves examples/bootfleet.yaml, made for a lab bridge br0 at 198.18.0.1 that\n" +
          "this machine does not have. Either:\n" +
          "  node dist/src/cli/main.js init           # writes ./bootfleet.yaml for this machine's network;\n" +
          "                                           # npm start serves it from then on\n" +
          "  npm run demo                             # one virtual client boots in a private network namespace\n" +
          "or give this machine the example's network (a bridge of its own, nothing else is touched):\n" +
          "  ip link add br0 type bridge && ip addr add 198.18.0.1/24 dev br0 && ip link set br0 up\n",
      );
    process.exit(code ?? (signal ? 1 : 0));
  });
} else if (mode === "test") {
  ensureNpmDeps();
  ensureDebianPackages(
    [...packagesFromList("scripts/serve-packages.txt"), ...packagesFromList("scripts/test-peers.txt")],
    "the test suite's real peers",
  );
  build(false);
  step("lint (biome)");
  run(join(root, "node_modules/.bin/biome"), [
    "check",
    ...["src", "test", "scripts", "bench"].filter((d) => existsSync(join(root, d))),
  ]);
  step("tests");
  run(process.execPath, [join(root, "scripts/run-tests.mjs"), ...process.argv.slice(3)]);
} else {
  process.stderr.write(`bootstrap: unknown mode '${mode}' (use start or test)\n`);
  process.exit(2);
}
