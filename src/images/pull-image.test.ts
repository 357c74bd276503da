/**
 * pullImage against a loopback HTTP server standing in for a build server:
 * a complete, checked copy appears by one rename; a wrong sha256, a short
 * file, a 404 or an unsafe name leave nothing in the image store.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { MemoryLogger } from "../logging/logger.js";
import { ImageCatalog } from "./image-catalog.js";
import type { ImageManifest } from "./image-manifest.js";
import { ImagePuller } from "./image-puller.js";
import { pullImage } from "./pull-image.js";
import type { ImageHolder, PublishedImage, PublishedImages } from "./published-images.js";

const NAME = "debian";
const VERSION = "20261202-120000";
const FILES: Record<string, Buffer> = {
  "root.squashfs": Buffer.alloc(300_000, 7),
  vmlinuz: Buffer.from("kernel bytes"),
  "initrd.img": Buffer.from("initrd bytes"),
};
const digest = (b: Buffer) => ({ size: b.length, sha256: createHash("sha256").update(b).digest("hex") });

function manifestOf(version: string, over: Partial<ImageManifest> = {}): ImageManifest {
  return {
    format: 1,
    name: NAME,
    version,
    created: "2026-12-02T12:00:00.000Z",
    source: { kind: "dir", path: "/srv/root" },
    ...digest(FILES["root.squashfs"]!),
    compression: "zstd",
    kernel_version: "6.1.0-test",
    arch: "amd64",
    kernel: { file: "vmlinuz", ...digest(FILES.vmlinuz!) },
    initrd: { file: "initrd.img", ...digest(FILES["initrd.img"]!) },
    hook: {
      base_initrd: null,
      busybox: "host:/bin/busybox",
      nbd_client: "host:/sbin/nbd-client",
      modules: [],
      modules_builtin: [],
    },
    ...over,
  };
}

function published(version: string, over: Partial<ImageManifest> = {}): PublishedImage {
  const manifest = manifestOf(version, over);
  return {
    name: NAME,
    version,
    builtBy: "builder",
    url: baseUrl,
    manifest,
    manifestText: `${JSON.stringify(manifest, null, 2)}\n`,
    at: Date.now(),
  };
}

let server: Server;
let baseUrl = "";
let dataDir = "";
let catalog: ImageCatalog;
/** Files the fake build server sends short (cut after half). */
const short = new Set<string>();

before(async () => {
  server = createServer((req, res) => {
    const m = /^\/images\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(req.url ?? "");
    const body = m ? FILES[m[3]!] : undefined;
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.end(short.has(m![3]!) ? body.subarray(0, body.length >> 1) : body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = mkdtempSync(join(tmpdir(), "bf-pull-"));
  catalog = new ImageCatalog(dataDir, { markOnDisk: false });
  short.clear();
});

after(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const entries = () => readdirSync(catalog.imageDir(NAME));

describe("pullImage", () => {
  it("fetches every file, checks it, and renames the complete copy into place", async () => {
    const image = published(VERSION);
    assert.equal(await pullImage({ catalog, image }), true);
    assert.deepEqual(entries(), [VERSION]);
    const paths = catalog.versionPaths(NAME, VERSION);
    assert.deepEqual(readFileSync(paths.rootfs), FILES["root.squashfs"]);
    assert.deepEqual(readFileSync(paths.kernel), FILES.vmlinuz);
    assert.deepEqual(readFileSync(paths.initrd), FILES["initrd.img"]);
    assert.equal(readFileSync(paths.manifest, "utf8"), image.manifestText);
    // A second pull of a version held already fetches nothing.
    assert.equal(await pullImage({ catalog, image }), false);
  });

  it("refuses a file whose sha256 is not the manifest's, and leaves nothing behind", async () => {
    const image = published(VERSION, { sha256: "0".repeat(64) });
    await assert.rejects(pullImage({ catalog, image }), {
      code: "PULL_FAILED",
      message: /root\.squashfs from .* does not match its manifest/,
    });
    assert.deepEqual(entries(), []);
  });

  it("refuses a short transfer", async () => {
    short.add("initrd.img");
    await assert.rejects(pullImage({ catalog, image: published(VERSION) }), {
      code: "PULL_FAILED",
      message: /initrd\.img .* \(6 bytes/,
    });
    assert.deepEqual(entries(), []);
  });

  it("refuses a version the build server does not have (404)", async () => {
    const image = published(VERSION);
    const gone = { ...image, url: `${baseUrl}/nowhere` };
    await assert.rejects(pullImage({ catalog, image: gone }), {
      code: "PULL_FAILED",
      message: /answered 404/,
    });
    assert.deepEqual(entries(), []);
  });

  it("refuses names that are not image names before building a path or URL", async () => {
    const image = published(VERSION);
    await assert.rejects(pullImage({ catalog, image: { ...image, name: "../etc" } }), {
      code: "PULL_FAILED",
    });
    await assert.rejects(pullImage({ catalog, image: { ...image, version: "../../x" } }), {
      code: "PULL_FAILED",
    });
    await assert.rejects(pullImage({ catalog, image: { ...image, url: "file:///etc" } }), {
      code: "PULL_FAILED",
      message: /not an HTTP address/,
    });
  });
});

/** The published-images table in memory. */
class MemoryPublished implements PublishedImages {
  readonly rows: PublishedImage[] = [];
  readonly holding: ImageHolder[] = [];
  async publish(image: PublishedImage) {
    this.rows.push(image);
  }
  async list() {
    return this.rows;
  }
  async hold(name: string, version: string, server: string, at: number) {
    this.holding.push({ name, version, server, at });
  }
  readonly released: string[] = [];
  async release(_name: string, version: string) {
    this.released.push(version);
  }
  async holders() {
    return this.holding;
  }
  async follow() {}
  async close() {}
}

describe("ImagePuller", () => {
  it("switches to the latest published version once it is complete; a corrupt one is refused and not switched to", async () => {
    const store = new MemoryPublished();
    const logger = new MemoryLogger();
    const puller = new ImagePuller({ catalog, published: store, server: "file-1", logger, keep: 3 });
    await puller.start();
    await store.publish(published(VERSION));
    puller.wake();
    await puller.idle();
    assert.equal(await catalog.current(NAME), VERSION);
    assert.deepEqual(
      store.holding.map((h) => [h.version, h.server]),
      [[VERSION, "file-1"]],
    );

    const bad = "20261202-130000";
    await store.publish(published(bad, { kernel: { file: "vmlinuz", size: 12, sha256: "f".repeat(64) } }));
    puller.wake();
    await puller.idle();
    assert.equal(await catalog.current(NAME), VERSION, "the good version stays current");
    assert.deepEqual(await catalog.versions(NAME), [VERSION]);
    assert.ok(logger.records.some((r) => r.msg === "images: pull refused; the current version stays"));
    await puller.stop();
  });

  it("keeps images.keep versions after a switch, and drops its holder rows for the others", async () => {
    const store = new MemoryPublished();
    const puller = new ImagePuller({
      catalog,
      published: store,
      server: "file-1",
      logger: new MemoryLogger(),
      keep: 1,
    });
    await puller.start();
    for (const v of [VERSION, "20261202-140000"]) {
      await store.publish(published(v));
      puller.wake();
      await puller.idle();
    }
    assert.deepEqual(await catalog.versions(NAME), ["20261202-140000"]);
    assert.equal(await catalog.current(NAME), "20261202-140000");
    assert.deepEqual(store.released, [VERSION]);
    await puller.stop();
  });
});
