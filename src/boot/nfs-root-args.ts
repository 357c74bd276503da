/**
 * The kernel command line of `root: nfs-kernel`: a kernel with NFS root and
 * IP autoconfiguration built in mounts the version's tree itself, with no
 * initramfs (Linux's Documentation/admin-guide/nfs/nfsroot.rst):
 *
 *   root=/dev/nfs  the pseudo-device that makes the kernel mount its root over NFS
 *   nfsroot=SERVER:/images/<image>/<version>,vers=3,tcp
 *                  the export and NFS options; the kernel's own defaults are
 *                  "vers=2,udp" and bootfleet serves version 3 only. It adds
 *                  nolock itself (there is no lock manager here).
 *   ip=dhcp        the kernel's DHCP client configures the interface first
 *   ro             the export is read-only: mounted read-write, every write
 *                  would fail with EROFS instead of the root being read-only
 *
 * The kernel finds the NFS and MOUNT ports through the portmapper on port
 * 111; when the service's portmapper is elsewhere it cannot, so the ports
 * are given as options (nfs(5) port= and mountport=).
 *
 * initramfs-tools reads the same parameters when an initrd of its own is
 * booted with them (root=/dev/nfs makes it take its scripts/nfs path, which
 * mounts nfsroot= with klibc's nfsmount), so a Debian kernel that builds
 * NFS as a module boots the same line with that initrd.
 */
import type { BootImage } from "./image-lookup.js";

export interface NfsRootPorts {
  readonly port: number;
  readonly mount_port: number;
  readonly portmap_port: number;
}

/** Where the kernel asks for the ports: the portmapper's well-known port (RFC 1833). */
const WELL_KNOWN_PORTMAP_PORT = 111;

export function nfsRootArgs(
  server: string,
  image: Pick<BootImage, "name" | "version">,
  ports: NfsRootPorts,
): string[] {
  const options = ["vers=3", "tcp"];
  if (ports.portmap_port !== WELL_KNOWN_PORTMAP_PORT)
    options.push(`port=${ports.port}`, `mountport=${ports.mount_port}`);
  return [
    "root=/dev/nfs",
    `nfsroot=${server}:/images/${image.name}/${image.version},${options.join(",")}`,
    "ip=dhcp",
    "ro",
  ];
}
