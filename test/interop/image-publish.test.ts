/**
 * Split roles on one PostgreSQL (docs/ha.md): server a builds an image
 * with `bootfleet image build` and publishes it; server b (roles http and
 * nbd only) pulls it over HTTP from a, checks every sha256 from the
 * manifest, and serves it byte for byte. A version published with a wrong
 * sha256 is refused: b keeps serving the version it had, and nothing of
 * the bad one is left on its disk.
 *
 * Server a runs in a test namespace on a bridge (198.18.94.1), server b in a
 * host joined to it (198.18.94.2); PostgreSQL on a unix socket only.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { type DebianKernel, ensureDebianKernel, REPO_ROOT } from "../fixtures/images/debian-kernel.js";
import { PostgresCluster } from "../support/postgres-cluster.js";
import { requirePeers } from "../support/require-peers.js";
import { startServeInNetwork } from "../support/serve-in-network.js";
import { TestNetwork } from "../support/test-network.js";
import { waitUntil } from "../support/wait-until.js";

const A = "198.18.94.1";
const B = "198.18.94.2";

let cluster: PostgresCluster | undefined;
let net: TestNetwork | undefined;
let dir = "";
let kernel: DebianKernel;
const serves: ChildProcess[] = [];

before(async () => {
  requirePeers(["ip", "curl", "mksquashfs", "unsquashfs", "busybox", "unshare", "apt-get", "dpkg-deb"], {
    root: true,
  });
  kernel = ensureDebianKernel();
  cluster = await PostgresCluster.start("img-pub");
  dir = mkdtempSync(join(tmpdir(), "bf-img-pub-"));
});

after(async () => {
  // The serve processes this test started, by PID; then their network and folder.
  await Promise.all(
    serves.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(child.pid!, "SIGTERM");
      await exited;
    }),
  );
  net?.close();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function serverConfig(name: string, address: string, url: string, roles: string): string {
  const data = join(dir, name);
  mkdirSync(data, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `server: { address: ${address}, data_dir: ${data}, roles: ${roles} }
services:
  dhcp: { mode: off }
  tftp: { enabled: false }
  syslog: { enabled: false }
store: { driver: postgres, url: "${url}" }
images: { keep: 3 }
`,
  );
  return file;
}

function bootfleet(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8").slice(-3000) : "(no log)";
}

describe("split roles: an image built on server a is served by server b", () => {
  test("published, pulled, checked, switched, served byte-exact; a wrong sha256 is refused", {
    timeout: 300_000,
  }, async () => {
    net = TestNetwork.create({ tag: "imgpub", bridgeAddress: `${A}/24` });
    const nsB = net.addHost("b", `${B}/24`);
    const url = await cluster!.database();
    const configA = serverConfig("a", A, url, "[dhcp, tftp, http, nbd, syslog, build]");
    const configB = serverConfig("b", B, url, "[http, nbd]");
    serves.push(await startServeInNetwork(net, A, configA, join(dir, "serve-a.log")));
    serves.push(await startServeInNetwork(net, B, configB, join(dir, "serve-b.log"), { ns: nsB }));

    // A small image: a busybox root and the Debian kernel's modules.
    const root = join(dir, "root");
    await makeBusyboxRoot(root, {
      token: "PUBLISH-TOKEN",
      vmlinuz: kernel.vmlinuz,
      kernelVersion: kernel.version,
    });
    const built = bootfleet(
      "image",
      "build",
      "debian",
      "--from",
      root,
      "--modules-from",
      kernel.root,
      "-c",
      configA,
    );
    assert.equal(built.code, 0, built.err);
    assert.match(built.out, new RegExp(`published for the other servers, served from http://${A}:8080`));
    const version = /built debian version (\d{8}-\d{6})/.exec(built.out)![1]!;

    const versionB = join(dir, "b/images/debian", version);
    await waitUntil(
      () =>
        existsSync(join(dir, "b/images/debian/current")) &&
        readlinkSync(join(dir, "b/images/debian/current")) === version,
      `server b to switch to ${version}`,
      60_000,
    ).catch((e: Error) => assert.fail(`${e.message}\nserver b:\n${tail(join(dir, "serve-b.log"))}`));
    // Every file byte for byte, the manifest included.
    const versionA = join(dir, "a/images/debian", version);
    for (const f of ["root.squashfs", "vmlinuz", "initrd.img", "manifest.json"])
      assert.equal(sha256(readFileSync(join(versionB, f))), sha256(readFileSync(join(versionA, f))), f);
    // And as b serves it: over HTTP from b's own address, inside b's namespace.
    const served = execFileSync(
      "ip",
      ["netns", "exec", nsB, "curl", "-sf", `http://${B}:8080/images/debian/${version}/root.squashfs`],
      { maxBuffer: 1 << 30 },
    );
    assert.equal(sha256(served), sha256(readFileSync(join(versionA, "root.squashfs"))));

    // image list: who holds what.
    const list = bootfleet("image", "list", "--json", "-c", configB);
    assert.equal(list.code, 0, list.err);
    const published = JSON.parse(list.out).published as {
      version: string;
      heldBy: string[];
      latest: boolean;
    }[];
    assert.deepEqual(
      published.map((p) => [p.version, p.latest, [...p.heldBy].sort()]),
      [[version, true, [A, B]]],
    );
    const text = bootfleet("image", "list", "-c", configA).out;
    assert.match(
      text,
      new RegExp(
        `debian\\s+${version}\\s+latest\\s+${A.replace(/\./g, "\\.")}\\s+${A.replace(/\./g, "\\.")}, ${B.replace(/\./g, "\\.")}`,
      ),
    );

    // A corrupt publish: a second version on a whose manifest claims another root.squashfs.
    const bad = "29991231-235959";
    cpSync(versionA, join(dir, "a/images/debian", bad), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(versionA, "manifest.json"), "utf8"));
    const wrong = { ...manifest, version: bad, sha256: "0".repeat(64) };
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      await db.query(
        `INSERT INTO published_images (name, version, built_by, url, manifest, at) VALUES ($1, $2, $3, $4, $5, $6)`,
        ["debian", bad, A, `http://${A}:8080`, JSON.stringify(wrong), Date.now()],
      );
      await db.query("SELECT pg_notify('bootfleet_images', 'debian')");
    } finally {
      await db.end();
    }
    await waitUntil(
      () => /pull refused/.test(readFileSync(join(dir, "serve-b.log"), "utf8")),
      `server b to refuse ${bad}`,
      60_000,
    ).catch((e: Error) => assert.fail(`${e.message}\nserver b:\n${tail(join(dir, "serve-b.log"))}`));
    assert.match(
      readFileSync(join(dir, "serve-b.log"), "utf8"),
      /root\.squashfs .* does not match its manifest/,
    );
    assert.equal(
      readlinkSync(join(dir, "b/images/debian/current")),
      version,
      "b still boots the good version",
    );
    assert.deepEqual(
      readdirSync(join(dir, "b/images/debian")).filter((e) => e !== "current" && !e.startsWith(".in-use")),
      [version],
      "nothing of the refused version is left",
    );
  });
});
