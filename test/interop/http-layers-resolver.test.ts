/**
 * The layer cpio end to end with the real config loader and resolver over a
 * heterogeneous-diskless layer tree (base < network < lab < host < IP) plus
 * files and settings from the YAML: what curl fetches and `cpio -idm`
 * unpacks is exactly the machine's resolved files, with their modes.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../src/config/load-config.js";
import { FleetResolver } from "../../src/config/resolve-machine.js";
import { type HttpHarness, startHttp } from "../fixtures/boot/http-harness.js";
import { runPeer } from "../fixtures/boot/run-peer.js";
import { requirePeers } from "../support/require-peers.js";

const YAML = `# one image, each lab's and host's differences laid over it
server: { address: 198.18.50.1, data_dir: ./var }
images: { debian: {} }
networks:
  - subnet: 198.18.50.0/24
defaults:
  image: debian
  settings: { XKBLAYOUT: us, SCREEN_07: ldm, LDM_DIRECTX: "True" }
  files:
    /etc/issue: "bootfleet\\n"
groups:
  lab3:
    match: { hostname: "lab3-*" }
    settings: { XKBLAYOUT: de, PRINTER_0_DEVICE: "/dev/usb/lp0" }
    files:
      /etc/motd: "Welcome to lab 3. Don't panic.\\n"
hosts:
  lab3-14:
    mac: "52:54:00:12:34:56"
    ip: 198.18.50.14
    settings: { X_MODE_0: "1280x1024 (it's \\"big\\")" }
`;

const TREE: [string, string, number][] = [
  ["layers/base/etc/layer", "base\n", 0o644],
  ["layers/base/etc/rc.local", "#!/bin/sh\nexit 0\n", 0o755],
  ["layers/base/etc/fstab", "none /tmp tmpfs defaults 0 0\n", 0o644],
  ["layers/networks/198.18.50.255/etc/resolv.conf", "nameserver 198.18.50.1\n", 0o644],
  ["layers/networks/198.18.50.255/etc/layer", "network\n", 0o644],
  ["layers/labs/lab3/etc/X11/xorg.conf", 'Section "Device"\nEndSection\n', 0o644],
  ["layers/labs/lab3/etc/layer", "lab3\n", 0o644],
  ["layers/hosts/lab3-14/etc/fstab", "/dev/sda1 /mnt/scratch reiserfs defaults 0 0\n", 0o600],
  ["layers/hosts/198.18.50.14/etc/layer", "ip\n", 0o644],
  ["layers/hosts/198.18.50.14/usr/local/sbin/findlocal", "#!/bin/sh\n", 0o750],
];

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

describe("layer cpio from a base < network < lab < host < IP tree through the real resolver", () => {
  let h: HttpHarness;
  let dir: string;
  let resolver: FleetResolver;
  before(async () => {
    requirePeers(["curl", "cpio"]);
    dir = mkdtempSync(join(tmpdir(), "bf-layers-"));
    writeFileSync(join(dir, "bootfleet.yaml"), YAML);
    for (const [path, text, mode] of TREE) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
      chmodSync(join(dir, path), mode);
    }
    const config = await loadConfig(join(dir, "bootfleet.yaml"), { skipImageCheck: true });
    resolver = new FleetResolver(config);
    // curl asks from loopback: that is the machine's proven address here, so
    // its secret files (the host's 0600 fstab) are in its archive.
    h = await startHttp({
      config,
      resolver,
      isMachineAt: async (mac, ip) => mac === "52:54:00:12:34:56" && ip === "127.0.0.1",
    });
  });
  after(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("unpacks into exactly the resolved files, the last layer winning", async () => {
    const body = join(dir, "layers.cpio");
    const r = await runPeer("curl", [
      "-sS",
      "-f",
      "-o",
      body,
      `${h.base}/boot/52:54:00:12:34:56/layers.cpio`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = join(dir, "out");
    mkdirSync(out);
    const cpio = await runPeer("cpio", ["-idm", "--quiet", "--no-absolute-filenames"], {
      cwd: out,
      input: readFileSync(body),
    });
    assert.equal(cpio.code, 0, cpio.stderr);

    const machine = resolver.resolve({ mac: "52:54:00:12:34:56", ip: "198.18.50.14", hostname: "lab3-14" });
    const root = join(out, "bootfleet", "layers");
    const got = walk(root)
      .map((p) => `/${relative(root, p)}`)
      .sort();
    const want = [...Object.keys(machine.files), "/etc/bootfleet/settings.env", "/etc/lts.conf"].sort();
    assert.deepEqual(got, want);
    for (const [path, v] of Object.entries(machine.files)) {
      assert.ok(readFileSync(join(root, path)).equals(v.value.content), path);
      assert.equal(statSync(join(root, path)).mode & 0o7777, v.value.mode, `${path}: mode`);
    }
    // Spot checks of the layering itself (base < network < lab < host < IP).
    const text = (p: string) => readFileSync(join(root, p), "utf8");
    assert.equal(text("etc/layer"), "ip\n");
    assert.equal(text("etc/fstab"), "/dev/sda1 /mnt/scratch reiserfs defaults 0 0\n");
    assert.equal(statSync(join(root, "etc/fstab")).mode & 0o777, 0o600);
    assert.equal(statSync(join(root, "etc/rc.local")).mode & 0o777, 0o755);
    assert.equal(statSync(join(root, "usr/local/sbin/findlocal")).mode & 0o777, 0o750);
    assert.equal(text("etc/motd"), "Welcome to lab 3. Don't panic.\n");

    // settings.env reads back in sh to the resolved values, quotes and all.
    const sh = await runPeer("sh", [
      "-c",
      `. ${join(root, "etc/bootfleet/settings.env")}; printf '%s\\n' "$XKBLAYOUT" "$X_MODE_0" "$PRINTER_0_DEVICE" "$LDM_DIRECTX"`,
    ]);
    assert.equal(
      sh.stdout.toString(),
      [
        machine.settings.XKBLAYOUT?.value,
        machine.settings.X_MODE_0?.value,
        machine.settings.PRINTER_0_DEVICE?.value,
        machine.settings.LDM_DIRECTX?.value,
        "",
      ].join("\n"),
    );
    assert.equal(machine.settings.X_MODE_0?.value, '1280x1024 (it\'s "big")');
    assert.match(text("etc/lts.conf"), /^\[Default\]$/m);
    assert.match(text("etc/lts.conf"), /^\tXKBLAYOUT = de$/m);
  });
});
