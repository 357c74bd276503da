import assert from "node:assert/strict";
import { test } from "node:test";
import { resolved, textFile, v } from "../../test/fixtures/boot/fleet-fixture.js";
import { decodeCpioNewc } from "./cpio-newc.js";
import { buildLayerInitrd, LayerPathError } from "./layer-initrd.js";
import { renderLtsConf, renderSettingsEnv, shellQuote } from "./settings-files.js";

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

/** A machine with a secret setting, a secret file and plain ones, as the resolver marks them. */
function withSecrets() {
  return resolved(facts, {
    settings: {
      XKBLAYOUT: v("de"),
      LDM_PASSWORD: { ...v("hunter2"), secret: true },
    },
    files: {
      "/etc/motd": v(textFile("hi\n")),
      "/etc/secret": { ...v(textFile("s3cret\n", 0o600)), secret: true },
    },
  });
}

function archive(includeSecrets?: boolean): Map<string, { mode: number; text: string }> {
  const entries = decodeCpioNewc(buildLayerInitrd(withSecrets(), { mtime: 0, includeSecrets }));
  return new Map(
    entries.filter((e) => e.data).map((e) => [e.name, { mode: e.mode, text: e.data!.toString() }]),
  );
}

test("layer initrd: without includeSecrets (the default), no secret file or value is in it", () => {
  for (const files of [archive(), archive(false)]) {
    assert.equal(files.has("bootfleet/layers/etc/secret"), false);
    assert.equal(files.has("bootfleet/layers/etc/bootfleet/secrets.env"), false);
    assert.equal(files.get("bootfleet/layers/etc/motd")?.text, "hi\n");
    for (const [name, f] of files) assert.doesNotMatch(f.text, /hunter2|s3cret/, name);
    const lts = files.get("bootfleet/layers/etc/lts.conf");
    assert.match(lts?.text ?? "", /XKBLAYOUT = de/);
    assert.match(lts?.text ?? "", /# LDM_PASSWORD is secret: sent only to this machine at its own address/);
    assert.equal(lts?.mode, 0o644);
  }
});

test("layer initrd: with includeSecrets, secrets go in where only root reads them", () => {
  const files = archive(true);
  assert.deepEqual(files.get("bootfleet/layers/etc/secret"), { mode: 0o600, text: "s3cret\n" });
  const env = files.get("bootfleet/layers/etc/bootfleet/settings.env");
  assert.equal(env?.mode, 0o644);
  assert.doesNotMatch(env?.text ?? "", /hunter2/, "settings.env is world-readable on the client");
  assert.match(env?.text ?? "", /^XKBLAYOUT='de'$/m);
  assert.match(
    env?.text ?? "",
    /^if \[ -r \/etc\/bootfleet\/secrets\.env \]; then \. \/etc\/bootfleet\/secrets\.env; fi$/m,
  );
  const secrets = files.get("bootfleet/layers/etc/bootfleet/secrets.env");
  assert.equal(secrets?.mode, 0o600);
  assert.match(secrets?.text ?? "", /^LDM_PASSWORD='hunter2'$/m);
  const lts = files.get("bootfleet/layers/etc/lts.conf");
  assert.match(lts?.text ?? "", /LDM_PASSWORD = hunter2/);
  assert.equal(lts?.mode, 0o600, "lts.conf holds a secret now");
});

test("layer initrd: a secret file at /etc/lts.conf left out is not replaced by the generated one", () => {
  const m = resolved(facts, {
    files: { "/etc/lts.conf": { ...v(textFile("[Default]\nLDM_PASSWORD = x\n", 0o600)), secret: true } },
  });
  const names = decodeCpioNewc(buildLayerInitrd(m, { mtime: 0 })).map((e) => e.name);
  assert.equal(names.includes("bootfleet/layers/etc/lts.conf"), false);
});

test("settings.env: the same with or without secrets, naming them but never their values", () => {
  const env = renderSettingsEnv(withSecrets());
  assert.match(env, /Secret settings \(LDM_PASSWORD\) are in \/etc\/bootfleet\/secrets\.env/);
  assert.doesNotMatch(env, /hunter2/);
  assert.doesNotMatch(renderLtsConf(withSecrets(), { includeSecrets: false }), /hunter2/);
  const plain = renderSettingsEnv(resolved(facts, { settings: { A: v("1") } }));
  assert.doesNotMatch(plain, /secrets\.env/, "no line for machines without secrets");
});
