import assert from "node:assert/strict";
import { it } from "node:test";
import { machineStateFor } from "./machine-state-for.js";

it("maps events to boot states", () => {
  const cases: [Parameters<typeof machineStateFor>[0], string | null, string | undefined][] = [
    [{ type: "client.stage", stage: "initrd" }, "dhcp", "loading"],
    [{ type: "client.stage", stage: "root-mounted" }, "loading", "root-mounted"],
    [{ type: "client.stage", stage: "layers-applied" }, "loading", "root-mounted"],
    [{ type: "client.stage", stage: "init" }, "root-mounted", "up"],
    [{ type: "client.stage", stage: "failed" }, "loading", "failed"],
    [{ type: "client.stage", stage: "something-new" }, "up", undefined],
    [{ type: "client.stage" }, "up", undefined],
    [{ type: "dhcp.discover" }, "up", "dhcp"],
    [{ type: "dhcp.offer" }, null, "dhcp"],
    [{ type: "dhcp.request" }, "off", "dhcp"],
    [{ type: "dhcp.ack" }, "failed", "dhcp"],
    [{ type: "dhcp.request" }, "loading", undefined],
    [{ type: "dhcp.ack" }, "up", undefined],
    [{ type: "dhcp.release" }, "up", "off"],
    [{ type: "tftp.rrq", detail: { file: "pxelinux.0" } }, "dhcp", undefined],
    [{ type: "tftp.rrq", detail: { file: "ipxe.efi" } }, "dhcp", undefined],
    [{ type: "tftp.rrq", detail: { file: "/boot/vmlinuz" } }, "dhcp", "loading"],
    [{ type: "tftp.done", detail: { file: "debian/initrd.img-6.1.0" } }, "dhcp", "loading"],
    [{ type: "tftp.error", detail: { file: "vmlinuz" } }, "dhcp", undefined],
    [{ type: "http.get", detail: { url: "http://198.18.0.1:8080/i/debian/linux?v=3" } }, "dhcp", "loading"],
    [{ type: "http.get", detail: { path: "/boot/bzImage" } }, "dhcp", "loading"],
    [{ type: "http.get", detail: { path: "/boot/AA-BB.ipxe" } }, "dhcp", undefined],
    [{ type: "http.get", detail: { kind: "initrd", path: "/x" } }, "dhcp", "loading"],
    [{ type: "http.get" }, "dhcp", undefined],
    [{ type: "nbd.connect" }, "root-mounted", undefined],
    [{ type: "syslog.line" }, "up", undefined],
  ];
  for (const [event, current, want] of cases) {
    assert.equal(machineStateFor(event, current), want, `${JSON.stringify(event)} from ${current}`);
  }
});
