/**
 * `bootfleet import` with paths that are no configuration file: a
 * directory, a missing path, a device, a file too large, a binary file.
 * Each is an error in the file:line:column format of the others, with what
 * to pass instead, and nothing is written; run as main.ts registers the
 * verb.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Command } from "commander";
import { registerMigrateCommands } from "../cli/migrate-command.js";
import { loadConfig } from "../config/load-config.js";
import { MAX_IMPORT_SIZE } from "./check-import-text.js";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/migrate");
const dir = mkdtempSync(join(tmpdir(), "bf-import-paths-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `bootfleet import ARGS...` in this process; what it wrote to stderr and its exit code. */
async function bootfleetImport(...args: string[]): Promise<{ stderr: string; exitCode: number }> {
  const program = new Command().exitOverride();
  registerMigrateCommands(program, (file) => loadConfig(file ?? "bootfleet.yaml"));
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  const before = process.exitCode;
  try {
    await program.parseAsync(["import", ...args], { from: "user" });
  } finally {
    process.stderr.write = write;
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { stderr: written.join(""), exitCode };
}

describe("bootfleet import with paths that are no configuration file", () => {
  it("a directory, a missing path and a device are each an error naming the path, in one run", async () => {
    // A folder of other configs; a pxelinux.cfg folder is read as one (pxelinux-tree-import.test.ts).
    const cfgDir = join(dir, "conf.d");
    mkdirSync(cfgDir);
    const out = join(dir, "paths.yaml");
    const r = await bootfleetImport(cfgDir, join(dir, "nosuch.conf"), "/dev/null", "-o", out);
    assert.equal(r.exitCode, 1);
    assert.equal(existsSync(out), false);
    assert.ok(
      r.stderr.includes(
        `${cfgDir}:1:1: error: a directory, not a configuration file\n  hint: pass the files in it: bootfleet import ${cfgDir}/*`,
      ),
      r.stderr,
    );
    assert.ok(
      r.stderr.includes(`${join(dir, "nosuch.conf")}:1:1: error: no such file\n  hint: check the path`),
    );
    assert.ok(r.stderr.includes("/dev/null:1:1: error: not a regular file (a device, socket or pipe)"));
    assert.match(r.stderr, /3 error\(s\); nothing was written\./);
    assert.doesNotMatch(r.stderr, /EISDIR|ENOENT/);
  });

  it("a file larger than the limit is refused before it is read", async () => {
    const big = join(dir, "huge-dhcpd.conf");
    writeFileSync(big, "");
    truncateSync(big, MAX_IMPORT_SIZE + 1); // sparse: no disk is used
    const r = await bootfleetImport(big, "--server-address", "10.0.0.1");
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /huge-dhcpd\.conf:1:1: error: 64\.0 MiB: bootfleet imports configuration files of up to 64 MiB/,
    );
  });

  it("a binary file among real configurations is refused at its first control character", async () => {
    const binary = join(dir, "dhcpd.conf.gz");
    // A gzip header, then bytes with a carriage return and a NUL where text would have its words.
    writeFileSync(binary, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x0d, 0x41, 0x00, 0x42, 0x0a, 0xff, 0xfe]));
    const out = join(dir, "binary.yaml");
    const r = await bootfleetImport(binary, join(FIXTURES, "000-dhcpd.conf"), "-o", out);
    assert.equal(r.exitCode, 1);
    assert.equal(existsSync(out), false);
    assert.ok(
      r.stderr.includes(
        `${binary}:1:1: error: binary data (byte 0x1f): this is not a text file\n  hint: import the configuration file itself, not an archive, image or lease database`,
      ),
      r.stderr,
    );
    assert.doesNotMatch(r.stderr, /Cannot read properties/);
  });

  it("with --partial, the binary file is left out and named in the config's header", async () => {
    const binary = join(dir, "leases.db");
    writeFileSync(binary, Buffer.from("SQLite format 3\u0000\u0010\u0000"));
    const out = join(dir, "partial.yaml");
    const r = await bootfleetImport(binary, join(FIXTURES, "000-dhcpd.conf"), "--partial", "-o", out);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(
      readFileSync(out, "utf8"),
      /leases\.db:1:16: error: binary data \(byte 0x00\): this is not a text file/,
    );
  });
});
