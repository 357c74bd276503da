import assert from "node:assert/strict";
import { test } from "node:test";
import { resolved, textFile, v } from "../../test/fixtures/boot/fleet-fixture.js";
import { effectiveConfigView, REDACTED } from "./machine-view.js";

const machine = resolved(
  { mac: "52:54:00:00:0f:02" },
  {
    settings: { XKBLAYOUT: v("de"), LDM_PASSWORD: { ...v("hunter2"), secret: true } },
    files: {
      "/etc/motd": v(textFile("hi\n")),
      "/etc/key": { ...v({ ...textFile("\u0000binary-key", 0o600), sourcePath: "/srv/key" }), secret: true },
    },
  },
);

test("config view: secrets read (secret) without the token, with a hint; nothing of them leaks", () => {
  const view = effectiveConfigView(machine, { secrets: false }) as {
    settings: Record<string, Record<string, unknown>>;
    files: Record<string, Record<string, unknown>>;
    redacted?: string;
  };
  assert.equal(view.settings.LDM_PASSWORD?.value, REDACTED);
  assert.equal(view.settings.LDM_PASSWORD?.redacted, true);
  assert.equal(view.settings.XKBLAYOUT?.value, "de");
  assert.deepEqual(Object.keys(view.files["/etc/key"]!).sort(), [
    "content",
    "mode",
    "origin",
    "redacted",
    "secret",
    "source_path",
  ]);
  assert.equal(view.files["/etc/key"]?.content, REDACTED);
  assert.equal(view.files["/etc/motd"]?.content, "hi\n");
  assert.match(view.redacted ?? "", /API token/);
  assert.doesNotMatch(JSON.stringify(view), /hunter2|binary-key|YmluYXJ5/);
});

test("config view: with the token, values are shown and still marked secret; no hint", () => {
  const view = effectiveConfigView(machine, { secrets: true }) as {
    settings: Record<string, Record<string, unknown>>;
    files: Record<string, Record<string, unknown>>;
    redacted?: string;
  };
  assert.deepEqual(
    { ...view.settings.LDM_PASSWORD, origin: null },
    { value: "hunter2", secret: true, origin: null },
  );
  assert.equal(view.files["/etc/key"]?.secret, true);
  assert.equal(view.files["/etc/key"]?.size, 11);
  assert.equal(typeof view.files["/etc/key"]?.content_base64, "string", "not UTF-8 text: base64");
  assert.equal(view.redacted, undefined);
  const plain = effectiveConfigView(resolved({ mac: "52:54:00:00:0f:03" }), { secrets: false });
  assert.equal(plain.redacted, undefined, "no hint for a machine without secrets");
});
