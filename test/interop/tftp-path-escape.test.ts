/**
 * Every way out of the served root we could think of, sent as raw RRQs over
 * loopback (exact bytes no client would send) and, for a few, through the
 * real clients. None may return a byte of the file outside the root; those
 * refused as Access violation log exactly one line each.
 *
 * Documented rule (tftp-request-path.ts): one leading "/" is dropped and the
 * name is taken under the root, like tftp-hpa -s. "/etc/passwd" is therefore
 * <root>/etc/passwd: absent here, so "File not found", never the host's file.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decode, encode } from "../../src/protocols/tftp/tftp-codec.js";
import { Opcode } from "../../src/protocols/tftp/tftp-packet.js";
import { requirePeers } from "../support/require-peers.js";
import { clients, exchange, startServer, type TestServer } from "./tftp-harness.js";

const SECRET = "TOP-SECRET-OUTSIDE-THE-ROOT";

let dir: string;
let server: TestServer;
let unixSocket: Server | undefined;
let haveDevice = false;

before(async () => {
  requirePeers(["tftp", "atftp", "curl"]);
  dir = mkdtempSync(join(tmpdir(), "bf-tftp-escape-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "pxelinux.cfg"), { recursive: true });
  mkdirSync(join(dir, "outside"));
  writeFileSync(join(dir, "secret"), SECRET);
  writeFileSync(join(dir, "outside", "secret"), SECRET);
  writeFileSync(join(root, "pxelinux.0"), "inside");
  symlinkSync("../secret", join(root, "link-out"));
  symlinkSync(join(dir, "secret"), join(root, "link-abs"));
  symlinkSync("/etc", join(root, "link-etc"));
  symlinkSync("..", join(root, "link-parent"));
  symlinkSync("link-loop2", join(root, "link-loop1"));
  symlinkSync("link-loop1", join(root, "link-loop2"));
  spawnSync("mkfifo", [join(root, "fifo")]);
  // A character device inside the root (like /dev/zero): needs root to create.
  haveDevice = spawnSync("mknod", [join(root, "zero"), "c", "1", "5"]).status === 0;
  unixSocket = createServer();
  await new Promise<void>((r) => unixSocket!.listen(join(root, "sock"), () => r()));
  server = await startServer(root);
});

after(async () => {
  await server?.close();
  await new Promise<void>((r) => (unixSocket ? unixSocket.close(() => r()) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An RRQ from raw bytes: filename bytes are sent exactly as given. */
function rawRrq(filename: Buffer | string, mode = "octet"): Buffer {
  const name = typeof filename === "string" ? Buffer.from(filename, "utf8") : filename;
  return Buffer.concat([Buffer.from([0, Opcode.RRQ]), name, Buffer.from([0]), Buffer.from(`${mode}\0`)]);
}

type Expect = "access" | "not-found" | "illegal" | "dropped";

const TRICKS: [string, Buffer | string, Expect][] = [
  ["parent", "../secret", "access"],
  ["deep parent", "../../../../../../../../etc/passwd", "access"],
  ["parent after a folder", "pxelinux.cfg/../../secret", "access"],
  ["parent after the leading slash", "/../secret", "access"],
  ["folder then parent (names the root)", "pxelinux.cfg/..", "access"],
  ["absolute after the leading slash", "//etc/passwd", "access"],
  ["backslash parent", "..\\secret", "access"],
  ["backslash path", "..\\..\\etc\\passwd", "access"],
  ["DOS drive with backslash", "C:\\Windows\\win.ini", "access"],
  ["DOS drive with slash", "C:/secret", "access"],
  ["symlink to a file outside", "link-out", "access"],
  ["absolute symlink outside", "link-abs", "access"],
  ["through a symlinked folder outside", "link-etc/passwd", "access"],
  ["through a symlink to the parent", "link-parent/secret", "access"],
  ["symlink loop", "link-loop1", "access"],
  ["FIFO", "fifo", "access"],
  ["unix socket", "sock", "access"],
  ["directory", "pxelinux.cfg", "access"],
  ["the root itself", "/", "access"],
  ["empty name", "", "access"],
  ["control character", "pxelinux.0\n../secret", "access"],
  ["over-long name", `${"a/".repeat(600)}x`, "access"],
  ["NUL in the name (the rest becomes the mode)", "pxelinux.0\u0000../../secret", "illegal"],
  ["overlong UTF-8 dots (C0 AE)", Buffer.from([0xc0, 0xae, 0xc0, 0xae, 0x2f, 0x73]), "dropped"],
  ["percent-encoded parent", "%2e%2e/secret", "not-found"],
  ["four dots", "....//secret", "not-found"],
  ["fullwidth dots", "\uff0e\uff0e/secret", "not-found"],
  ["host path under the root", "/etc/passwd", "not-found"],
];

const CODES: Record<Expect, number | null> = { access: 2, "not-found": 1, illegal: 4, dropped: null };

describe("tftp interop: path escapes are refused", () => {
  it("has at least 15 tricks", () => assert.ok(TRICKS.length >= 15));

  for (const [what, name, expect] of TRICKS) {
    it(`${what}: ${JSON.stringify(typeof name === "string" ? name.slice(0, 40) : name.toString("hex"))}`, async () => {
      const before = server.log.records.filter((r) => r.msg === "tftp: access violation").length;
      const code = CODES[expect];
      // A dropped request has no answer to wait for: its log line names our
      // port once the server has handled it, and nothing is sent after that.
      const dropped = (port: number) =>
        server.log.records.some(
          (r) => r.msg === "tftp: malformed packet dropped" && (r.obj as { port?: number }).port === port,
        );
      const got = await exchange(server.port, rawRrq(name, "octet"), (got, port) =>
        code === null ? got.length > 0 || dropped(port) : got.length > 0,
      );
      for (const g of got) assert.ok(!g.msg.includes(SECRET), "the secret leaked");
      if (code === null) {
        assert.deepEqual(got, [], "dropped without an answer");
      } else {
        assert.equal(got.length, 1, `one answer, got ${got.length}`);
        const p = decode(got[0]!.msg);
        assert.equal(p.opcode, Opcode.ERROR);
        assert.equal(p.opcode === Opcode.ERROR && p.code, code);
        if (expect === "access") assert.equal(p.opcode === Opcode.ERROR && p.message, "Access violation");
      }
      const after = server.log.records.filter((r) => r.msg === "tftp: access violation").length;
      assert.equal(after - before, expect === "access" ? 1 : 0, "one log line per access violation");
    });
  }

  it("refuses a character device inside the root", async (t) => {
    if (!haveDevice) {
      t.diagnostic("mknod needs root: the device case ran as FIFO and socket above only");
      return;
    }
    const got = await exchange(server.port, rawRrq("zero"));
    assert.equal(got.length, 1);
    assert.deepEqual(decode(got[0]!.msg), { opcode: Opcode.ERROR, code: 2, message: "Access violation" });
  });

  it("refuses escapes from the real clients too", async () => {
    const local = join(dir, "got");
    const hpa = await clients.tftpHpa(server.port, "../secret", local);
    assert.match(hpa.stdout + hpa.stderr, /Access violation/);
    const at = await clients.atftp(server.port, "link-out", local, ["blksize 1432", "tsize enable"]);
    assert.match(at.stdout + at.stderr, /Access violation/);
    const cu = await clients.curl(server.port, "..%5csecret", local);
    assert.equal(cu.code, 69, "CURLE_TFTP_PERM");
    let leaked = "";
    try {
      leaked = readFileSync(local, "utf8");
    } catch {}
    assert.ok(!leaked.includes(SECRET));
  });

  it("serves the file that is inside (the tests above are not refusing everything)", async () => {
    const got = await exchange(server.port, rawRrq("/pxelinux.0"));
    const data = got.map((g) => decode(g.msg)).find((p) => p.opcode === Opcode.DATA);
    assert.equal(data?.opcode === Opcode.DATA && data.data.toString(), "inside");
  });

  it("answers a write request with Access violation", async () => {
    const got = await exchange(
      server.port,
      encode({ opcode: Opcode.WRQ, filename: "pxelinux.0", mode: "octet", options: [] }),
    );
    assert.deepEqual(
      got.map((g) => decode(g.msg)),
      [{ opcode: Opcode.ERROR, code: 2, message: "Access violation" }],
    );
  });
});
