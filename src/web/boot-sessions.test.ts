import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ev, pxeBoot } from "../../test/fixtures/web/boot-events.js";
import { splitBoots } from "./boot-sessions.js";

describe("splitBoots", () => {
  it("keeps iPXE's second DISCOVER inside the boot and ends the boot at init", () => {
    const boots = splitBoots(pxeBoot(1_000_000));
    assert.equal(boots.length, 1);
    assert.equal(boots[0]!.outcome, "up");
    assert.equal(boots[0]!.events.length, 10);
  });

  it("files what a running machine does under `later` and starts the next boot at a DISCOVER", () => {
    const t2 = 1_000_000 + 3600_000;
    const boots = splitBoots([
      ...pxeBoot(1_000_000),
      ev(1_000_000 + 600_000, "dhcp.request"),
      ev(1_000_000 + 600_010, "dhcp.ack"),
      ev(t2 - 60_000, "nbd.disconnect", { detail: { export: "debian@v" } }),
      ...pxeBoot(t2, "failed"),
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
