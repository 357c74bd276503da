import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, formatProblem } from "./config-error.js";
import { DEFAULT_BUSY_POLL_US } from "./config-schema.js";
import { loadConfig, loadConfigFromString } from "./load-config.js";

const broken = join(import.meta.dirname, "../../test/fixtures/config/broken");

async function problems(file: string) {
  try {
    await loadConfig(join(broken, file));
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e.problems.map((p) => ({ ...p, text: formatProblem(p) }));
  }
  assert.fail(`${file} loaded without errors`);
}

describe("loadConfig on broken configs", () => {
  it("a MAC with 7 octets: line, column, key and why", async () => {
    const [p, ...rest] = await problems("seven-octet-mac.yaml");
    assert.equal(rest.length, 0);
    assert.equal(p!.path, "hosts.lab3-14.mac");
    assert.deepEqual([p!.at.line, p!.at.column], [6, 10]);
    assert.match(
      p!.text,
      /seven-octet-mac\.yaml:6:10: error: hosts\.lab3-14\.mac: '52:54:00:12:34:56:78' is not a MAC address/,
    );
    assert.match(p!.hint!, /7 octets/);
  });

  it("an IP outside every network", async () => {
    const [p] = await problems("ip-outside.yaml");
    assert.equal(p!.path, "hosts.lab3-14.ip");
    assert.equal(p!.at.line, 7);
    assert.match(p!.message, /outside every network/);
    assert.match(p!.hint!, /198\.18\.0\.0\/24/);
  });

  it("two hosts with one MAC, in different spellings", async () => {
    const [p] = await problems("duplicate-mac.yaml");
    assert.equal(p!.path, "hosts.b.mac");
    assert.equal(p!.at.line, 8);
    assert.match(p!.message, /already used by host 'a'/);
  });

  it("a fixed address inside the pool", async () => {
    const [p] = await problems("pool-overlap.yaml");
    assert.equal(p!.path, "hosts.a.ip");
    assert.match(p!.message, /inside the pool 198\.18\.0\.100-198\.18\.0\.199/);
  });

  it("a matching pattern that is not a valid glob", async () => {
    const [p] = await problems("bad-glob.yaml");
    assert.equal(p!.path, "groups.lab3.match.hostname");
    assert.deepEqual([p!.at.line, p!.at.column], [4, 24]);
    assert.match(p!.message, /unclosed '\['/);
  });

  it("an image that does not exist, with did-you-mean", async () => {
    const [p] = await problems("missing-image.yaml");
    assert.equal(p!.path, "defaults.image");
    assert.equal(p!.hint, "did you mean 'debian'?");
  });

  it("an unknown key, with did-you-mean", async () => {
    const [p] = await problems("unknown-key.yaml");
    assert.equal(p!.path, "networks[0].routrs");
    assert.deepEqual([p!.at.line, p!.at.column], [4, 5]);
    assert.equal(p!.hint, "did you mean 'routers'?");
  });

  it("YAML syntax errors are located", async () => {
    const all = await problems("yaml-syntax.yaml");
    assert.ok(all.length >= 1);
    assert.match(all[0]!.text, /yaml-syntax\.yaml:\d+:\d+: error: YAML syntax/);
  });

  it("reports every schema error at once", async () => {
    const all = await problems("many-errors.yaml");
    const paths = all.map((p) => p.path).sort();
    assert.deepEqual(paths, ["services.dhcp.mode", "services.dhcp.port"]);
    assert.match(all.find((p) => p.path === "services.dhcp.port")!.hint!, /without quotes/);
  });

  it("reports every semantic error at once, in file order", async () => {
    const text =
      'server: { address: 198.18.0.999 }\nnetworks:\n  - subnet: 198.18.0.0/33\nhosts:\n  "bad host":\n    mac: nope\n';
    try {
      loadConfigFromString(text, "x.yaml");
      assert.fail("loaded");
    } catch (e) {
      const ps = (e as ConfigError).problems;
      assert.deepEqual(
        ps.map((p) => [p.path, p.at.line]),
        [
          ["server.address", 1],
          ["networks[0].subnet", 3],
          ["hosts.bad host", 5],
          ["hosts.bad host.mac", 6],
        ],
      );
    }
  });

  it("wrong types and out-of-range numbers", async () => {
    const all = await problems("wrong-type.yaml");
    assert.deepEqual(all.map((p) => p.path).sort(), ["defaults.boot_unknown", "services.http.port"]);
    assert.equal(all.find((p) => p.path === "defaults.boot_unknown")!.hint, "write true or false");
  });

  it("a missing file says how to go on", async () => {
    const [p] = await problems("does-not-exist.yaml");
    assert.match(p!.message, /not found/);
    assert.match(p!.hint!, /-c FILE/);
  });

  it("every broken fixture fails with located errors", async () => {
    for (const f of readdirSync(broken)) {
      const ps = await problems(f);
      for (const p of ps) assert.ok(p.at.line >= 1 && p.at.column >= 1, `${f}: ${p.text}`);
    }
  });
});

describe("loadConfig on good configs", () => {
  it("the bundled example loads, with defaults filled in and frozen", async () => {
    const c = await loadConfig(join(import.meta.dirname, "../../examples/bootfleet.yaml"));
    assert.equal(c.services.dhcp.mode, "proxy");
    assert.equal(c.services.dhcp.proxy_port, 4011);
    assert.equal(c.services.nbd.port, 10809);
    assert.equal(c.images_keep, 3);
    assert.deepEqual(Object.keys(c.images).sort(), ["debian", "tiny"]);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.hosts) && Object.isFrozen(c.hosts[0]));
    assert.throws(() => {
      (c as { images_keep: number }).images_keep = 9;
    });
  });

  it("accepts MAC spellings dhcpd, Cisco and Windows use", () => {
    const c = loadConfigFromString(
      "server: { address: 198.18.0.1 }\nhosts:\n  a: { mac: '0:c:29:a:b:c' }\n  b: { mac: 'AABB.CCDD.EEFF' }\n  c: { mac: '11-22-33-44-55-66' }\n",
      "m.yaml",
    );
    assert.deepEqual(
      c.hosts.map((h) => h.mac),
      ["00:0c:29:0a:0b:0c", "aa:bb:cc:dd:ee:ff", "11:22:33:44:55:66"],
    );
  });

  it("a minimal config is enough", () => {
    const c = loadConfigFromString("server: { address: 198.18.0.1 }\n", "min.yaml");
    assert.equal(c.networks.length, 0);
    assert.equal(c.services.http.port, 8080);
    assert.equal(c.store.driver, "sqlite");
    assert.equal(c.services.tftp.workers, "auto");
    assert.equal(c.services.tftp.io, "auto");
    assert.equal(c.services.tftp.busy_poll_us, DEFAULT_BUSY_POLL_US);
  });

  it("services.tftp.busy_poll_us takes 0 to 1000 microseconds, and says where otherwise", () => {
    const off = loadConfigFromString(
      "server: { address: 198.18.0.1 }\nservices:\n  tftp: { busy_poll_us: 0 }\n",
      "poll.yaml",
    );
    assert.equal(off.services.tftp.busy_poll_us, 0);
    for (const bad of ["1001", "-1", "50.5", "fast"]) {
      try {
        loadConfigFromString(
          `server: { address: 198.18.0.1 }\nservices:\n  tftp: { busy_poll_us: ${bad} }\n`,
          "poll.yaml",
        );
        assert.fail(`busy_poll_us: ${bad} loaded`);
      } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        const [p] = e.problems;
        assert.equal(p!.path, "services.tftp.busy_poll_us");
        assert.deepEqual([p!.at.line, p!.at.column], [3, 25]);
      }
    }
  });

  it("services.tftp.io takes auto, native or node, and says so otherwise", () => {
    const ok = loadConfigFromString(
      "server: { address: 198.18.0.1 }\nservices:\n  tftp: { io: node }\n",
      "io.yaml",
    );
    assert.equal(ok.services.tftp.io, "node");
    try {
      loadConfigFromString("server: { address: 198.18.0.1 }\nservices:\n  tftp: { io: fast }\n", "io.yaml");
      assert.fail("io: fast loaded");
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      const [p] = e.problems;
      assert.equal(p!.path, "services.tftp.io");
      assert.deepEqual([p!.at.line, p!.at.column], [3, 15]);
      assert.match(formatProblem(p!), /auto.*native.*node/);
    }
  });
});
