/**
 * The storm's machines read the boot script bootfleet's renderer writes
 * (its golden BIOS output) and the classic stack's script with iPXE's
 * ${net0/mac} settings, as iPXE and the client hook read them.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseBootScript } from "../../bench/storm/boot-script.js";
import { parseNbdArg } from "../../bench/storm/nbd-replay.js";

const golden = (name: string) =>
  readFileSync(new URL(`../fixtures/boot/golden/${name}`, import.meta.url), "utf8");
const URL_ = "http://198.18.50.1:8080/boot/52:54:00:12:34:56.ipxe";

test("bootfleet's rendered script: kernel, initrds in order, the hook's arguments", () => {
  const s = parseBootScript(golden("bios-ipxe-loaded.ipxe"), URL_, "52:54:00:12:34:56");
  assert.equal(s.kernel, "http://198.18.50.1:8080/images/debian/2024.06.01/vmlinuz");
  assert.deepEqual(s.initrds, [
    "http://198.18.50.1:8080/images/debian/2024.06.01/initrd.img",
    "http://198.18.50.1:8080/boot/52:54:00:12:34:56/layers.cpio",
  ]);
  assert.equal(s.args.get("bootfleet.http"), "http://198.18.50.1:8080");
  assert.equal(s.args.get("bootfleet.layers"), "http://198.18.50.1:8080/boot/52:54:00:12:34:56/layers.cpio");
  assert.deepEqual(parseNbdArg(s.args.get("bootfleet.nbd")!), {
    host: "198.18.50.1",
    port: 10809,
    exportName: "debian@2024.06.01",
  });
});

test("a script with fallback servers: the first attempt only, without iPXE's options", () => {
  const s = parseBootScript(golden("servers-bios.ipxe"), URL_, "52:54:00:00:00:0c");
  assert.equal(s.kernel, "http://198.18.50.1:8080/images/debian/2024.06.01/vmlinuz");
  assert.deepEqual(s.initrds, [
    "http://198.18.50.1:8080/images/debian/2024.06.01/initrd.img",
    "http://198.18.50.1:8080/boot/52:54:00:00:00:0c/layers.cpio",
  ]);
  assert.equal(s.args.get("bootfleet.syslog"), "198.18.50.1:514");
});

test("iPXE's MAC settings are expanded; relative URLs resolve against the script's", () => {
  const text = [
    "#!ipxe",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: iPXE setting syntax in the script under test
    "kernel storm/vmlinuz BOOTIF=01-${net0/mac:hexhyp} bootfleet.mac=${net0/mac} bootfleet.nbd=198.18.200.1:10809/storm",
    "initrd --name initrd.img storm/initrd.img",
    "boot",
  ].join("\n");
  const s = parseBootScript(text, "http://198.18.200.1/boot.ipxe", "02:18:c8:00:00:07");
  assert.equal(s.kernel, "http://198.18.200.1/storm/vmlinuz");
  assert.deepEqual(s.initrds, ["http://198.18.200.1/storm/initrd.img"]);
  assert.equal(s.args.get("BOOTIF"), "01-02-18-c8-00-00-07");
  assert.equal(s.args.get("bootfleet.mac"), "02:18:c8:00:00:07");
});

test("a script without a kernel line, or not iPXE, is refused with the reason", () => {
  assert.throws(() => parseBootScript("#!ipxe\nboot\n", URL_, "02:00:00:00:00:01"), /has no kernel line/);
  assert.throws(() => parseBootScript("<html>", URL_, "02:00:00:00:00:01"), /does not start with #!ipxe/);
  assert.throws(() => parseNbdArg("198.18.50.1/debian"), /IP:PORT\/EXPORT expected/);
});
