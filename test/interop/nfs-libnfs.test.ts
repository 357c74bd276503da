/**
 * The NFS service against real clients that need no kernel NFS support:
 * `bootfleet serve` with `services.nfs` on its standard ports (portmapper
 * 111, NFS 2049, MOUNT 20048) in a network namespace of its own
 * (198.18.90.1), and the clients on another host on the same wire
 * (198.18.90.2): rpcinfo (rpcbind) asks the portmapper over TCP and UDP,
 * showmount (nfs-common) lists the exports, and libnfs's nfs-ls and nfs-cat,
 * a whole userspace NFSv3 client, mount through the portmapper, list and
 * read. The image is a real squashfs built with mksquashfs (zstd, as image
 * builds make them), served unpacked and as the file itself.
 *
 * Needs root for the namespaces; the server is stopped by PID and the
 * namespaces removed in `after`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeTestTree } from "../../src/services/nfs/nfs-test-tree.js";
import { requirePeers } from "../support/require-peers.js";
import { startServeInNetwork } from "../support/serve-in-network.js";
import { TestNetwork } from "../support/test-network.js";
import { waitUntil } from "../support/wait-until.js";

const SERVER = "198.18.90.1";
const CLIENT = "198.18.90.2";
const VERSION = "20261124-153000";
const BIG_BYTES = 3 * 1024 * 1024 + 123;

const CONFIG = (dataDir: string) => `server:
  address: ${SERVER}
  data_dir: ${dataDir}
services:
  dhcp: { mode: off }
  tftp: { enabled: false }
  nbd: { enabled: false }
  syslog: { enabled: false }
  nfs: { enabled: true }
images: { thin: {} }
networks:
  - subnet: 198.18.90.0/24
defaults:
  image: thin
`;

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("NFS service with rpcinfo, showmount and libnfs", { timeout: 180_000 }, () => {
  let net: TestNetwork;
  let client: string;
  let tmp: string;
  let big: Buffer;
  let squashfs: string;

  /** A program in the client's namespace: stdout, or the failure with its stderr. */
  const inClient = (cmd: string, ...args: string[]): { ok: boolean; out: Buffer; err: string } => {
    try {
      const out = execFileSync("ip", ["netns", "exec", client, "timeout", "30", cmd, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        maxBuffer: 64 * 1024 * 1024,
      });
      return { ok: true, out, err: "" };
    } catch (e) {
      const err = e as { stdout?: Buffer; stderr?: Buffer };
      return { ok: false, out: err.stdout ?? Buffer.alloc(0), err: String(err.stderr ?? "") };
    }
  };
  const url = (path: string) => `nfs://${SERVER}${path}`;

  before(async () => {
    requirePeers(["rpcinfo", "showmount", "nfs-ls", "nfs-cat", "mksquashfs", "curl", "ip"], { root: true });
    tmp = mkdtempSync(join(tmpdir(), "bf-nfs-libnfs-"));
    const root = join(tmp, "root");
    makeTestTree(root);
    big = Buffer.alloc(BIG_BYTES);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 10)) & 0xff;
    writeFileSync(join(root, "bin/big"), big);
    const dataDir = join(tmp, "var");
    const dir = join(dataDir, "images", "thin", VERSION);
    mkdirSync(dir, { recursive: true });
    squashfs = join(dir, "root.squashfs");
    execFileSync("mksquashfs", [root, squashfs, "-noappend", "-comp", "zstd", "-quiet", "-no-progress"]);
    writeFileSync(join(dir, "vmlinuz"), Buffer.alloc(4096, 1));
    writeFileSync(join(dir, "initrd.img"), Buffer.alloc(4096, 2));
    symlinkSync(VERSION, join(dataDir, "images", "thin", "current"));
    writeFileSync(join(tmp, "bootfleet.yaml"), CONFIG(dataDir));
    net = TestNetwork.create({ tag: "nfs", bridgeAddress: `${SERVER}/24` });
    client = net.addHost("client", `${CLIENT}/24`);
    await startServeInNetwork(net, SERVER, join(tmp, "bootfleet.yaml"), join(tmp, "serve.log"));
  });

  after(() => {
    net?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("rpcinfo finds portmapper, MOUNT and NFS on port 111, over TCP and UDP", () => {
    const list = inClient("rpcinfo", "-p", SERVER);
    assert.ok(list.ok, list.err);
    const text = list.out.toString();
    for (const line of [
      /100000\s+2\s+tcp\s+111\s/,
      /100000\s+2\s+udp\s+111\s/,
      /100005\s+3\s+tcp\s+20048\s/,
      /100003\s+3\s+udp\s+2049\s/,
    ]) {
      assert.match(text, line);
    }
    for (const proto of ["-t", "-u"]) {
      const ping = inClient("rpcinfo", proto, SERVER, "100003", "3");
      assert.ok(ping.ok, ping.err);
      assert.match(ping.out.toString(), /program 100003 version 3 ready and waiting/);
    }
  });

  it("showmount lists every image version's exports", () => {
    const r = inClient("showmount", "-e", SERVER);
    assert.ok(r.ok, r.err);
    for (const path of [
      "/images/thin",
      `/images/thin/${VERSION}`,
      "/squashfs/thin",
      `/squashfs/thin/${VERSION}`,
    ]) {
      assert.match(r.out.toString(), new RegExp(`^${path} +\\*$`, "m"));
    }
  });

  it("nfs-ls lists the unpacked root, links as links", () => {
    const r = inClient("nfs-ls", "-R", url("/images/thin"));
    assert.ok(r.ok, r.err);
    const names = r.out
      .toString()
      .trim()
      .split("\n")
      .map((l) => l.split(/\s+/).pop());
    assert.deepEqual(names.sort(), [
      "bin",
      "bin/big",
      "bin/busybox",
      "bin/sh",
      "etc",
      "etc/Zeta",
      "etc/escape",
      "etc/hostname",
      "etc/up",
    ]);
    assert.match(r.out.toString(), /^l.* etc\/escape$/m);
  });

  it("nfs-cat reads small and large files whole, from the current and the pinned version", () => {
    const host = inClient("nfs-cat", url("/images/thin/etc/hostname"));
    assert.ok(host.ok, host.err);
    assert.equal(host.out.toString(), "thin\n");
    const whole = inClient("nfs-cat", url(`/images/thin/${VERSION}/bin/big`));
    assert.ok(whole.ok, whole.err);
    assert.equal(whole.out.length, BIG_BYTES);
    assert.equal(sha256(whole.out), sha256(big));
  });

  it("serves the squashfs file itself for loop mounts", () => {
    const r = inClient("nfs-cat", url("/squashfs/thin/root.squashfs"));
    assert.ok(r.ok, r.err);
    assert.equal(sha256(r.out), sha256(readFileSync(squashfs)));
  });

  it("never reads outside the export: a link to /etc/shadow and a climb past the root give nothing", () => {
    for (const path of [
      "/images/thin/etc/escape",
      "/images/thin/etc/up/etc/passwd",
      "/images/thin/../../etc/passwd",
    ]) {
      const r = inClient("nfs-cat", url(path));
      assert.equal(r.ok, false, path);
      assert.doesNotMatch(r.out.toString(), /root:/);
    }
    const mount = inClient("nfs-ls", url("/etc"));
    assert.equal(mount.ok, false);
  });

  it("closes a connection that sends no RPC and goes on serving", async () => {
    inClient("bash", "-c", `printf 'GET / HTTP/1.1\\r\\n\\r\\n' > /dev/tcp/${SERVER}/2049`);
    const log = join(tmp, "serve.log");
    await waitUntil(
      () => readFileSync(log, "utf8").includes("connection closed, not RPC"),
      "the close in the log",
    );
    const r = inClient("nfs-cat", url("/images/thin/etc/hostname"));
    assert.ok(r.ok, r.err);
  });
});
