import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ev, pxeBoot } from "../../test/fixtures/web/boot-events.js";
import { bootSegments } from "./boot-segments.js";
import { splitBoots } from "./boot-sessions.js";

describe("bootSegments", () => {
  const [b] = splitBoots(pxeBoot(0));
  const segs = bootSegments(b!);
  const lane = (l: string) => segs.filter((s) => s.lane === l);

  it("draws a transfer from its start (end minus duration) to its end, with bytes", () => {
    const kernel = lane("http")[0]!;
    assert.deepEqual([kernel.start, kernel.end, kernel.bytes, kernel.label], [1000, 3000, 8e6, "vmlinuz"]);
    assert.equal(lane("tftp")[0]!.start, 50);
  });

  it("makes one DHCP segment per exchange", () => {
    assert.deepEqual(
      lane("dhcp").map((s) => [s.start, s.end]),
      [
        [0, 10],
        [900, 950],
      ],
    );
  });

  it("names every packet of an exchange, whether the store holds an event per packet or per exchange", () => {
    const ip = "198.18.0.14";
    const title = (events: ReturnType<typeof ev>[]) =>
      bootSegments(splitBoots(events)[0]!).find((s) => s.lane === "dhcp")!.title;
    const perExchange = title([
      ev(0, "dhcp.discover", { ip, detail: { arch: 0, reply: "offer" } }),
      ev(8, "dhcp.ack", { ip, detail: { arch: 0, state: "selecting" } }),
    ]);
    const perPacket = title([
      ev(0, "dhcp.discover", { detail: { arch: 0 } }),
      ev(1, "dhcp.offer", { ip }),
      ev(7, "dhcp.request", { ip, detail: { arch: 0, state: "selecting" } }),
      ev(8, "dhcp.ack", { ip, detail: { state: "selecting" } }),
    ]);
    assert.equal(perExchange, `DHCP DISCOVER → OFFER → REQUEST → ACK · ${ip} · 8 ms`);
    assert.equal(perPacket, perExchange);
    const nak = bootSegments(
      splitBoots([ev(0, "dhcp.nak", { ip, detail: { state: "init-reboot", reason: "address in use" } })])[0]!,
    ).find((s) => s.lane === "dhcp")!;
    assert.deepEqual([nak.title, nak.error], [`DHCP REQUEST → NAK · ${ip} · 0 ms`, true]);
  });

  it("keeps an NBD connection open to the end of the boot, and each stage until the next", () => {
    assert.deepEqual(
      lane("nbd").map((s) => [s.start, s.end]),
      [[5500, 9000]],
    );
    assert.deepEqual(
      lane("client").map((s) => [s.label, s.start, s.end, s.point]),
      [
        ["initrd", 5000, 7000, false],
        ["root-mounted", 7000, 9000, false],
        ["init", 9000, 9000, true],
      ],
    );
  });

  it("marks a failed stage as an error", () => {
    const [f] = splitBoots(pxeBoot(0, "failed"));
    assert.ok(bootSegments(f!).some((s) => s.lane === "client" && s.error && s.label === "failed"));
  });
});
