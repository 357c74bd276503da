/** The storm's `--image` choice, its `--subnet`, and the key the Debian image is cached under. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { debianImageKey } from "../../bench/storm/debian-storm-image.js";
import { stormImageChoice } from "../../bench/storm/storm-image.js";
import { DEFAULT_STORM_SUBNET, stormNetwork } from "../../bench/storm/storm-network.js";

test("--image busybox|debian: each with its committed trace and the console line that ends its boot", () => {
  const busybox = stormImageChoice("busybox");
  assert.equal(busybox.kind, "busybox");
  assert.match(busybox.trace, /traces\/busybox-boot\.json\.gz$/);
  assert.ok(busybox.bootDone.test("STORM INIT DONE"));
  const debian = stormImageChoice("debian");
  assert.equal(debian.kind, "debian");
  assert.match(debian.trace, /traces\/debian-systemd-boot\.json\.gz$/);
  assert.ok(debian.bootDone.test("sd-1 login: "));
  assert.ok(!debian.bootDone.test("Welcome to Debian GNU/Linux 12 (bookworm)!"));
  for (const c of [busybox, debian]) assert.ok(existsSync(c.trace), `${c.trace} is committed`);
});

test("--image refuses anything else, naming the choices", () => {
  for (const bad of ["ubuntu", "", "Debian", "constructor", "toString"])
    assert.throws(() => stormImageChoice(bad), new RegExp(`--image ${bad}: one of busybox, debian expected`));
});

test("--subnet: the servers at .0.1, the clients at .0.2, the pool over the rest: room for 1,000 machines", () => {
  assert.deepEqual(stormNetwork(DEFAULT_STORM_SUBNET), {
    server: "198.18.200.1",
    client: "198.18.200.2/22",
    subnet: "198.18.200.0/22",
    netmask: "255.255.252.0",
    poolFirst: "198.18.200.16",
    poolLast: "198.18.203.254",
    poolRoutes: [
      "198.18.200.16/28",
      "198.18.200.32/27",
      "198.18.200.64/26",
      "198.18.200.128/25",
      "198.18.201.0/24",
      "198.18.202.0/24",
      "198.18.203.0/24",
    ],
  });
  const moved = stormNetwork("198.19.252.0/22");
  assert.equal(moved.server, "198.19.252.1");
  assert.equal(moved.poolLast, "198.19.255.254");
});

test("--subnet refuses what is not a /22 of 198.18.0.0/15", () => {
  for (const bad of ["198.18.202.0/22", "198.18.200.0/24", "10.0.0.0/22", "198.20.0.0/22", "198.18.256.0/22"])
    assert.throws(() => stormNetwork(bad), /a \/22 inside 198\.18\.0\.0\/15 expected/);
});

test("the Debian image's cache key changes with any input and with how inputs are split", () => {
  const base = debianImageKey(["storm", "--include", Buffer.from("Package: udev\n")]);
  assert.match(base, /^[0-9a-f]{16}$/);
  assert.equal(debianImageKey(["storm", "--include", Buffer.from("Package: udev\n")]), base);
  assert.notEqual(debianImageKey(["storm", "--include", Buffer.from("Package: udev2\n")]), base);
  assert.notEqual(debianImageKey(["ab", "c"]), debianImageKey(["a", "bc"]));
});
