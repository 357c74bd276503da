/**
 * Secret settings and files in the config: what is secret by default, the
 * `{ value, secret }` and `secret:` keys through the real loader, how a mark
 * carries over layers in the resolver, and `services.api.read`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, type ConfigProblem } from "./config-error.js";
import { DEFAULT_API_READ } from "./config-schema.js";
import { explainMachine, formatExplanation } from "./explain-machine.js";
import { loadConfigFromString } from "./load-config.js";
import { FleetResolver } from "./resolve-machine.js";
import { secretByMode, secretByName } from "./secret-defaults.js";

const load = (yaml: string, env: Record<string, string> = {}) =>
  loadConfigFromString(yaml, "/etc/bootfleet/secrets.yaml", { skipImageCheck: true, env });

function problemsOf(yaml: string): readonly ConfigProblem[] {
  try {
    load(yaml);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail("loaded without errors");
}

const fleet = `
server: { address: 198.18.0.1 }
networks:
  - subnet: 198.18.0.0/24
defaults:
  settings:
    XKBLAYOUT: us
    LDM_PASSWORD: hunter2
    KEYBOARD: pc105
    SHOWN_TOKEN: { value: not-a-secret, secret: false }
    WIFI: { value: "wpa2 psk here", secret: true }
  files:
    /etc/motd: "hello\\n"
    /etc/secret: { content: "s3cret\\n", mode: "0600" }
    /etc/ldap.secret: { content: "bind\\n", mode: "0644", secret: true }
    /etc/shadow-ish: { content: "x\\n", mode: "0600" }
    /etc/fstab: "none /tmp tmpfs defaults 0 0\\n"
    /root/.ssh/id_ed25519.pub: { content: "ssh-ed25519 AAAA\\n", mode: "0600", secret: false }
groups:
  lab3:
    match: { hostname: "lab3-*" }
    settings: { WIFI: "lab3 psk", SHOWN_TOKEN: lab3-value }
    files:
      /etc/ldap.secret: "lab3 bind\\n"
      /etc/fstab: { content: "/dev/sda1 /scratch ext4 defaults 0 0\\n", mode: "0600" }
      /etc/shadow-ish: { content: "y\\n", mode: "0600", secret: false }
hosts:
  lab3-14:
    mac: "52:54:00:12:34:56"
    ip: 198.18.0.14
    settings: { WIFI: { value: "shown now", secret: false } }
  lab3-15:
    mac: "52:54:00:12:34:57"
`;

describe("secret defaults", () => {
  it("names that say they hold a credential are secret; look-alikes are not", () => {
    for (const name of [
      "LDM_PASSWORD",
      "ldm_passwd",
      "API_TOKEN",
      "CLIENT_SECRET",
      "SSH_KEY",
      "WPA_PSK",
      "KEY",
    ])
      assert.equal(secretByName(name), true, name);
    for (const name of ["XKBLAYOUT", "KEYBOARD", "KEYMAP", "MONKEY", "LDM_SESSION", "SCREEN_07"])
      assert.equal(secretByName(name), false, name);
  });

  it("files only their owner may use are secret", () => {
    for (const mode of [0o600, 0o400, 0o700, 0o4700]) assert.equal(secretByMode(mode), true);
    for (const mode of [0o644, 0o755, 0o640, 0o750, 0o604, 0o444]) assert.equal(secretByMode(mode), false);
  });
});

describe("secret settings and files through the loader and the resolver", () => {
  const config = load(fleet);
  const resolver = new FleetResolver(config);
  const m14 = resolver.resolve({ mac: "52:54:00:12:34:56" });
  const m15 = resolver.resolve({ mac: "52:54:00:12:34:57" });

  it("keeps `{ value, secret }` settings' values as plain strings, the marks beside them", () => {
    assert.equal(config.defaults.settings?.WIFI, "wpa2 psk here");
    assert.deepEqual(config.defaults.secret_settings, { SHOWN_TOKEN: false, WIFI: true });
    assert.equal(config.defaults.files?.["/etc/ldap.secret"]?.secret, true);
    assert.equal(config.defaults.files?.["/etc/motd"]?.secret, undefined, "absent unless written");
  });

  it("marks settings by name unless the config says otherwise", () => {
    assert.equal(m15.settings.LDM_PASSWORD?.secret, true);
    assert.equal(m15.settings.LDM_PASSWORD?.value, "hunter2");
    assert.equal(m15.settings.XKBLAYOUT?.secret, undefined);
    assert.equal(m15.settings.KEYBOARD?.secret, undefined);
    assert.equal(m15.settings.WIFI?.secret, true);
  });

  it("a later layer that only changes a value keeps its mark; secret: false unmarks it", () => {
    assert.equal(m15.settings.WIFI?.value, "lab3 psk");
    assert.equal(m15.settings.WIFI?.secret, true, "lab3 wrote a new value, not a new mark");
    assert.equal(m15.settings.SHOWN_TOKEN?.value, "lab3-value");
    assert.equal(m15.settings.SHOWN_TOKEN?.secret, undefined, "defaults unmarked it, lab3 keeps that");
    assert.equal(m14.settings.WIFI?.value, "shown now");
    assert.equal(m14.settings.WIFI?.secret, undefined, "the host unmarked it");
  });

  it("marks files by mode unless the config says otherwise, and keeps the mark over layers", () => {
    assert.equal(m15.files["/etc/secret"]?.secret, true, "0600");
    assert.equal(
      m15.files["/etc/shadow-ish"]?.secret,
      undefined,
      "secret by mode in defaults; lab3 unmarked it",
    );
    assert.equal(m15.files["/etc/motd"]?.secret, undefined);
    assert.equal(m15.files["/root/.ssh/id_ed25519.pub"]?.secret, undefined, "secret: false");
    assert.equal(m15.files["/etc/ldap.secret"]?.value.content.toString(), "lab3 bind\n");
    assert.equal(m15.files["/etc/ldap.secret"]?.secret, true, "replaced by lab3, still secret");
    assert.equal(m15.files["/etc/fstab"]?.secret, true, "0600 in lab3 over a plain one in defaults");
  });

  it("explain marks secrets; it reads the config file itself, so it shows them", () => {
    const e = explainMachine(m15);
    const pw = e.values.find((v) => v.key === "settings.LDM_PASSWORD");
    assert.equal(pw?.secret, true);
    assert.equal(e.values.find((v) => v.key === "settings.XKBLAYOUT")?.secret, undefined);
    assert.match(formatExplanation(e), /settings\.LDM_PASSWORD\s+hunter2\s+\(secret\)/);
  });

  it("a setting must be a value or { value, secret }", () => {
    const [p, ...rest] = problemsOf(
      "server: { address: 198.18.0.1 }\ndefaults: { settings: { A: { secret: true } } }\n",
    );
    assert.equal(rest.length, 0);
    assert.equal(p?.path, "defaults.settings.A");
    assert.match(p?.hint ?? "", /\{ value, secret: true \}/);
    const [u] = problemsOf(
      "server: { address: 198.18.0.1 }\ndefaults: { settings: { A: { value: x, hidden: true } } }\n",
    );
    assert.equal(u?.message, "unknown key 'hidden'");
    const [f] = problemsOf(
      'server: { address: 198.18.0.1 }\ndefaults: { files: { /etc/x: { content: x, secret: "yes" } } }\n',
    );
    assert.equal(f?.path, "defaults.files./etc/x");
  });
});

describe("services.api.read", () => {
  const minimal = "server: { address: 198.18.0.1 }\n";

  it("is open unless the config says token", () => {
    assert.equal(DEFAULT_API_READ, "open");
    assert.equal(load(minimal).services.api.read, "open");
    const token = `${minimal}services: { api: { token: the-api-token-0123456, read: token } }\n`;
    assert.equal(load(token).services.api.read, "token");
  });

  it("token takes the token from the environment too", () => {
    const env = { BOOTFLEET_API_TOKEN: "from-the-environment-123" };
    const c = load(`${minimal}services: { api: { read: token } }\n`, env);
    assert.equal(c.services.api.read, "token");
    assert.equal(c.services.api.token, "from-the-environment-123");
  });

  it("token without any token is refused at load, with the way out", () => {
    const [p, ...rest] = problemsOf(`${minimal}services: { api: { read: token } }\n`);
    assert.equal(rest.length, 0);
    assert.equal(p?.path, "services.api.read");
    assert.match(p?.message ?? "", /no token is set/);
    assert.match(p?.hint ?? "", /BOOTFLEET_API_TOKEN/);
  });

  it("other values are refused", () => {
    const [p] = problemsOf(`${minimal}services: { api: { read: closed } }\n`);
    assert.equal(p?.path, "services.api.read");
    assert.match(p?.message ?? "", /"open", "token"/);
  });
});
