/**
 * The HTTP service's limits as curl meets them on a real socket: a stalled
 * upload is cut after `services.http.request_timeout`, a GET with a 50 MB
 * body is refused before the body is read, and the web root serves the
 * admin page's files but not the tests that live beside them.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { fleetConfig } from "../fixtures/boot/fleet-fixture.js";
import { type HttpHarness, startHttp } from "../fixtures/boot/http-harness.js";
import { runPeer } from "../fixtures/boot/run-peer.js";
import { requirePeers } from "../support/require-peers.js";
import { waitUntil } from "../support/wait-until.js";

const WEB_ROOT = fileURLToPath(new URL("../../src/web", import.meta.url));
const BIG = 50 * 1024 * 1024;

describe("HTTP limits with curl", () => {
  let h: HttpHarness;
  /** Bytes the server read on each connection, once it closed. */
  const bytesRead: number[] = [];

  before(async () => {
    requirePeers(["curl"]);
    const base = fleetConfig();
    h = await startHttp({
      config: {
        ...base,
        services: { ...base.services, http: { ...base.services.http, request_timeout: 1 } },
      },
      extra: { webRoot: WEB_ROOT },
    });
    h.app.server.on("connection", (s: Socket) => s.once("close", () => bytesRead.push(s.bytesRead)));
  });
  after(async () => {
    await h?.close();
  });

  it("a POST whose body stalls is cut after request_timeout (1 s here), not left open", async () => {
    const body = join(h.tmp, "slow.json");
    writeFileSync(body, JSON.stringify({ stage: "initrd", detail: { pad: "x".repeat(4000) } }));
    // 100 bytes a second: the 4 KB body would take 40 s.
    const r = await runPeer("curl", [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{size_upload}",
      "--max-time",
      "60",
      "--limit-rate",
      "100",
      "-H",
      "Content-Type: application/json",
      "--data-binary",
      `@${body}`,
      `${h.base}/api/v1/machines/52:54:00:12:34:57/events`,
    ]);
    assert.notEqual(r.code, 28, "curl's own 60 s limit ended it: the server never did");
    const [status, uploaded] = r.stdout.toString().split(" ").map(Number);
    assert.ok(uploaded! < 4000, `uploaded ${uploaded} bytes: the body was not cut`);
    // node answers 408 when it can; a reset before curl reads it is as good.
    assert.ok(status === 408 || r.code !== 0, `status ${status}, curl exit ${r.code}`);
  });

  it("a GET with a 50 MB body is refused with 400 before the body is read", async () => {
    const body = join(h.tmp, "big.bin");
    writeFileSync(body, Buffer.alloc(BIG, 0x61));
    bytesRead.length = 0;
    const r = await runPeer("curl", [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{size_upload}",
      "-X",
      "GET",
      "-H",
      "Content-Type: application/octet-stream",
      "--data-binary",
      `@${body}`,
      `${h.base}/images/debian/2024.06.01/vmlinuz`,
    ]);
    const [status, uploaded] = r.stdout.toString().split(" ").map(Number);
    assert.equal(status, 400, r.stderr);
    assert.ok(uploaded! < BIG, `curl sent all ${uploaded} bytes`);
    await waitUntil(() => bytesRead.length > 0, "the server to close the connection");
    assert.equal(bytesRead.length, 1);
    // Socket buffers may hold a few MB; the body is 50.
    assert.ok(bytesRead[0]! < BIG / 4, `the server read ${bytesRead[0]} bytes`);
  });

  it("a HEAD with a body is refused the same way; a GET without one is served", async () => {
    const r = await runPeer("curl", [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-X",
      "HEAD",
      "-H",
      "Content-Length: 10",
      "--max-time",
      "10",
      `${h.base}/boot/52:54:00:12:34:56.ipxe`,
    ]);
    assert.equal(r.stdout.toString(), "400", r.stderr);
    const ok = await runPeer("curl", [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `${h.base}/boot/52:54:00:12:34:56.ipxe`,
    ]);
    assert.equal(ok.stdout.toString(), "200");
  });

  it("the web root serves the page's files, not its tests or type declarations", async () => {
    const status = async (path: string): Promise<string> =>
      (
        await runPeer("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", `${h.base}${path}`])
      ).stdout.toString();
    for (const path of ["/", "/index.html", "/app.js", "/app.css", "/boot-sessions.js"]) {
      assert.equal(await status(path), "200", path);
    }
    for (const path of [
      "/boot-sessions.test.ts",
      "/boot-sessions.d.ts",
      "/boot-phases.test.ts",
      "/BOOT-SESSIONS.TEST.TS",
    ]) {
      assert.equal(await status(path), "404", path);
    }
  });
});
