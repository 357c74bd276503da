/**
 * pxelinux.cfg labels into images and kernel arguments.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfigFromString } from "../../config/load-config.js";
import { importConfig } from "../import-config.js";

describe("pxelinux.cfg import", () => {
  const MENU = [
    "DEFAULT menu.c32",
    "PROMPT 0",
    "TIMEOUT 50",
    "",
    "LABEL debian",
    "  MENU LABEL Debian 12 over NBD",
    "  KERNEL debian/vmlinuz",
    "  APPEND initrd=debian/initrd.img root=/dev/nbd0 nbdroot=10.1.0.2:10809/debian quiet console=ttyS0",
    "  IPAPPEND 2",
    "",
    "LABEL ubuntu",
    "  LINUX ubuntu/vmlinuz",
    "  INITRD ubuntu/initrd.img",
    "  APPEND root=/dev/nfs nfsroot=10.1.0.2:/srv/ubuntu,ro ip=dhcp splash",
    "",
    "LABEL local",
    "  LOCALBOOT 0",
  ].join("\n");

  it("each label with a kernel is an image; several make a menu; the rest is kept as comments", () => {
    const r = importConfig([{ file: "pxelinux.cfg/default", text: MENU }]);
    const config = loadConfigFromString(r.yaml, "/tmp/pxe.yaml");
    assert.deepEqual(Object.keys(config.images).sort(), ["debian", "ubuntu"]);
    assert.equal(config.images.debian!.kernel_args, "quiet console=ttyS0");
    assert.equal(config.images.ubuntu!.kernel_args, "ip=dhcp splash");
    assert.match(
      config.images.debian!.description ?? "",
      /^Debian 12 over NBD — .*initrd debian\/initrd\.img, root over NBD 10\.1\.0\.2:10809\/debian/,
    );
    assert.match(
      config.images.ubuntu!.description ?? "",
      /initrd ubuntu\/initrd\.img, root over NFS 10\.1\.0\.2:\/srv\/ubuntu,ro/,
    );
    // DEFAULT menu.c32 is a module, not a label: the first label is the default, the labels a menu of 5 s,
    // and LABEL local (LOCALBOOT) is the menu's local-disk entry.
    assert.equal(config.defaults.image, "debian");
    assert.deepEqual(config.defaults.menu, { images: ["debian", "ubuntu"], timeout: 5, local: true });
    assert.equal(config.server.address, "10.1.0.2");
    assert.match(r.yaml, /LABEL local boots the local disk/);
    assert.match(r.yaml, /bootfleet image build ubuntu --from \/srv\/ubuntu/);
  });

  it("directives in capitals inside a line are split off, with a located warning", () => {
    const r = importConfig(
      [{ file: "pxelinux.cfg/default", text: "DEFAULT linux KERNEL vmlinuz APPEND quiet\n" }],
      {
        serverAddress: "10.0.0.1",
      },
    );
    const w = r.problems
      .filter((p) => p.severity === "warning" && p.message.includes("inside a DEFAULT line"))
      .map((p) => `${p.at.line}:${p.at.column} ${p.message}`);
    assert.deepEqual(w, [
      "1:15 'KERNEL' inside a DEFAULT line: read as a directive of its own (lines joined?)",
      "1:30 'APPEND' inside a DEFAULT line: read as a directive of its own (lines joined?)",
    ]);
  });

  it("a carriage return or U+2028 inside a line is whitespace, not a TypeError", () => {
    const r = importConfig(
      [
        {
          file: "pxelinux.cfg/default",
          text: "LABEL a\nKERNEL vmlinuz\nAPPEND root=/dev/nfs\r quiet\u2028ro\nDEFAULT\ra\n",
        },
      ],
      { serverAddress: "10.0.0.1" },
    );
    const config = loadConfigFromString(r.yaml, "/tmp/pxelinux.yaml");
    assert.equal(config.images.a?.kernel_args, "quiet ro");
    assert.equal(config.defaults.image, "a");
  });
});
