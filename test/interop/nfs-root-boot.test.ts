/**
 * A root over NFS, booted for real: the Linux kernel's NFS client (Debian's
 * kernel, its nfs modules in the client hook's initrd) in a QEMU guest (TCG)
 * mounts a busybox image from `bootfleet serve` (services.nfs, portmapper on
 * 111 inside the test's own namespace, 198.18.30.0/24 of the boot harness)
 * read-only and hard, under the hook's overlay, and runs the image's init.
 * Then, while the guest re-reads a file in a loop (page cache dropped each
 * round, so every round goes to the server), the server is killed with
 * SIGKILL and started again: the loop must see no error and the same bytes
 * every round, since the handles the client holds mean the same thing to
 * the new process (RFC 1813's stateless server, file-handle.ts).
 *
 * Needs root (namespace, tap). Everything started is stopped by PID and the
 * namespace removed, also when the test fails.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BuildImageResult, buildImage } from "../../src/images/build-image.js";
import { BootNetwork, bootQemu, SERVER_IP, type Started, stop } from "../fixtures/images/boot-harness.js";
import { makeBusyboxRoot } from "../fixtures/images/busybox-root.js";
import { type DebianKernel, ensureDebianKernel, REPO_ROOT } from "../fixtures/images/debian-kernel.js";
import { requirePeers } from "../support/require-peers.js";
import { waitUntil } from "../support/wait-until.js";

const CLIENT_IP = "198.18.30.40";
const ROUNDS = 12;
/** The round after which the server is killed. */
const KILL_AFTER = 3;

describe("a QEMU guest boots with its root over bootfleet's NFS service", { timeout: 900_000 }, () => {
  let work: string;
  let kernel: DebianKernel;
  let built: BuildImageResult;
  let net: BootNetwork;
  let config: string;
  const servers: Started[] = [];
  const token = `TOKEN-${randomBytes(6).toString("hex")}`;
  const big = randomBytes(3 * 1024 * 1024 + 17);
  const md5 = createHash("md5").update(big).digest("hex");

  async function startServe(n: number): Promise<Started> {
    const s = net.start(
      `serve-${n}`,
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), "serve", "-c", config],
      {
        cwd: REPO_ROOT,
      },
    );
    servers.push(s);
    // serve logs to stderr: wait on everything it wrote.
    await waitUntil(() => s.output().includes('"msg":"nfs listening"'), `serve ${n} listening`, 120_000);
    return s;
  }

  before(async () => {
    requirePeers(["qemu-system-x86_64", "mksquashfs", "unsquashfs", "busybox", "ip", "apt-get", "dpkg-deb"], {
      root: true,
    });
    work = mkdtempSync(join(tmpdir(), "bf-nfs-boot-"));
    kernel = ensureDebianKernel();
    const root = join(work, "root");
    await makeBusyboxRoot(root, {
      token,
      vmlinuz: kernel.vmlinuz,
      kernelVersion: kernel.version,
      withoutNbdClient: true,
      initLines: `if grep -q bftest.readloop /proc/cmdline; then
  n=0
  errors=0
  while [ "$n" -lt ${ROUNDS} ]; do
    n=$((n + 1))
    echo 3 >/proc/sys/vm/drop_caches
    if sum=$(busybox md5sum /bftest/big 2>&1); then echo "READLOOP $n \${sum%% *}"; else errors=$((errors + 1)); echo "READLOOP $n error: $sum"; fi
    sleep 1
  done
  echo "READLOOP DONE errors=$errors"
fi`,
    });
    mkdirSync(join(root, "bftest"));
    writeFileSync(join(root, "bftest/big"), big);
    built = await buildImage({
      dataDir: join(work, "data"),
      name: "nfsboot",
      from: root,
      modulesFrom: kernel.root,
    });
    config = join(work, "bootfleet.yaml");
    writeFileSync(
      config,
      `server:
  address: ${SERVER_IP}
  data_dir: ${join(work, "data")}
services:
  dhcp: { mode: off }
  tftp: { enabled: false }
  nbd: { enabled: false }
  syslog: { enabled: false }
  http: { port: 8081 }
  nfs: { enabled: true, bind: ${SERVER_IP} }
images: { nfsboot: {} }
networks:
  - subnet: 198.18.30.0/24
`,
    );
    net = new BootNetwork("nfs");
    net.open();
  });

  after(async () => {
    for (const s of servers) await stop(s.child);
    await net?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("boots to init, then reads through a kill -9 and restart of the server without an error", async () => {
    await startServe(1);
    let killed: Promise<void> | undefined;
    const r = await bootQemu(
      net,
      {
        kernel: built.paths.kernel,
        initrd: built.paths.initrd,
        append: [
          "console=ttyS0",
          "panic=0",
          `bootfleet.server=${SERVER_IP}`,
          `bootfleet.nfs=${SERVER_IP}:/images/nfsboot`,
          "bootfleet.mac=52:54:00:30:00:40",
          `ip=${CLIENT_IP}::${SERVER_IP}:255.255.255.0::eth0:off`,
          "bftest.readloop",
        ].join(" "),
        mac: "52:54:00:30:00:40",
        serialLog: join(work, "serial.log"),
        memoryMb: 768,
      },
      {
        timeoutMs: 600_000,
        until: (log) => {
          if (killed === undefined && log.includes(`READLOOP ${KILL_AFTER} `)) {
            killed = (async () => {
              const first = servers[0]!;
              first.child.kill("SIGKILL");
              await new Promise<void>((resolve) => first.child.once("exit", () => resolve()));
              await startServe(2);
            })();
          }
          return false;
        },
      },
    );
    await killed;
    assert.equal(r.timedOut, false, `QEMU did not power off:\n${r.log}`);
    assert.match(r.log, new RegExp(`IMAGE TOKEN ${token}`), r.log);
    assert.match(r.log, /ROOT overlay \/ overlay /, r.log);
    assert.match(r.log, new RegExp(`mounting NFS ${SERVER_IP}:/images/nfsboot`), r.log);
    assert.match(servers[0]!.output(), /"msg":"nfs: mounted"/);
    // The new process was asked with the handles the first one gave out.
    assert.match(servers[1]!.output(), /"msg":"nfs: export loaded"/);
    assert.doesNotMatch(servers[1]!.output(), /"msg":"nfs: mounted"/);
    assert.match(r.log, /PID 1\b/);
    assert.ok(killed, "the server was killed during the read loop");
    assert.equal(servers[0]!.child.signalCode, "SIGKILL");
    const rounds = [...r.log.matchAll(/^READLOOP (\d+) (.*)$/gm)].filter((m) => m[1] !== "DONE");
    assert.equal(rounds.length, ROUNDS, r.log);
    for (const m of rounds) assert.equal(m[2]!.trim(), md5, `round ${m[1]}:\n${r.log}`);
    assert.match(r.log, /READLOOP DONE errors=0/, r.log);
    assert.doesNotMatch(r.log, /Kernel panic|FAILED at/);
    process.stderr.write(`# NFS root boot with a server restart: ${r.ms} ms\n`);
  });
});
