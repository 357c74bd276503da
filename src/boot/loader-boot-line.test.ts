import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeImages, fleetConfig, goldenResolver } from "../../test/fixtures/boot/fleet-fixture.js";
import type { ImageLookup } from "./image-lookup.js";
import { FleetBootPlanner } from "./fleet-boot-planner.js";
import { loaderBootLine } from "./loader-boot-line.js";
import { showUnresolved, UnresolvedImageLookup } from "./unresolved-image-lookup.js";

const MAC = "52:54:00:12:34:56";

function planner(images: ImageLookup) {
  return new FleetBootPlanner({ config: fleetConfig(), resolver: goldenResolver(), images });
}

test("the kernel line is read back from the iPXE script the planner serves, in its order", () => {
  const plan = planner(fakeImages()).plan({ mac: MAC, arch: 0 })!;
  const line = loaderBootLine(plan)!;
  const script = planner(fakeImages()).ipxeScript({ mac: MAC, arch: 0 })!;
  assert.ok(script.includes(` ${line.kernel} ${line.cmdline} || goto `), script);
  for (const url of line.initrds)
    assert.match(script, new RegExp(`initrd .*--name \\S+ ${url.replaceAll(".", "\\.")} `));
  assert.equal(line.initrds.length, plan.entries[0]!.initrds.length);
  assert.match(
    line.cmdline,
    /^initrd=initrd\.img initrd=layers\.cpio BOOTIF=01-52-54-00-12-34-56 bootfleet\.server=/,
  );
});

test("with no version built, the same planner plans the boot with the version shown as <current>", () => {
  const none: ImageLookup = { current: () => null, get: () => null };
  assert.equal(planner(none).plan({ mac: MAC, arch: 0 }), null);
  const lookup = new UnresolvedImageLookup(none);
  const plan = planner(lookup).plan({ mac: MAC, arch: 0 })!;
  assert.ok(plan, "planned with a stand-in version");
  const name = plan.entries[0]!.image.name;
  assert.ok(lookup.standIns.includes(name));
  const line = loaderBootLine(plan)!;
  assert.equal(showUnresolved(line.kernel), `http://198.18.50.1:8080/images/${name}/<current>/vmlinuz`);
  assert.match(showUnresolved(line.cmdline), new RegExp(`${name}@<current>`));
  assert.doesNotMatch(showUnresolved(line.cmdline), /unresolved-current/);
});

test("a version on disk is answered as it is, and nothing is a stand-in", () => {
  const lookup = new UnresolvedImageLookup(fakeImages());
  const plan = planner(lookup).plan({ mac: MAC, arch: 0 })!;
  assert.deepEqual(lookup.standIns, []);
  assert.deepEqual(plan, planner(fakeImages()).plan({ mac: MAC, arch: 0 }));
});
