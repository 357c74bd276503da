/**
 * The REST API over a real socket with curl: status codes and JSON error
 * bodies as a client sees them, a stage report the way the client hook
 * sends it, and the server-sent event stream with Last-Event-ID resume.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { API_TOKEN, apiFleet } from "../fixtures/boot/api-fleet.js";
import { type HttpHarness, startHttp } from "../fixtures/boot/http-harness.js";
import { runPeer } from "../fixtures/boot/run-peer.js";
import { requirePeers } from "../support/require-peers.js";

async function curlJson(
  args: readonly string[],
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the API, walked by the assertions
): Promise<{ status: number; body: any; contentType: string }> {
  const r = await runPeer("curl", ["-sS", "-w", "\n%{http_code} %{content_type}", ...args]);
  assert.equal(r.code, 0, r.stderr);
  const text = r.stdout.toString();
  const cut = text.lastIndexOf("\n");
  const tail = text.slice(cut + 1);
  const sp = tail.indexOf(" ");
  return {
    status: Number(tail.slice(0, sp)),
    body: JSON.parse(text.slice(0, cut)),
    contentType: tail.slice(sp + 1),
  };
}

interface SseMessage {
  readonly id: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the API, walked by the assertions
  readonly data: any;
}

function parseSse(text: string): SseMessage[] {
  return text
    .split("\n\n")
    .map((block) => {
      const id = /^id: (\d+)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return id && data ? { id: Number(id), data: JSON.parse(data) } : null;
    })
    .filter((m): m is SseMessage => m !== null);
}

describe("REST API over a socket with curl", () => {
  let h: HttpHarness;
  before(async () => {
    requirePeers(["curl"]);
    const { config, resolver } = apiFleet();
    h = await startHttp({ config, resolver });
  });
  after(async () => {
    await h?.close();
  });

  it("a write without the token is 401 with a JSON error; with it, it gets past the check", async () => {
    const url = `${h.base}/api/v1/images/debian/current`;
    const r = await curlJson([
      "-X",
      "POST",
      "-H",
      "Content-Type: application/json",
      "-d",
      '{"version":"1"}',
      url,
    ]);
    assert.equal(r.status, 401);
    assert.equal(r.contentType, "application/json; charset=utf-8");
    assert.equal(r.body.error.code, "UNAUTHORIZED");
    const ok = await curlJson([
      "-X",
      "POST",
      "-H",
      `Authorization: Bearer ${API_TOKEN}`,
      "-H",
      "Content-Type: application/json",
      "-d",
      '{"version":"1"}',
      url,
    ]);
    assert.equal(ok.status, 503);
    assert.equal(ok.body.error.code, "IMAGES_UNAVAILABLE");
  });

  it("an unknown machine is 404 with a JSON error body carrying a stable code", async () => {
    const r = await curlJson([`${h.base}/api/v1/machines/52:54:00:de:ad:00`]);
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, "MACHINE_NOT_FOUND");
    assert.equal(typeof r.body.error.message, "string");
  });

  it("streams events as SSE and resumes after Last-Event-ID", async () => {
    const stream = `${h.base}/api/v1/events/stream`;
    // A follower from the newest event on: what it replays or sees live does
    // not depend on when curl gets connected.
    await h.recorder.flush();
    const newest = (await h.store.listEvents({ order: "desc", limit: 1 }))[0]?.id ?? 0;
    const live = runPeer("curl", ["-sS", "-N", "--max-time", "4", `${stream}?after=${newest}`]);
    // The client hook's report, from 127.0.0.1 (lab3-15's address in the config).
    for (const stage of ["initrd", "root-mounted", "layers-applied"]) {
      const r = await curlJson([
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        JSON.stringify({ stage, detail: { from: "curl" } }),
        `${h.base}/api/v1/machines/52-54-00-12-34-57/events`,
      ]);
      assert.equal(r.status, 202);
      assert.equal(r.body.verified, "source-ip");
    }
    const followed = parseSse((await live).stdout.toString());
    assert.deepEqual(
      followed.map((m) => m.data.stage),
      ["initrd", "root-mounted", "layers-applied"],
    );
    assert.ok(
      followed.every((m, i) => i === 0 || m.id > followed[i - 1]!.id),
      "ids rise",
    );
    assert.equal(followed[0]?.data.mac, "52:54:00:12:34:57");

    // Reconnect after the first: the two missed, in order, nothing twice.
    const resumed = await runPeer("curl", [
      "-sS",
      "-N",
      "--max-time",
      "2",
      "-H",
      `Last-Event-ID: ${followed[0]!.id}`,
      `${stream}?mac=52:54:00:12:34:57`,
    ]);
    const again = parseSse(resumed.stdout.toString());
    assert.deepEqual(
      again.map((m) => m.id),
      followed.slice(1).map((m) => m.id),
    );
    assert.match(resumed.stdout.toString(), /^retry: 2000$/m);
  });
});
