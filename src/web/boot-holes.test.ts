import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ev, pxeBoot } from "../../test/fixtures/web/boot-events.js";
import { bootHoles } from "./boot-holes.js";
import { splitBoots } from "./boot-sessions.js";

/** QEMU's iPXE ROM on a segment with no IPv6 router: its DHCP, 15.2 s of router solicitations, then its script. */
function ipxeWaitingForARouter() {
  return [
    ev(0, "dhcp.discover"),
    ev(400, "dhcp.ack", { ip: "198.18.0.100" }),
    ev(15_650, "http.get", { detail: { path: "/boot/52-54-00-e2-e0-01.ipxe", bytes: 900, duration_ms: 50 } }),
    ev(17_000, "http.get", { detail: { path: "/images/alpha/1/vmlinuz", bytes: 8e6, duration_ms: 1300 } }),
    ev(18_000, "client.stage", { stage: "initrd" }),
    ev(18_500, "nbd.connect", { detail: { export: "alpha@1" } }),
    ev(19_000, "client.stage", { stage: "init" }),
  ];
}

describe("bootHoles", () => {
  it("names iPXE's wait for an IPv6 router: 15.2 s with no request, between its DHCP and its script", () => {
    const [b] = splitBoots(ipxeWaitingForARouter());
    assert.deepEqual(bootHoles(b!), [
      {
        start: 400,
        end: 15_600,
        duration: 15_200,
        after: "DHCP 198.18.0.100",
        before: "HTTP 52-54-00-e2-e0-01.ipxe",
        text: "15.2 s with no request from the machine",
      },
    ]);
  });

  it("finds none in a boot whose steps follow each other closely, nor under a transfer or the NBD root", () => {
    const [b] = splitBoots(pxeBoot(0));
    assert.deepEqual(bootHoles(b!), []);
  });

  it("takes a shorter threshold when asked: then the kernel's own start shows, the 2 s transfer before it does not", () => {
    const [b] = splitBoots(pxeBoot(0));
    assert.deepEqual(
      bootHoles(b!, 1500).map((h) => [h.start, h.end, h.after, h.before, h.text]),
      [[3000, 5000, "HTTP vmlinuz", "CLIENT initrd", "2.0 s with no request from the machine"]],
    );
  });
});
