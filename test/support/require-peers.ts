/**
 * The real programs tests and benchmarks run as peers, and the one check
 * that they are installed. A missing program fails the test (never skips
 * it) with the Debian package that brings it; `npm test` installs those
 * packages from scripts/test-peers.txt and scripts/serve-packages.txt, and
 * require-peers.test.ts keeps this table and those lists in step.
 */
import { accessSync, constants } from "node:fs";
import { basename, join } from "node:path";

/** Program -> the Debian package that installs it. */
export const PEER_PACKAGES: Readonly<Record<string, string>> = {
  // TFTP clients and servers
  tftp: "tftp-hpa",
  atftp: "atftp",
  "in.tftpd": "tftpd-hpa",
  dnsmasq: "dnsmasq-base",
  // HTTP
  curl: "curl",
  nginx: "nginx-light",
  // DHCP clients, servers, relay, load generator
  dhclient: "isc-dhcp-client",
  dhcpd: "isc-dhcp-server",
  dhcrelay: "isc-dhcp-relay",
  "kea-dhcp4": "kea-dhcp4-server",
  perfdhcp: "kea-admin",
  udhcpc: "udhcpc",
  busybox: "busybox-static",
  // NBD clients, servers and tools
  nbdinfo: "libnbd-bin",
  nbdcopy: "libnbd-bin",
  nbdsh: "python3-libnbd",
  "qemu-img": "qemu-utils",
  "nbd-client": "nbd-client",
  "nbd-server": "nbd-server",
  nbdkit: "nbdkit",
  fio: "fio",
  // NFS clients and RPC tools
  rpcinfo: "rpcbind",
  showmount: "nfs-common",
  "nfs-ls": "libnfs-utils",
  "nfs-cat": "libnfs-utils",
  "ganesha.nfsd": "nfs-ganesha",
  rpcbind: "rpcbind",
  // images
  mksquashfs: "squashfs-tools",
  unsquashfs: "squashfs-tools",
  "mkfs.erofs": "erofs-utils",
  "fsck.erofs": "erofs-utils",
  mke2fs: "e2fsprogs",
  debugfs: "e2fsprogs",
  mmdebstrap: "mmdebstrap",
  cpio: "cpio",
  // the client hook's static bootfleet-nbd (scripts/build-client-helpers.mjs)
  gcc: "gcc",
  unshare: "util-linux",
  "apt-get": "apt",
  "dpkg-deb": "dpkg",
  // boot loaders' own config checkers
  "grub-script-check": "grub-common",
  // networks, machines, captures, logs, the admin page
  ip: "iproute2",
  "qemu-system-x86_64": "qemu-system-x86",
  "qemu-system-aarch64": "qemu-system-arm",
  rdisc6: "ndisc6",
  tshark: "tshark",
  logger: "bsdutils",
  chromium: "chromium",
};

export interface PeerCheckOptions {
  /** The environment the programs will run with: its PATH is searched. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** The test also needs root (network namespaces, loop mounts, chroot). */
  readonly root?: boolean | undefined;
}

/**
 * Where `program` is: a path is taken as it is; a name is looked up in PATH,
 * then in /usr/sbin and /sbin, which a user's PATH often lacks although
 * `ip`, `dhcpd` and `in.tftpd` live there.
 */
export function findPeer(program: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = program.includes("/")
    ? [program]
    : [...(env.PATH ?? "").split(":"), "/usr/sbin", "/sbin"].filter(Boolean).map((dir) => join(dir, program));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/** What to install for the programs that are missing, or undefined when all are there. */
export function missingPeers(programs: readonly string[], env?: NodeJS.ProcessEnv): string | undefined {
  const missing = programs.filter((p) => findPeer(p, env) === undefined);
  if (missing.length === 0) return undefined;
  const packages = [...new Set(missing.map((p) => PEER_PACKAGES[basename(p)] ?? basename(p)))];
  return (
    `missing test peer(s) ${missing.join(", ")}: apt-get install ${packages.join(" ")} ` +
    "(scripts/test-peers.txt lists them; npm test installs them)"
  );
}

/** Throws naming the Debian packages of the missing programs; also requires root when asked. */
export function requirePeers(programs: readonly string[], options: PeerCheckOptions = {}): void {
  const missing = missingPeers(programs, options.env);
  if (missing !== undefined) throw new Error(missing);
  if (options.root && process.getuid?.() !== 0) {
    throw new Error("this test needs root (network namespaces, loop mounts, chroot): run it as root");
  }
}
