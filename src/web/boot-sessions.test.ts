import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bootPhases, bootSegments, type SessionEvent, splitBoots } from "./boot-sessions.js";

let id = 0;
const ev = (at: number, type: string, more: Partial<SessionEvent> = {}): SessionEvent => ({
  id: ++id,
  at,
  type,
  protocol: type.split(".")[0],
  ...more,
});

/** PXE DHCP, iPXE over TFTP, iPXE's own DHCP, kernel over HTTP, NBD, stages. */
function boot(t: number, final = "init"): SessionEvent[] {
  return [
    ev(t, "dhcp.discover"),
    ev(t + 10, "dhcp.ack", { ip: "198.18.0.14" }),
    ev(t + 200, "tftp.done", { detail: { file: "undionly.kpxe", bytes: 70_000, duration_ms: 150 } }),
    ev(t + 900, "dhcp.discover"),
    ev(t + 950, "dhcp.ack"),
    ev(t + 3000, "http.get", { detail: { path: "/images/debian/v/vmlinuz", bytes: 8e6, duration_ms: 2000 } }),
    ev(t + 5000, "client.stage", { stage: "initrd" }),
    ev(t + 5500, "nbd.connect", { detail: { export: "debian@v" } }),
    ev(t + 7000, "client.stage", { stage: "root-mounted" }),
    ev(t + 9000, "client.stage", { stage: final }),
  ];
}

describe("splitBoots", () => {
  it("keeps iPXE's second DISCOVER inside the boot and ends the boot at init", () => {
    const boots = splitBoots(boot(1_000_000));
    assert.equal(boots.length, 1);
    assert.equal(boots[0]!.outcome, "up");
    assert.equal(boots[0]!.events.length, 10);
  });

  it("files what a running machine does under `later` and starts the next boot at a DISCOVER", () => {
    const t2 = 1_000_000 + 3600_000;
    const boots = splitBoots([
      ...boot(1_000_000),
      ev(1_000_000 + 600_000, "dhcp.request"),
      ev(1_000_000 + 600_010, "dhcp.ack"),
      ev(t2 - 60_000, "nbd.disconnect", { detail: { export: "debian@v" } }),
      ...boot(t2, "failed"),
    ]);
    assert.equal(boots.length, 2);
    assert.equal(boots[0]!.later.length, 3);
    assert.equal(
      boots[0]!.end,
      1_000_000 + 9000,
      "the renewal and the disconnect do not stretch the first boot",
    );
    assert.equal(boots[1]!.outcome, "failed");
    assert.equal(boots[1]!.start, t2);
  });

  it("splits an unfinished boot from the next after a long silence", () => {
    const boots = splitBoots([ev(0, "dhcp.discover"), ev(10, "dhcp.ack"), ev(10 * 60_000, "dhcp.discover")]);
    assert.equal(boots.length, 2);
    assert.equal(boots[0]!.outcome, "incomplete");
  });

  it("ignores protocols that have no lane (syslog, api, wol)", () => {
    assert.equal(splitBoots([ev(0, "wol.sent"), ev(1, "api.image-use")]).length, 0);
  });
});

describe("bootSegments", () => {
  const [b] = splitBoots(boot(0));
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
    const [f] = splitBoots(boot(0, "failed"));
    assert.ok(bootSegments(f!).some((s) => s.lane === "client" && s.error && s.label === "failed"));
  });
});

describe("bootPhases", () => {
  it("measures DHCP, loading, root mount and start-up between the milestones", () => {
    const [b] = splitBoots(boot(0));
    const p = bootPhases(b!);
    assert.deepEqual(Object.fromEntries(Object.entries(p.phases).map(([k, v]) => [k, v?.duration ?? null])), {
      dhcp: 50,
      loading: 4950,
      mounting: 2000,
      starting: 2000,
    });
    assert.equal(p.total, 9000);
    assert.equal(p.bytesLoaded, 8e6 + 70_000);
  });

  it("leaves the phases a failed boot never reached empty", () => {
    const [b] = splitBoots(boot(0, "failed"));
    const p = bootPhases(b!);
    assert.equal(p.phases.starting, null);
    assert.equal(p.outcome, "failed");
  });
});
