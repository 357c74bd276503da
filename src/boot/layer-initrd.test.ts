import assert from "node:assert/strict";
import { test } from "node:test";
import { resolved, textFile, v } from "../../test/fixtures/boot/fleet-fixture.js";
import { decodeCpioNewc } from "./cpio-newc.js";
import { buildLayerInitrd, LayerPathError } from "./layer-initrd.js";
import { renderSettingsEnv, shellQuote } from "./settings-files.js";

const facts = { mac: "52:54:00:12:34:56" };

test("layer initrd: files under bootfleet/layers with their modes, parents first", () => {
  const m = resolved(facts, {
    files: {
      "/etc/motd": v(textFile("hi\n")),
      "/usr/local/bin/hello": v(textFile("#!/bin/sh\necho hi\n", 0o755), "host", "lab3-14"),
    },
  });
  const entries = decodeCpioNewc(buildLayerInitrd(m, { mtime: 100 }));
  const names = entries.map((e) => e.name);
  for (const e of entries) {
    const parent = e.name.split("/").slice(0, -1).join("/");
    if (parent) assert.ok(names.indexOf(parent) < names.indexOf(e.name), `${parent} before ${e.name}`);
  }
  const hello = entries.find((e) => e.name === "bootfleet/layers/usr/local/bin/hello");
  assert.equal(hello?.mode, 0o755);
  assert.equal(hello?.data?.toString(), "#!/bin/sh\necho hi\n");
  assert.ok(names.includes("bootfleet/layers/etc/bootfleet/settings.env"));
  assert.ok(names.includes("bootfleet/layers/etc/lts.conf"));
});

test("layer initrd: a file the config gives at /etc/lts.conf wins over the generated one", () => {
  const m = resolved(facts, { files: { "/etc/lts.conf": v(textFile("[Default]\nSERVER = x\n")) } });
  const lts = decodeCpioNewc(buildLayerInitrd(m, { mtime: 0 })).find(
    (e) => e.name === "bootfleet/layers/etc/lts.conf",
  );
  assert.equal(lts?.data?.toString(), "[Default]\nSERVER = x\n");
});

test("layer initrd: paths that could escape the root are refused", () => {
  for (const bad of ["etc/motd", "/etc/../../x", "/"]) {
    const m = resolved(facts, { files: { [bad]: v(textFile("x")) } });
    assert.throws(() => buildLayerInitrd(m, { mtime: 0 }), LayerPathError, bad);
  }
  const clash = resolved(facts, { files: { "/etc/x": v(textFile("a")), "/etc/x/y": v(textFile("b")) } });
  assert.throws(() => buildLayerInitrd(clash, { mtime: 0 }), /also a folder/);
});

test("settings.env: shell-quoted, sorted, names sh cannot assign are left out", () => {
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  const m = resolved(facts, { settings: { B: v("x y"), A: v("it's $HOME"), "BAD-NAME": v("1") } });
  const lines = renderSettingsEnv(m).split("\n");
  assert.deepEqual(lines.slice(2), [
    `A='it'\\''s $HOME'`,
    "B='x y'",
    `# skipped "BAD-NAME": not a shell variable name  # from defaults defaults`,
    "",
  ]);
});
