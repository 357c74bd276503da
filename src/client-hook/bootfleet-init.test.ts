/**
 * The hook's parsing helpers, run under the same shell they run under in
 * the initramfs (Debian's busybox-static ash), with BOOTFLEET_LIB=1 so the
 * script only defines its functions. The whole hook runs in QEMU in
 * test/interop/image-hook-boot.test.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { requirePeers } from "../../test/support/require-peers.js";

const SCRIPT = fileURLToPath(new URL("./bootfleet-init.sh", import.meta.url));
const BUSYBOX = "/bin/busybox";

function sh(body: string): string {
  requirePeers([BUSYBOX]);
  const r = spawnSync(BUSYBOX, ["sh", "-c", `. "${SCRIPT}"\n${body}`], {
    encoding: "utf8",
    env: { BOOTFLEET_LIB: "1", PATH: "/usr/bin:/bin" },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe("client hook helpers (busybox sh)", () => {
  it("reads every bootfleet.* parameter from a kernel command line", () => {
    const out =
      sh(`parse_cmdline 'console=ttyS0 bootfleet.server=198.18.0.1 bootfleet.nbd=198.18.0.1:10809/debian@20261124-153000 bootfleet.http=http://198.18.0.1:8080/ bootfleet.mac=52-54-00-12-34-56 bootfleet.hostname=lab3-14.example.edu bootfleet.layers=http://198.18.0.1:8080/boot/52:54:00:12:34:56/layers.cpio?x=1 bootfleet.scratch=SCRATCH bootfleet.syslog=198.18.0.1:514 bootfleet.timeout=12 bootfleet.debug bootfleet.cow=1 BOOTIF=01-AA-BB-CC-DD-EE-FF init=/lib/systemd/systemd ip=dhcp *'
printf '%s\\n' "$BF_SERVER" "$BF_NBD" "$BF_HTTP" "$BF_MAC" "$BF_HOSTNAME" "$BF_LAYERS" "$BF_SCRATCH" "$BF_SYSLOG" "$BF_TIMEOUT" "$BF_DEBUG" "$BF_COW" "$BOOTIF_MAC" "$BF_INIT" "$IP_PARAM"`);
    assert.deepEqual(out.split("\n").slice(0, -1), [
      "198.18.0.1",
      "198.18.0.1:10809/debian@20261124-153000",
      "http://198.18.0.1:8080",
      "52:54:00:12:34:56",
      "lab3-14.example.edu",
      "http://198.18.0.1:8080/boot/52:54:00:12:34:56/layers.cpio?x=1",
      "SCRATCH",
      "198.18.0.1:514",
      "12",
      "1",
      "1",
      "aa:bb:cc:dd:ee:ff",
      "/lib/systemd/systemd",
      "dhcp",
    ]);
  });

  it("defaults: init, timeout; drops a malformed MAC and unsafe hostname characters", () => {
    const out =
      sh(`parse_cmdline 'bootfleet.mac=nonsense bootfleet.hostname=lab\`reboot\`;x bootfleet.timeout=abc'
printf '%s|%s|%s|%s\\n' "$BF_INIT" "$BF_TIMEOUT" "$BF_MAC" "$BF_HOSTNAME"`);
    assert.equal(out, "/sbin/init|30||labrebootx\n");
  });

  it("splits bootfleet.nbd into host, port and export", () => {
    const out = sh(`BF_SERVER=198.18.0.1
for s in 198.18.0.2:10810/debian@20261124-153000 198.18.0.2/debian :2000/img /debian; do
  if parse_nbd "$s"; then echo "$NBD_HOST $NBD_PORT $NBD_EXPORT"; else echo bad; fi
done
for s in 198.18.0.2:10809 198.18.0.2:x/debian 198.18.0.2:10809/; do parse_nbd "$s" && echo ok || echo bad; done`);
    assert.equal(
      out,
      "198.18.0.2 10810 debian@20261124-153000\n198.18.0.2 10809 debian\n198.18.0.1 2000 img\n198.18.0.1 10809 debian\nbad\nbad\nbad\n",
    );
  });

  it("bootfleet.servers: addresses only, deduplicated, in order; NBD timeouts with defaults", () => {
    const out =
      sh(`parse_cmdline 'bootfleet.servers=198.18.0.1,198.18.0.2,evil;reboot,198.18.0.1,,198.18.0.3 bootfleet.nbd_timeout=20 bootfleet.nbd_dead_timeout=600'
printf '%s|%s|%s\\n' "$BF_SERVERS" "$BF_NBD_TIMEOUT" "$BF_NBD_DEAD_TIMEOUT"
parse_cmdline 'bootfleet.nbd_timeout=0 bootfleet.nbd_dead_timeout=x'
printf '%s|%s|%s\\n' "$BF_SERVERS" "$BF_NBD_TIMEOUT" "$BF_NBD_DEAD_TIMEOUT"`);
    assert.equal(out, "198.18.0.1 198.18.0.2 198.18.0.3|20|600\n|15|86400\n");
  });

  it("tries every server: the URL's own host first, then the others with port and path kept", () => {
    const out = sh(`BF_SERVERS='198.18.0.1 198.18.0.2 198.18.0.3'
url_hosts http://198.18.0.2:8080/boot/52:54:00:12:34:56/layers.cpio
url_hosts http://198.18.0.9/api/v1/x
server_order 198.18.0.3; echo
BF_SERVERS=
url_hosts http://198.18.0.1:8080/a
server_order 198.18.0.1; echo`);
    assert.equal(
      out,
      [
        "http://198.18.0.2:8080/boot/52:54:00:12:34:56/layers.cpio",
        "http://198.18.0.1:8080/boot/52:54:00:12:34:56/layers.cpio",
        "http://198.18.0.3:8080/boot/52:54:00:12:34:56/layers.cpio",
        "http://198.18.0.9/api/v1/x",
        "http://198.18.0.1/api/v1/x",
        "http://198.18.0.2/api/v1/x",
        "http://198.18.0.3/api/v1/x",
        "198.18.0.3 198.18.0.1 198.18.0.2",
        "http://198.18.0.1:8080/a",
        "198.18.0.1",
        "",
      ].join("\n"),
    );
  });

  it("splits bootfleet.nfs into host and path, the server by default", () => {
    const out = sh(`BF_SERVER=198.18.0.1
for s in 198.18.0.2:/images/thin :/images/thin/20261124-153000 198.18.0.2 thin:/images/thin 198.18.0.2:images; do
  if parse_nfs "$s"; then echo "$NFS_HOST $NFS_PATH"; else echo bad; fi
done`);
    assert.equal(out, "198.18.0.2 /images/thin\n198.18.0.1 /images/thin/20261124-153000\nbad\nbad\nbad\n");
  });

  it("reads ip= the kernel's way: static when it starts with an address, else DHCP", () => {
    const out =
      sh(`for p in 198.18.0.14::198.18.0.1:255.255.255.0:lab3-14:eth0:off 198.18.0.14:::255.255.0.0::: dhcp '' ::::::dhcp off; do
  if parse_ip_param "$p"; then echo "static $IP_CLIENT/$IP_PREFIX gw=$IP_GW host=$IP_HOST dev=$IP_DEV"; else echo dhcp; fi
done`);
    assert.equal(
      out,
      "static 198.18.0.14/24 gw=198.18.0.1 host=lab3-14 dev=eth0\nstatic 198.18.0.14/16 gw= host= dev=\ndhcp\ndhcp\ndhcp\ndhcp\n",
    );
  });

  it("converts netmasks and checks addresses", () => {
    const out =
      sh(`for m in 255.255.255.0 255.255.255.128 255.0.0.0 0.0.0.0 20 ''; do netmask_to_prefix "$m"; done
netmask_to_prefix 255.1.0.0 || echo bad
for a in 198.18.0.1 256.1.1.1 1.2.3 1..2.3 a.b.c.d; do is_ipv4 "$a" && echo y || echo n; done`);
    assert.equal(out, "24\n25\n8\n0\n20\n24\nbad\ny\nn\nn\nn\nn\n");
  });

  it("writes JSON details: strings escaped, control characters dropped, whole numbers as numbers", () => {
    const out = sh(`jobj stage nbd reason 'say "no" \\ to
this' bytes 12685312 ip 198.18.0.14 zero 0 lead 007`);
    assert.equal(
      out,
      '{"stage":"nbd","reason":"say \\"no\\" \\\\ to this","bytes":12685312,"ip":"198.18.0.14","zero":0,"lead":"007"}',
    );
    assert.deepEqual(JSON.parse(out).reason, 'say "no" \\ to this');
  });

  it("quotes values from DHCP so sourcing them runs nothing", () => {
    const out = sh(`raw='x'"'"'; touch /tmp/pwned; echo $(id)'
v=$(shquote "$raw")
eval "got=$v"
printf '%s\\n' "$got"`);
    assert.equal(out, "x'; touch /tmp/pwned; echo $(id)\n");
  });

  it("reads a RAM root's parameters; the reserve defaults to 128 MiB and must be a number", () => {
    const out =
      sh(`parse_cmdline 'bootfleet.root=ram bootfleet.root_url=http://198.18.0.1:8080/images/kiosk/20261124-153000/root.squashfs bootfleet.root_sha256=${"ab".repeat(32)} bootfleet.root_bytes=52428800 bootfleet.ram_reserve_mb=x'
printf '%s\\n' "$BF_ROOT" "$BF_ROOT_URL" "$BF_ROOT_SHA256" "$BF_ROOT_BYTES" "$BF_RAM_RESERVE_MB"`);
    assert.deepEqual(out.split("\n").slice(0, -1), [
      "ram",
      "http://198.18.0.1:8080/images/kiosk/20261124-153000/root.squashfs",
      "ab".repeat(32),
      "52428800",
      "128",
    ]);
  });

  it("checks a RAM root against the memory the kernel can give, keeping the reserve for the system", () => {
    const out = sh(`dir=$(mktemp -d)
printf 'MemTotal:        1000000 kB\\nMemFree:          300000 kB\\nMemAvailable:     600000 kB\\n' >"$dir/a"
printf 'MemTotal:        1000000 kB\\nMemFree:          300000 kB\\n' >"$dir/b"
mem_available "$dir/a"; mem_available "$dir/b"
rm -r "$dir"
avail=$((600000 * 1024))
ram_fits $((400 * 1048576)) $avail 128 && echo fits || echo no
ram_fits $((500 * 1048576)) $avail 128 && echo fits || echo no
ram_fits $((500 * 1048576)) $avail 0 && echo fits || echo no`);
    assert.equal(out, `${600000 * 1024}\n${300000 * 1024}\nfits\nno\nfits\n`);
  });

  it("names the image version of a root URL as an NBD export would", () => {
    const out =
      sh(`for u in http://198.18.0.1:8080/images/kiosk/20261124-153000/root.squashfs http://h/images/kiosk http://h/boot/x; do
  image_of_url "$u" && echo || echo bad
done`);
    assert.equal(out, "kiosk@20261124-153000\nbad\nbad\n");
  });
});
