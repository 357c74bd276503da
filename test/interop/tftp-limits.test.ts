/**
 * One address that sends RRQs and never acknowledges must not lock every
 * other machine out. Before `max_transfers_per_client`, 16 such RRQs filled
 * a server's 16 slots and everyone else was dropped until their
 * retransmissions ran out (39 s); tftp-hpa gives up before that.
 *
 * The abuser sends from 127.0.0.2 (all of 127/8 is this host), from 16
 * ports, and reads what comes back without answering; tftp-hpa and curl
 * fetch from 127.0.0.1 meanwhile.
 */
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_MAX_TRANSFERS_PER_CLIENT } from "../../src/config/config-schema.js";
import { encode } from "../../src/protocols/tftp/tftp-codec.js";
import { Opcode } from "../../src/protocols/tftp/tftp-packet.js";
import { requirePeers } from "../support/require-peers.js";
import { clients, LOOPBACK, pseudoRandom, startServer, type TestServer } from "./tftp-harness.js";

const ABUSER_ADDRESS = "127.0.0.2";
const MAX_TRANSFERS = 2 * DEFAULT_MAX_TRANSFERS_PER_CLIENT;

let dir: string;
let server: TestServer;
const body = pseudoRandom(300_000, 15);
const abusers: Socket[] = [];

before(async () => {
  requirePeers(["tftp", "curl"]);
  dir = mkdtempSync(join(tmpdir(), `bf-tftp-limits-${process.pid}-`));
  mkdirSync(join(dir, "root"));
  mkdirSync(join(dir, "out"));
  writeFileSync(join(dir, "root", "pxelinux.0"), body);
  // Slots for two abusers' worth of transfers: one address must not take them all.
  server = await startServer(join(dir, "root"), { maxTransfers: MAX_TRANSFERS });
});

after(async () => {
  for (const s of abusers) s.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("tftp interop: RRQs never acknowledged from one address", () => {
  it("hold that address's share of the slots; tftp-hpa and curl from another address are served", async () => {
    let received = 0;
    for (let i = 0; i < MAX_TRANSFERS; i++) {
      const s = createSocket("udp4");
      await new Promise<void>((resolve) => s.bind(0, ABUSER_ADDRESS, () => resolve()));
      s.on("message", () => {
        received++;
      });
      abusers.push(s);
      s.send(
        encode({ opcode: Opcode.RRQ, filename: "pxelinux.0", mode: "octet", options: [] }),
        server.port,
        LOOPBACK,
      );
    }
    while (server.service.stats().started + server.service.stats().clientDrops < MAX_TRANSFERS)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const abuse = server.service.stats();
    assert.equal(abuse.active, DEFAULT_MAX_TRANSFERS_PER_CLIENT);
    assert.equal(abuse.clientDrops, MAX_TRANSFERS - DEFAULT_MAX_TRANSFERS_PER_CLIENT);

    const hpa = await clients.tftpHpa(server.port, "pxelinux.0", join(dir, "out", "hpa"));
    assert.equal(hpa.code, 0, hpa.stderr + hpa.stdout);
    assert.ok(readFileSync(join(dir, "out", "hpa")).equals(body), "tftp-hpa got other bytes");
    const curl = await clients.curl(server.port, "pxelinux.0", join(dir, "out", "curl"));
    assert.equal(curl.code, 0, curl.stderr);
    assert.ok(readFileSync(join(dir, "out", "curl")).equals(body), "curl got other bytes");

    // The abuser's transfers were still waiting for their first ACK meanwhile.
    assert.equal(server.service.stats().active, DEFAULT_MAX_TRANSFERS_PER_CLIENT);
    assert.ok(received >= DEFAULT_MAX_TRANSFERS_PER_CLIENT, "each accepted RRQ got its first DATA");
    const warnings = server.log.records.filter((r) => r.msg?.includes("max_transfers_per_client"));
    assert.equal(warnings.length, 1, "one warning line for the lot");
  });
});
