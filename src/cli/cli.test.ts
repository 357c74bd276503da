import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

const root = join(import.meta.dirname, "../..");
const example = join(root, "examples/bootfleet.yaml");

function bootfleet(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, BOOTFLEET_CONFIG: "" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("bootfleet CLI", () => {
  it("check accepts the bundled example", () => {
    const r = bootfleet("check", "-c", example);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /ok — 1 network\(s\), 2 group\(s\), 2 host\(s\)/);
  });

  it("check warns, without failing, when the config is for another machine's network", () => {
    // The example names a lab bridge br0 at 198.18.0.1, which no test machine has
    // outside a test's own network namespace.
    const r = bootfleet("check", "-c", example);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      /^\S*examples\/bootfleet\.yaml:9:12: warning: server\.address: 198\.18\.0\.1 is not an address of this machine: .*\n {2}hint: .*set server\.address on line 9 .*`bootfleet init`$/m,
    );
  });

  it("serve refuses a config whose address is not this machine's, with EX_CONFIG and the line to change", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-cli-"));
    try {
      const cfg = join(dir, "bootfleet.yaml");
      // Port 0 everywhere: were the refusal to fail, serve would bind nothing that matters.
      writeFileSync(
        cfg,
        `server: { address: 198.19.255.254, data_dir: ${dir} }\n` +
          "services: { dhcp: { mode: full, port: 0, proxy_port: 0 }, tftp: { port: 0 }, http: { port: 0 }, nbd: { port: 0 }, syslog: { port: 0 } }\n",
      );
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", join(root, "src/cli/main.ts"), "serve", "-c", cfg],
        {
          cwd: root,
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      assert.equal(r.status, 78, r.stderr);
      assert.match(
        r.stderr,
        /bootfleet\.yaml:1:20: error: server\.address: 198\.19\.255\.254 is not an address of this machine/,
      );
      assert.match(r.stderr, /not serving: .* is not a config for this machine/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("check lists every error with file:line:column and exits 1", () => {
    const r = bootfleet("check", "-c", "test/fixtures/config/broken/many-errors.yaml");
    assert.equal(r.code, 1);
    const lines = r.err.split("\n").filter((l) => l.includes(": error: "));
    assert.equal(lines.length, 2);
    for (const l of lines)
      assert.match(l, /^test\/fixtures\/config\/broken\/many-errors\.yaml:\d+:\d+: error: /);
    assert.match(r.err, /2 error\(s\)/);
  });

  it("check on a missing file says what to do", () => {
    const r = bootfleet("check", "-c", "nope.yaml");
    assert.equal(r.code, 1);
    assert.match(r.err, /config file not found\n {2}hint: pass the file with -c FILE/);
  });

  it("explain by hostname shows each value's layer and origin", () => {
    const r = bootfleet("explain", "lab3-14", "-c", example);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^machine {2}52:54:00:12:34:56 {2}lab3-14 {2}198\.18\.0\.14/);
    assert.match(r.out, /settings\.XKBLAYOUT +de +group lab3 +examples\/bootfleet\.yaml:\d+:\d+/);
    assert.match(r.out, /kernel_args\[0\] +quiet splash +host lab3-14/);
    assert.match(
      r.out,
      /files\.\/etc\/hostname .* host lab3-14 +examples\/layers\/hosts\/lab3-14\/etc\/hostname:1:1/,
    );
  });

  it("explain --json by MAC and by IP agree", () => {
    const a = JSON.parse(bootfleet("explain", "52:54:00:12:34:56", "--json", "-c", example).out);
    const b = JSON.parse(bootfleet("explain", "198.18.0.14", "--json", "-c", example).out);
    assert.deepEqual(a, b);
    assert.equal(a.hostname, "lab3-14");
    const image = a.values.find((v: { key: string }) => v.key === "image");
    assert.deepEqual([image.value, image.layer, image.name], ["debian", "group", "lab3"]);
  });

  it("explain an undeclared MAC uses defaults; an unknown name fails with a hint", () => {
    const ok = bootfleet("explain", "02:00:00:00:00:01", "-c", example);
    assert.equal(ok.code, 0);
    assert.match(ok.out, /\(not declared\)/);
    const bad = bootfleet("explain", "nosuchhost", "-c", example);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /no declared host has the name 'nosuchhost'\n {2}hint: /);
  });

  it("explain a host declared without a MAC: by its name and address, MAC globs not matched", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-cli-"));
    try {
      const file = join(dir, "fleet.yaml");
      writeFileSync(
        file,
        [
          "server: { address: 198.18.50.1, data_dir: ./var }",
          "images: { debian: {}, tiny: {} }",
          "networks:",
          "  - { subnet: 198.18.50.0/24, pool: 198.18.50.100-198.18.50.200 }",
          "defaults: { image: debian }",
          "groups:",
          '  everyone-with-a-mac: { match: { mac: "*" }, image: tiny }',
          '  ws: { match: { hostname: "ws*" }, settings: { SCREEN_07: ldm } }',
          "hosts:",
          "  ws241: { ip: 198.18.50.41 }",
          "",
        ].join("\n"),
      );
      for (const who of ["ws241", "198.18.50.41"]) {
        const r = bootfleet("explain", who, "-c", file);
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /^machine {2}\(no MAC declared\) {2}ws241 {2}198\.18\.50\.41$/m);
        assert.match(r.out, /^groups +ws$/m);
        assert.match(r.out, /^image +debian +defaults/m);
        assert.match(r.out, /SCREEN_07 +ldm/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("machines lists declared hosts from a fresh store", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-cli-"));
    try {
      const cfg = join(dir, "b.yaml");
      writeFileSync(
        cfg,
        `server: { address: 198.18.0.1, data_dir: ${dir}/var }\nhosts:\n  a: { mac: "52:54:00:00:00:0a" }\n`,
      );
      const r = bootfleet("machines", "--json", "-c", cfg);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(JSON.parse(r.out), [
        { mac: "52:54:00:00:00:0a", hostname: "a", ip: null, declared: true, state: "off", lastSeen: null },
      ]);
      const e = bootfleet("events", "-c", cfg);
      assert.equal(e.code, 0, e.err);
      assert.equal(e.out, "");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("logs prints a machine's lines from the store; wake refuses what it cannot find", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-cli-"));
    try {
      const cfg = join(dir, "b.yaml");
      writeFileSync(
        cfg,
        `server: { address: 198.18.0.1, data_dir: ${dir}/var }\nnetworks:\n  - subnet: 198.18.0.0/24\nhosts:\n  ws241: { mac: "52:54:00:00:02:41", ip: 198.18.0.41 }\n`,
      );
      const { openSqliteStore } = await import("../store/sqlite/sqlite-store.js");
      const { mkdirSync } = await import("node:fs");
      mkdirSync(join(dir, "var"));
      const store = openSqliteStore(join(dir, "var/bootfleet.sqlite"));
      await store.migrate();
      const line = {
        ip: "198.18.0.41",
        facility: 3,
        severity: 3,
        hostname: "ws241",
        app: "sshd",
        at: Date.UTC(2026, 10, 24),
      };
      await store.addLog(
        { ...line, mac: "52:54:00:00:02:41", message: "first" },
        { perMachine: 100, total: 1000 },
      );
      await store.addLog(
        { ...line, mac: "52:54:00:00:09:99", message: "other machine" },
        { perMachine: 100, total: 1000 },
      );
      await store.addLog(
        { ...line, mac: "52:54:00:00:02:41", message: "second" },
        { perMachine: 100, total: 1000 },
      );
      await store.close();
      const r = bootfleet("logs", "ws241", "-c", cfg);
      assert.equal(r.code, 0, r.err);
      assert.equal(
        r.out,
        "2026-11-24T00:00:00.000Z ws241 sshd: <err> first\n2026-11-24T00:00:00.000Z ws241 sshd: <err> second\n",
      );
      assert.equal(bootfleet("logs", "ws241", "-n", "1", "-c", cfg).out.trim().endsWith("second"), true);
      const w = bootfleet("wake", "nosuch", "-c", cfg);
      assert.equal(w.code, 1);
      assert.match(w.err, /'nosuch' is not a declared host, a MAC or a group\n {2}hint: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every verb has --help", () => {
    for (const verb of ["init", "serve", "check", "explain", "machines", "events", "logs", "wake"]) {
      const r = bootfleet(verb, "--help");
      assert.equal(r.code, 0, verb);
      assert.match(r.out, new RegExp(`Usage: bootfleet ${verb}`));
    }
  });
});
