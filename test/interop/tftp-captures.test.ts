/**
 * Golden fixtures from real clients: the RRQ each one sends, captured on a
 * plain UDP socket on loopback, is kept in test/fixtures/tftp/<name>.rrq with
 * its decoding in <name>.json. The test captures again and checks the client
 * still sends those bytes and that the codec decodes them as recorded.
 * Rebuild the fixtures with TFTP_UPDATE_FIXTURES=1.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { decode } from "../../src/protocols/tftp/tftp-codec.js";
import { requirePeers } from "../support/require-peers.js";
import { LOOPBACK } from "./tftp-harness.js";

const FIXTURES = join(fileURLToPath(new URL(".", import.meta.url)), "..", "fixtures", "tftp");
const UPDATE = process.env.TFTP_UPDATE_FIXTURES === "1";

const CAPTURES: [string, string, (port: number) => string[]][] = [
  [
    "tftp-hpa-octet",
    "tftp",
    (p) => ["-m", "octet", LOOPBACK, String(p), "-c", "get", "pxelinux.0", "/dev/null"],
  ],
  [
    "tftp-hpa-netascii",
    "tftp",
    (p) => ["-m", "netascii", LOOPBACK, String(p), "-c", "get", "pxelinux.cfg/default", "/dev/null"],
  ],
  [
    "atftp-ovmf-options",
    "atftp",
    (p) => [
      "-g",
      "-r",
      "grubx64.efi",
      "-l",
      "/dev/null",
      "--option",
      "tsize enable",
      "--option",
      "blksize 1468",
      "--option",
      "windowsize 4",
      LOOPBACK,
      String(p),
    ],
  ],
  ["curl-default", "curl", (p) => ["-s", "-o", "/dev/null", `tftp://${LOOPBACK}:${p}/undionly.kpxe`]],
  [
    "curl-blksize-1432",
    "curl",
    (p) => ["-s", "-o", "/dev/null", "--tftp-blksize", "1432", `tftp://${LOOPBACK}:${p}/boot/vmlinuz`],
  ],
  [
    "curl-no-options",
    "curl",
    (p) => ["-s", "-o", "/dev/null", "--tftp-no-options", `tftp://${LOOPBACK}:${p}/initrd.img`],
  ],
];

/** Runs the client against a socket that never answers and returns its first datagram. */
async function capture(bin: string, args: (port: number) => string[]): Promise<Buffer> {
  const socket = createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, LOOPBACK, () => r()));
  const first = new Promise<Buffer>((resolve) => socket.once("message", (msg) => resolve(msg)));
  const child = spawn(bin, args(socket.address().port), { stdio: "ignore" });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`${bin} sent nothing in 10 s`)), 10_000).unref(),
  );
  try {
    return await Promise.race([first, timeout]);
  } finally {
    child.kill("SIGKILL");
    socket.close();
  }
}

describe("tftp interop: RRQs captured from real clients", () => {
  for (const [name, bin, args] of CAPTURES) {
    it(`${name}: the client sends the recorded bytes and they decode as recorded`, async () => {
      requirePeers([bin]);
      const raw = await capture(bin, args);
      const rrqFile = join(FIXTURES, `${name}.rrq`);
      const jsonFile = join(FIXTURES, `${name}.json`);
      const decoded = decode(raw);
      if (UPDATE || !existsSync(rrqFile)) {
        assert.ok(UPDATE, `fixture ${rrqFile} is missing: run with TFTP_UPDATE_FIXTURES=1`);
        writeFileSync(rrqFile, raw);
        writeFileSync(jsonFile, `${JSON.stringify(decoded, null, 2)}\n`);
      }
      const golden = readFileSync(rrqFile);
      assert.deepEqual(raw, golden, `${bin} now sends other bytes than ${name}.rrq`);
      assert.deepEqual(decode(golden), JSON.parse(readFileSync(jsonFile, "utf8")));
    });
  }
});
