import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nfsRootArgs } from "./nfs-root-args.js";

const image = { name: "debian", version: "2024.06.01" };

describe("nfsRootArgs", () => {
  it("gives the kernel's own NFS root line (nfsroot.rst): version 3 over TCP, DHCP, read-only", () => {
    assert.deepEqual(
      nfsRootArgs("198.18.180.1", image, { port: 2049, mount_port: 20048, portmap_port: 111 }),
      ["root=/dev/nfs", "nfsroot=198.18.180.1:/images/debian/2024.06.01,vers=3,tcp", "ip=dhcp", "ro"],
    );
  });

  it("names the NFS and MOUNT ports when the portmapper is not where the kernel asks", () => {
    const args = nfsRootArgs("198.18.180.1", image, { port: 12049, mount_port: 12048, portmap_port: 10111 });
    assert.ok(
      args.includes("nfsroot=198.18.180.1:/images/debian/2024.06.01,vers=3,tcp,port=12049,mountport=12048"),
      args.join(" "),
    );
  });
});
