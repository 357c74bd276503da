import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describe, it } from "node:test";
import type { ConfigDisk, DiskEntryKind } from "./config-disk.js";
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

  it("servers: a list of IPv4 addresses on any layer; anything else is located", () => {
    const ok = loadConfigFromString(
      "server: { address: 198.18.0.1 }\ndefaults:\n  servers: [198.18.0.1, 198.18.0.2]\ngroups:\n  lab:\n    servers: 198.18.0.3\n",
      "servers.yaml",
    );
    assert.deepEqual(ok.defaults.servers, ["198.18.0.1", "198.18.0.2"]);
    assert.deepEqual(ok.groups.find((g) => g.name === "lab")?.servers, ["198.18.0.3"]);
    try {
      loadConfigFromString(
        "server: { address: 198.18.0.1 }\ndefaults:\n  servers: [198.18.0.1, boot2.example]\n",
        "servers.yaml",
      );
      assert.fail("a host name in servers loaded");
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      const [p] = e.problems;
      assert.equal(p!.path, "defaults.servers[1]");
      assert.match(formatProblem(p!), /'boot2\.example' is not an IPv4 address/);
    }
  });

  it("services.ra is on where bootfleet answers DHCP, off with DHCP off, and as written otherwise", () => {
    const ra = (services: string) =>
      loadConfigFromString(`server: { address: 198.18.0.1 }\nservices:\n${services}`, "ra.yaml").services.ra
        .enabled;
    assert.equal(ra("  http: { port: 8080 }\n"), true, "proxy, the default mode");
    assert.equal(ra("  dhcp: { mode: off }\n"), false);
    assert.equal(ra("  dhcp: { mode: proxy }\n  ra: { enabled: false }\n"), false, "beside a real router");
    assert.equal(ra("  dhcp: { mode: off }\n  ra: { enabled: true }\n"), true);
    try {
      loadConfigFromString(
        "server: { address: 198.18.0.1 }\nservices:\n  ra: { enabled: yes please }\n",
        "ra.yaml",
      );
      assert.fail("enabled: yes please loaded");
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.problems[0]!.path, "services.ra.enabled");
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

/** A folder tree in memory: path -> file contents, or a kind for folders and links. */
function fakeDisk(entries: Record<string, string | { kind: DiskEntryKind; mode?: number }>): ConfigDisk {
  const nodes = new Map<string, { kind: DiskEntryKind; mode: number; content?: Buffer }>();
  for (const [path, e] of Object.entries(entries)) {
    for (let d = dirname(path); !nodes.has(d); d = dirname(d)) nodes.set(d, { kind: "folder", mode: 0o755 });
    nodes.set(
      path,
      typeof e === "string"
        ? { kind: "file", mode: 0o644, content: Buffer.from(e) }
        : { kind: e.kind, mode: e.mode ?? 0o644 },
    );
  }
  const node = (path: string) => {
    const n = nodes.get(path);
    if (!n) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
    return n;
  };
  return {
    exists: (path) => nodes.has(path),
    readFile: (path) => {
      const n = node(path);
      if (!n.content) throw Object.assign(new Error(`EISDIR: ${path}`), { code: "EISDIR" });
      return n.content;
    },
    readDir: (path) =>
      [...nodes]
        .filter(([p]) => p !== path && dirname(p) === path)
        .map(([p, n]) => ({ name: basename(p), kind: n.kind })),
    stat: (path) => node(path),
  };
}

describe("loadConfig with the disk and environment handed in", () => {
  const yaml = [
    "server: { address: 198.18.0.1, data_dir: var }",
    "networks:",
    "  - subnet: 198.18.0.0/24",
    "defaults:",
    "  image: built",
    "  files:",
    "    /etc/motd: { source: files/motd, mode: '0600' }",
    "hosts:",
    "  lab3-14: { mac: '52:54:00:12:34:56' }",
    "",
  ].join("\n");

  it("reads the config, the files it names, the layers/ tree and the image store through that disk", async () => {
    const disk = fakeDisk({
      "/fleet/bootfleet.yaml": yaml,
      "/fleet/files/motd": "welcome\n",
      "/fleet/var/images/built": { kind: "folder" },
      "/fleet/layers/base/etc/issue": "base\n",
      "/fleet/layers/labs/lab3/etc/issue": "lab 3\n",
      "/fleet/layers/hosts/lab3-14/etc/hostname": "lab3-14\n",
      "/fleet/layers/networks/198.18.0.255/etc/resolv.conf": "nameserver 198.18.0.1\n",
    });
    const c = await loadConfig("/fleet/bootfleet.yaml", { disk, env: {} });
    assert.equal(c.defaults.files?.["/etc/motd"]?.content.toString(), "welcome\n");
    assert.equal(c.defaults.files?.["/etc/motd"]?.mode, 0o600);
    assert.equal(c.defaults.files?.["/etc/issue"]?.content.toString(), "base\n");
    assert.deepEqual(c.groups.find((g) => g.name === "lab3")?.match, { hostname: ["lab3-*"] });
    assert.ok(c.hosts[0]?.files?.["/etc/hostname"]);
    assert.ok(c.networks[0]?.files?.["/etc/resolv.conf"], "a network folder named by its broadcast address");
    assert.equal(c.layers_dir, "/fleet/layers");
  });

  it("reports what it cannot read there, each at its place", async () => {
    const disk = fakeDisk({
      "/fleet/bootfleet.yaml": yaml,
      "/fleet/layers/base/etc/link": { kind: "symlink" },
    });
    await assert.rejects(loadConfig("/fleet/bootfleet.yaml", { disk, env: {} }), (e) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(
        e.problems.map((p) => [p.at.file, p.at.line, p.path, p.message]),
        [
          ["/fleet/layers/base/etc/link", 1, "layers", "only regular files and folders can be layered"],
          ["/fleet/bootfleet.yaml", 5, "defaults.image", "image 'built' does not exist"],
          [
            "/fleet/bootfleet.yaml",
            7,
            "defaults.files./etc/motd.source",
            "cannot read /fleet/files/motd: ENOENT",
          ],
        ],
      );
      return true;
    });
    await assert.rejects(loadConfig("/elsewhere.yaml", { disk, env: {} }), /config file not found/);
  });

  it("takes the API token from the environment it is given when the config has none", () => {
    const minimal = "server: { address: 198.18.0.1 }\n";
    const env = { BOOTFLEET_API_TOKEN: "from-the-environment-123" };
    assert.equal(
      loadConfigFromString(minimal, "t.yaml", { env }).services.api.token,
      "from-the-environment-123",
    );
    assert.equal(loadConfigFromString(minimal, "t.yaml", { env: {} }).services.api.token, undefined);
    const written = "server: { address: 198.18.0.1 }\nservices: { api: { token: from-the-config-4567 } }\n";
    assert.equal(loadConfigFromString(written, "t.yaml", { env }).services.api.token, "from-the-config-4567");
  });
});
