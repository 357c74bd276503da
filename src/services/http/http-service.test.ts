/**
 * The HTTP service in process (inject()): the parts the curl tests do not
 * reach: the web root hook, refusals, a config that cannot be packed,
 * validators on generated files.
 */
import assert from "node:assert/strict";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { resolved, textFile, v } from "../../../test/fixtures/boot/fleet-fixture.js";
import { type HttpHarness, startHttp } from "../../../test/fixtures/boot/http-harness.js";

describe("HTTP service (inject)", () => {
  let h: HttpHarness;
  let web: string;
  before(async () => {
    web = mkdtempSync(join(tmpdir(), "bf-web-"));
    mkdirSync(join(web, "app"));
    writeFileSync(join(web, "index.html"), "<!doctype html><title>bootfleet</title>");
    writeFileSync(join(web, "app", "main.js"), "console.log(1)");
    writeFileSync(join(web, "app", "main.test.ts"), "test");
    writeFileSync(join(web, "app", "main.d.ts"), "export {};");
    writeFileSync(join(web, "app", "notes.txt"), "notes");
    mkdirSync(join(web, ".git"));
    writeFileSync(join(web, ".git", "config.js"), "x");
    symlinkSync(join(web, "app", "main.test.ts"), join(web, "alias.js"));
    writeFileSync(join(tmpdir(), "bf-web-outside.txt"), "secret");
    symlinkSync(join(tmpdir(), "bf-web-outside.txt"), join(web, "escape.txt"));
    h = await startHttp({ extra: { webRoot: web } });
  });
  after(async () => {
    await h?.close();
    rmSync(web, { recursive: true, force: true });
    rmSync(join(tmpdir(), "bf-web-outside.txt"), { force: true });
  });

  it("serves the admin page's files from webRoot, and nothing outside it", async () => {
    const index = await h.app.inject({ url: "/" });
    assert.equal(index.statusCode, 200);
    assert.equal(index.headers["content-type"], "text/html; charset=utf-8");
    assert.match(index.body, /<title>bootfleet/);
    const js = await h.app.inject({ url: "/app/main.js" });
    assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
    for (const url of ["/escape.txt", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/nothing.html"]) {
      assert.equal((await h.app.inject({ url })).statusCode, 404, url);
    }
    assert.equal((await h.app.inject({ url: "/%zz" })).statusCode, 400, "fastify refuses a bad escape");
  });

  it("serves only the page's kinds of file: no tests, declarations, hidden folders or other files", async () => {
    for (const url of [
      "/app/main.test.ts",
      "/app/main.d.ts",
      "/app/notes.txt",
      "/.git/config.js",
      "/alias.js",
      "/app",
      "/app/",
    ]) {
      assert.equal((await h.app.inject({ url })).statusCode, 404, url);
    }
  });

  it("a GET or HEAD with a body is refused with 400 and the connection closed; a POST's body is read", async () => {
    for (const method of ["GET", "HEAD"] as const) {
      const r = await h.app.inject({ method, url: "/boot/52:54:00:12:34:56.ipxe", payload: "x".repeat(100) });
      assert.equal(r.statusCode, 400, method);
      assert.equal(r.headers.connection, "close");
    }
    const chunked = await h.app.inject({
      method: "GET",
      url: "/api/v1/machines",
      headers: { "transfer-encoding": "chunked" },
      payload: "x",
    });
    assert.equal(chunked.statusCode, 400);
    const empty = await h.app.inject({
      url: "/boot/52:54:00:12:34:56.ipxe",
      headers: { "content-length": "0" },
    });
    assert.equal(empty.statusCode, 200);
  });

  it("generated files have an ETag; a matching If-None-Match is 304", async () => {
    const first = await h.app.inject({ url: "/boot/52:54:00:12:34:56.ipxe" });
    assert.equal(first.statusCode, 200);
    const etag = first.headers.etag as string;
    assert.match(etag, /^"[A-Za-z0-9_-]{22}"$/);
    const again = await h.app.inject({
      url: "/boot/52:54:00:12:34:56.ipxe",
      headers: { "if-none-match": etag },
    });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, "");
    const range = await h.app.inject({
      url: "/boot/52:54:00:12:34:56.ipxe",
      headers: { range: "bytes=0-6" },
    });
    assert.equal(range.statusCode, 206);
    assert.equal(range.body, "#!ipxe\n");
  });

  it("pxelinux and GRUB configs are served over HTTP too", async () => {
    const pxe = await h.app.inject({ url: "/pxelinux.cfg/01-52-54-00-00-00-0a" });
    assert.equal(pxe.statusCode, 200);
    assert.match(pxe.body, /^LABEL debian$/m);
    const grub = await h.app.inject({ url: "/grub/grub.cfg-01-52-54-00-00-00-0b" });
    assert.match(grub.body, /^menuentry /m);
    assert.equal((await h.app.inject({ url: "/pxelinux.cfg/default" })).statusCode, 404);
  });

  it("refuses what it cannot serve, with a reason, and keeps serving", async () => {
    assert.equal((await h.app.inject({ url: "/boot/ipxe" })).statusCode, 400);
    assert.equal((await h.app.inject({ url: "/boot/ipxe?mac=nonsense" })).statusCode, 400);
    assert.equal((await h.app.inject({ url: "/boot/zz/layers.cpio" })).statusCode, 400);
    assert.equal((await h.app.inject({ url: "/images/debian/2024.06.01/System.map" })).statusCode, 404);
    assert.equal((await h.app.inject({ url: "/images/..%2f..%2f/x/vmlinuz" })).statusCode, 404);
    assert.equal((await h.app.inject({ url: "/ipxe/undionly.kkpxe" })).statusCode, 200);
    assert.equal((await h.app.inject({ url: "/ipxe/passwd" })).statusCode, 404);
    assert.equal(
      (await h.app.inject({ method: "POST", url: "/boot/52:54:00:12:34:56.ipxe" })).statusCode,
      404,
    );
  });

  it("a layer file the cpio cannot carry is a 500 naming the problem, not a crash", async () => {
    const bad = await startHttp({
      resolver: {
        resolve: (facts) => resolved(facts, { files: { "etc/relative": v(textFile("x")) } }),
        findHost: () => undefined,
      },
    });
    try {
      const r = await bad.app.inject({ url: "/boot/52:54:00:12:34:56/layers.cpio" });
      assert.equal(r.statusCode, 500);
      assert.match(r.body, /layer file path must be absolute: "etc\/relative"/);
      assert.equal((await bad.app.inject({ url: "/boot/52:54:00:12:34:56.ipxe" })).statusCode, 200);
    } finally {
      await bad.close();
    }
  });

  it("HEAD of a kernel sends headers only", async () => {
    const r = await h.app.inject({ method: "HEAD", url: "/images/debian/2024.06.01/vmlinuz" });
    assert.equal(r.statusCode, 200);
    assert.equal(Number(r.headers["content-length"]), 3 * 1024 * 1024 + 17);
    assert.equal(r.body, "");
  });

  it("/metrics is Prometheus text; without a registry it is 404", async () => {
    const m = await h.app.inject({ url: "/metrics" });
    assert.match(m.headers["content-type"] as string, /^text\/plain; version=0\.0\.4/);
    const none = await startHttp({ extra: { metrics: undefined } });
    try {
      assert.equal((await none.app.inject({ url: "/metrics" })).statusCode, 404);
      assert.match((await none.app.inject({ url: "/" })).body, /API: \/api\/v1/);
    } finally {
      await none.close();
    }
  });
});

describe("HTTP service, files streamed from disk", () => {
  let h: HttpHarness;
  before(async () => {
    // No file cache and no sendfile thread: the kernel goes out through a read stream.
    h = await startHttp({ extra: { fileCache: false, offloadFiles: false } });
  });
  after(async () => {
    await h?.close();
  });

  it("sends the whole file and byte ranges of it, and closes every descriptor it opened", async () => {
    const kernel = h.images.list[0]!.kernel;
    const bytes = readFileSync(kernel);
    const url = `${h.base}/images/debian/2024.06.01/vmlinuz`;
    for (let i = 0; i < 5; i++) {
      const whole = await fetch(url);
      assert.equal(whole.status, 200);
      assert.ok(Buffer.from(await whole.arrayBuffer()).equals(bytes));
      const part = await fetch(url, { headers: { range: "bytes=1048576-2097151" } });
      assert.equal(part.status, 206);
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1048576, 2097152)));
    }
    // A client that goes away in the middle of the body.
    const cut = new AbortController();
    const r = await fetch(url, { signal: cut.signal });
    const reader = r.body!.getReader();
    await reader.read();
    cut.abort();
    await reader.read().catch(() => {});
    // fetch keeps its connections; what must not grow is the server's files.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const files = readdirSync("/proc/self/fd").filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === kernel;
      } catch {
        return false;
      }
    });
    assert.deepEqual(files, [], "no descriptor of the kernel file is left open");
    // Nor closed twice: a second close fails, or closes a descriptor the number went to since.
    assert.deepEqual(
      h.logger.records.filter((r) => r.level === "error"),
      [],
    );
  });
});
