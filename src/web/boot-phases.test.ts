import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pxeBoot } from "../../test/fixtures/web/boot-events.js";
import { bootPhases } from "./boot-phases.js";
import { splitBoots } from "./boot-sessions.js";

describe("bootPhases", () => {
  it("measures DHCP, loading, root mount and start-up between the milestones", () => {
    const [b] = splitBoots(pxeBoot(0));
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
    const [b] = splitBoots(pxeBoot(0, "failed"));
    const p = bootPhases(b!);
    assert.equal(p.phases.starting, null);
    assert.equal(p.outcome, "failed");
  });
});
