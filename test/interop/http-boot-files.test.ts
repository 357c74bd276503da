/**
 * The HTTP service against curl and GNU cpio: a per-machine iPXE script, a
 * kernel by byte range, validators and 304s, the iPXE binaries from Debian's
 * ipxe package, and a layer cpio that `cpio -idm` unpacks into exactly the
 * machine's resolved files. Server on 127.0.0.1, port 0.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { renderIpxeScript } from "../../src/boot/render-ipxe.js";
import { type HttpHarness, startHttp } from "../fixtures/boot/http-harness.js";
import { runPeer } from "../fixtures/boot/run-peer.js";
import { requirePeers } from "../support/require-peers.js";
import { waitUntil } from "../support/wait-until.js";

const MAC = "52:54:00:12:34:57"; // lab3-15: settings, per-host kernel args, cow

function sha256(buf: Buffer): string {
  return createHash("sha256").update(buf).digest("hex");
}

/** curl, returning status, headers and body. */
async function curl(args: readonly string[]): Promise<{ status: number; headers: string; body: Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), "bf-curl-"));
  try {
    const r = await runPeer("curl", [
      "-sS",
      "-D",
      join(dir, "h"),
      "-o",
      join(dir, "b"),
      "-w",
      "%{http_code}",
      ...args,
    ]);
    assert.equal(r.code, 0, `curl ${args.join(" ")}: ${r.stderr}`);
    let body = Buffer.alloc(0);
    try {
      body = readFileSync(join(dir, "b"));
    } catch {
      /* HEAD: no body file */
    }
    return { status: Number(r.stdout.toString()), headers: readFileSync(join(dir, "h"), "utf8"), body };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function headerOf(headers: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:\\s*(.*?)\\r?$`, "im").exec(headers);
  return m?.[1];
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

describe("HTTP boot files with curl and cpio", () => {
  let h: HttpHarness;
  before(async () => {
    requirePeers(["curl", "cpio"]);
    h = await startHttp();
    // What the PXE ROM told DHCP: the script for a UEFI machine.
    h.planner.dhcpBoot({ mac: MAC, arch: 7 });
  });
  after(async () => {
    await h?.close();
  });

  it("serves the machine's iPXE script, the same the planner renders", async () => {
    const r = await curl([`${h.base}/boot/${MAC}.ipxe`]);
    assert.equal(r.status, 200);
    const plan = h.planner.plan({ ...h.planner.factsFor(MAC), ip: "127.0.0.1" });
    assert.ok(plan);
    assert.equal(r.body.toString(), renderIpxeScript(plan));
    assert.match(
      r.body.toString(),
      new RegExp(
        `kernel --timeout \\d+ ${h.base}/images/debian/2024\\.06\\.01/vmlinuz initrd=initrd.img initrd=layers.cpio `,
      ),
    );
    assert.match(
      r.body.toString(),
      / console=ttyS0,115200n8 quiet nomodeset video=1024x768 \|\| goto failed\n/,
    );
    assert.equal(headerOf(r.headers, "cache-control"), "no-cache");
    // The ${net0/mac} fallback, with the MAC as iPXE writes it.
    const q = await curl([`${h.base}/boot/ipxe?mac=${MAC}`]);
    assert.equal(q.status, 200);
    assert.equal(q.body.toString(), r.body.toString());
    // HEAD: headers only.
    const head = await curl(["-I", `${h.base}/boot/${MAC.replaceAll(":", "-")}.ipxe`]);
    assert.equal(head.status, 200);
    assert.equal(Number(headerOf(head.headers, "content-length")), r.body.length);
  });

  it("refuses bad and unbootable MACs with a reason", async () => {
    const bad = await curl([`${h.base}/boot/not-a-mac.ipxe`]);
    assert.equal(bad.status, 400);
    const closed = await curl([`${h.base}/boot/52:54:00:00:00:ff.ipxe`]);
    assert.equal(closed.status, 404);
    assert.match(closed.body.toString(), /boot_unknown is false/);
  });

  it("sends a kernel whole and by byte range, with ETag, Last-Modified and 304", async () => {
    const kernel = readFileSync(h.images.get("debian", "2024.06.01")!.kernel);
    const url = `${h.base}/images/debian/2024.06.01/vmlinuz`;
    const whole = await curl([url]);
    assert.equal(whole.status, 200);
    assert.equal(sha256(whole.body), sha256(kernel));
    assert.equal(headerOf(whole.headers, "accept-ranges"), "bytes");
    const etag = headerOf(whole.headers, "etag");
    const lastModified = headerOf(whole.headers, "last-modified");
    assert.ok(etag && lastModified);

    const mid = await curl(["-r", "1000-1999", url]);
    assert.equal(mid.status, 206);
    assert.equal(headerOf(mid.headers, "content-range"), `bytes 1000-1999/${kernel.length}`);
    assert.ok(mid.body.equals(kernel.subarray(1000, 2000)));

    const tail = await curl(["-r", "-100", url]);
    assert.equal(tail.status, 206);
    assert.ok(tail.body.equals(kernel.subarray(kernel.length - 100)));

    const open = await curl(["-r", `${kernel.length - 10}-`, url]);
    assert.ok(open.body.equals(kernel.subarray(kernel.length - 10)));

    const beyond = await curl(["-r", `${kernel.length}-`, url]);
    assert.equal(beyond.status, 416);
    assert.equal(headerOf(beyond.headers, "content-range"), `bytes */${kernel.length}`);

    const same = await curl(["-H", `If-None-Match: ${etag}`, url]);
    assert.equal(same.status, 304);
    assert.equal(same.body.length, 0);
    const since = await curl(["-z", lastModified, url]);
    assert.equal(since.status, 304);
    const changed = await curl(["-H", 'If-Range: "other"', "-r", "0-9", url]);
    assert.equal(changed.status, 200, "If-Range with another ETag sends the whole file");
    assert.equal(changed.body.length, kernel.length);

    // A second, uncached pass from disk gives the same bytes (hot cache off).
    const initrd = await curl([`${h.base}/images/debian/2024.06.01/initrd.img`]);
    assert.equal(sha256(initrd.body), sha256(readFileSync(h.images.get("debian", "2024.06.01")!.initrd)));
    const missing = await curl([`${h.base}/images/debian/1.0/vmlinuz`]);
    assert.equal(missing.status, 404);
    const traversal = await curl(["--path-as-is", `${h.base}/images/debian/2024.06.01/../../../etc/passwd`]);
    assert.equal(traversal.status, 404);
  });

  it("answers requests pipelined on one connection in order, every body whole", async () => {
    // A client may ask for the next file as soon as the last bytes of one
    // arrive, before the server has heard that they left (the kernel goes
    // out with sendfile from another thread): the next response then waits
    // for its turn on the connection. Sending three requests in one write
    // makes that wait certain.
    const image = h.images.get("debian", "2024.06.01")!;
    const kernel = readFileSync(image.kernel);
    const initrd = readFileSync(image.initrd);
    const url = new URL(h.base);
    const paths = ["vmlinuz", "initrd.img", "vmlinuz"].map((f) => `/images/debian/2024.06.01/${f}`);
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname);
      const chunks: Buffer[] = [];
      socket.on("data", (c: Buffer) => chunks.push(c));
      socket.on("end", () => resolve(Buffer.concat(chunks)));
      socket.on("error", reject);
      socket.write(
        paths
          .map(
            (p, i) =>
              `GET ${p} HTTP/1.1\r\nHost: x\r\n${i === paths.length - 1 ? "Connection: close\r\n" : ""}\r\n`,
          )
          .join(""),
      );
    });
    const bodies: Buffer[] = [];
    let at = 0;
    while (at < raw.length) {
      const end = raw.indexOf("\r\n\r\n", at);
      assert.ok(end > 0, "a response's headers");
      const head = raw.subarray(at, end).toString("latin1");
      assert.match(head, /^HTTP\/1\.1 200 /);
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]);
      bodies.push(raw.subarray(end + 4, end + 4 + length));
      at = end + 4 + length;
    }
    assert.deepEqual(
      bodies.map((b) => sha256(b)),
      [kernel, initrd, kernel].map((b) => sha256(b)),
    );
  });

  it("serves Debian's iPXE binaries unchanged", async () => {
    for (const name of ["undionly.kpxe", "ipxe.efi", "snponly.efi"]) {
      const r = await curl([`${h.base}/ipxe/${name}`]);
      assert.equal(r.status, 200, name);
      assert.equal(sha256(r.body), sha256(readFileSync(join("/usr/lib/ipxe", name))), name);
    }
    assert.equal((await curl([`${h.base}/ipxe/..%2f..%2fetc%2fpasswd`])).status, 404);
  });

  it("serves a layer cpio that cpio -idm unpacks into exactly the machine's resolved files", async () => {
    const r = await curl([`${h.base}/boot/${MAC}/layers.cpio`]);
    assert.equal(r.status, 200);
    assert.equal(headerOf(r.headers, "content-type"), "application/x-cpio");
    const dir = mkdtempSync(join(tmpdir(), "bf-cpio-"));
    try {
      const out = await runPeer("cpio", ["-idm", "--quiet", "--no-absolute-filenames"], {
        cwd: dir,
        input: r.body,
      });
      assert.equal(out.code, 0, out.stderr);
      const machine = h.planner.decide(h.planner.factsFor(MAC)).machine;
      assert.ok(machine);
      const layers = join(dir, "bootfleet", "layers");
      const got = walk(layers)
        .map((p) => `/${relative(layers, p)}`)
        .sort();
      const want = [...Object.keys(machine.files), "/etc/bootfleet/settings.env", "/etc/lts.conf"].sort();
      assert.deepEqual(got, want);
      for (const [path, v] of Object.entries(machine.files)) {
        const file = join(layers, path);
        assert.ok(readFileSync(file).equals(v.value.content), path);
        assert.equal(statSync(file).mode & 0o7777, v.value.mode, `${path} mode`);
      }
      const env = readFileSync(join(layers, "etc/bootfleet/settings.env"), "utf8");
      assert.match(env, /^XKBLAYOUT='de'$/m);
      assert.match(env, /^BOOTFLEET_NOTE='two words'$/m);
      // sh reads back exactly the values of the config.
      const sh = await runPeer("sh", [
        "-c",
        `. ${join(layers, "etc/bootfleet/settings.env")}; printf '%s|%s' "$XKBLAYOUT" "$BOOTFLEET_NOTE"`,
      ]);
      assert.equal(sh.stdout.toString(), "de|two words");
      // cpio -m kept the mtime the planner gave (its start, in whole seconds).
      assert.equal(Math.floor(statSync(join(layers, "etc/motd")).mtimeMs / 1000) > 0, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("publishes each transfer on the bus with the bytes sent; metrics count them", async () => {
    await h.recorder.flush();
    const events = await h.store.listEvents({ type: "http.get" });
    const kernelEvents = events.filter((e) => e.detail.kind === "kernel" && e.detail.status === 200);
    assert.ok(kernelEvents.length >= 1);
    assert.equal(kernelEvents[0]?.detail.bytes, statSync(h.images.get("debian", "2024.06.01")!.kernel).size);
    const scripts = events.filter((e) => e.detail.kind === "script");
    assert.ok(scripts.every((e) => e.mac === MAC));
    const errors = await h.store.listEvents({ type: "http.error" });
    assert.ok(errors.some((e) => e.detail.status === 404 && e.mac === "52:54:00:00:00:ff"));
    const m = await curl([`${h.base}/metrics`]);
    assert.equal(m.status, 200);
    const text = m.body.toString();
    const bytes = /^bootfleet_http_bytes_total\{kind="kernel"\} (\d+)$/m.exec(text);
    assert.ok(bytes, text);
    assert.ok(Number(bytes[1]) >= statSync(h.images.get("debian", "2024.06.01")!.kernel).size);
    assert.match(text, /^bootfleet_http_transfers_total\{kind="script",result="done"\} \d+$/m);
  });

  it("a client that hangs up mid-kernel is logged as incomplete and the server keeps serving", async () => {
    // Bigger than the loopback socket buffers, so the hang-up is seen mid-file.
    h.images.add("big", "1", randomBytes(48 * 1024 * 1024), randomBytes(16));
    const got = await new Promise<number>((resolve, reject) => {
      const req = request(`${h.base}/images/big/1/vmlinuz`, (res) => {
        let n = 0;
        res.on("data", (c: Buffer) => {
          n += c.length;
          if (n > 64 * 1024) {
            req.destroy();
            resolve(n);
          }
        });
      });
      req.on("error", (e) =>
        e.message.includes("aborted") || e.message.includes("socket hang up") ? undefined : reject(e),
      );
      req.end();
    });
    assert.ok(got > 0);
    const again = await curl([`${h.base}/boot/${MAC}.ipxe`]);
    assert.equal(again.status, 200);
    // The server records the cut download when it sees the socket close,
    // which may come after the next request's answer: wait for the record.
    const events = () => h.store.listEvents({ type: "http.get", order: "desc", limit: 20 });
    await waitUntil(async () => {
      await h.recorder.flush();
      return (await events()).some((e) => e.detail.kind === "kernel" && e.detail.complete === false);
    }, "an http.get event for the cut kernel download (complete: false)");
  });
});
