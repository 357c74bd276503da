/**
 * The admin page in a real browser: Debian's Chromium, headless, driven by
 * playwright-core, against `bootfleet serve`'s own wiring (FleetServer, as
 * the CLI starts it) in this process: HTTP on 127.0.0.1 port 0, the other
 * services off, a SQLite store seeded beforehand (machines, leases, two boots
 * of one machine, a failed one, syslog lines) and an image catalog on disk.
 *
 * It loads every view, checks what each shows against the seed, switches an
 * image version through the page (401 without the token, then with it), wakes
 * a machine, sets a machine's image (and sees its origin in the machine's
 * config, and what the planner would boot), and watches a machine change state in the fleet view while the
 * test posts client stage reports to the API. Screenshots go to test-results/
 * (and the fleet and machine views to docs/screenshots/ for the README).
 *
 * Peer: chromium (scripts/test-peers.txt). Network: 127.0.0.1 only; the
 * Wake-on-LAN socket records its packets instead of broadcasting them.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import type { FleetBootPlanner } from "../../src/boot/fleet-boot-planner.js";
import { loadConfig } from "../../src/config/load-config.js";
import { type BootEventInput, EventBus } from "../../src/events/event-bus.js";
import type { ImageCatalog } from "../../src/images/image-catalog.js";
import { MemoryLogger } from "../../src/logging/logger.js";
import { FleetServer, openStore } from "../../src/server/fleet-server.js";
import { EventRecorder } from "../../src/store/event-recorder.js";
import type { Store } from "../../src/store/store.js";
import type { WolSocket } from "../../src/wol/wol-sender.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CHROMIUM = "/usr/bin/chromium";
const RESULTS = join(ROOT, "test-results");
const DOCS = join(ROOT, "docs", "screenshots");
/**
 * The README's screenshots (committed) are rewritten only when asked
 * (BF_UPDATE_SCREENSHOTS=1) or missing, so a test run leaves the tree clean;
 * test-results/ gets every screenshot on every run.
 */
const docsShot = (name: string) => process.env.BF_UPDATE_SCREENSHOTS === "1" || !existsSync(join(DOCS, name));
const TOKEN = "web-test-token-0123456789abcdef";

const MAC_14 = "52:54:00:12:34:56"; // lab3-14: two boots, up
const MAC_15 = "52:54:00:12:34:57"; // lab3-15: one failed boot
const MAC_16 = "52:54:00:12:34:58"; // lab3-16: never booted; booted live by the test
const MAC_SEEN = "52:54:00:aa:bb:cc"; // not declared, seen asking DHCP

const V1 = "20261101-090000";
const V2 = "20261110-090000";
const V3 = "20261120-090000";

const CONFIG = `server:
  address: 127.0.0.1
  data_dir: ./var
services:
  # The page needs only HTTP; DHCP would listen on this host's network.
  http: { bind: 127.0.0.1, port: 0 }
  dhcp: { mode: off }
  tftp: { enabled: false }
  nbd: { enabled: false }
  syslog: { enabled: false }
  api: { token: ${TOKEN} }
images:
  debian:
    description: Debian 12 desktop for the labs
  tiny:
    description: busybox rescue image
networks:
  - subnet: 198.18.0.0/24
    pool: 198.18.0.100-198.18.0.199
    routers: [198.18.0.1]
defaults:
  image: debian
  boot_unknown: true
  settings: { XKBLAYOUT: us }
groups:
  lab3:
    match: { hostname: "lab3-*" }
    settings: { XKBLAYOUT: de }
    files: { /etc/motd: "lab 3\\n" }
  office:
    match: { hostname: "office-*" }
    image: tiny
hosts:
  lab3-14:
    mac: "${MAC_14}"
    ip: 198.18.0.14
    kernel_args: "quiet splash"
  lab3-15:
    mac: "${MAC_15}"
    ip: 198.18.0.15
  lab3-16:
    mac: "${MAC_16}"
    ip: 198.18.0.16
  office-1:
    mac: "52:54:00:12:34:60"
    ip: 198.18.0.30
`;

/** One version of an image on disk, laid out the way the image catalog keeps them. */
function writeImageVersion(dataDir: string, name: string, version: string, size: number): void {
  const dir = join(dataDir, "images", name, version);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "root.squashfs"), Buffer.alloc(size));
  writeFileSync(join(dir, "vmlinuz"), Buffer.alloc(4096, 1));
  writeFileSync(join(dir, "initrd.img"), Buffer.alloc(8192, 2));
  const created = `${version.slice(0, 4)}-${version.slice(4, 6)}-${version.slice(6, 8)}T09:00:00Z`;
  writeFileSync(
    join(dir, "manifest.json"),
    JSON.stringify({
      format: 1,
      name,
      version,
      created,
      source: { kind: "dir", path: "/srv/rootfs" },
      size,
      sha256: "0".repeat(64),
      compression: "zstd",
      kernel_version: "6.1.0-test",
      arch: "amd64",
      kernel: { file: "vmlinuz", size: 4096, sha256: "1".repeat(64) },
      initrd: { file: "initrd.img", size: 8192, sha256: "2".repeat(64) },
      hook: {
        base_initrd: null,
        busybox: "host:/bin/busybox",
        nbd_client: "host:/sbin/nbd-client",
        modules: [],
        modules_builtin: [],
      },
    }),
  );
}

/** `current` -> version, a relative symlink as ImageCatalog.setCurrent makes it. */
function setCurrentLink(dataDir: string, name: string, version: string): void {
  const link = join(dataDir, "images", name, "current");
  rmSync(link, { force: true });
  symlinkSync(version, link);
}

/** A Wake-on-LAN socket that records what would be broadcast, so the test stays on loopback. */
function recordingSocket(sent: { address: string; port: number; bytes: number }[]): WolSocket {
  return {
    bind: (_port, _address, cb) => cb(),
    setBroadcast: () => {},
    send: (msg, port, address, cb) => {
      sent.push({ address, port, bytes: msg.length });
      cb(null);
    },
    once: () => undefined,
    off: () => undefined,
    close: () => {},
  };
}

/** A bus clock the seed can set, so seeded boots have real past times; null = now. */
class SeedClock {
  at: number | null = null;
  now(): number {
    return this.at ?? Date.now();
  }
}

/** Publishes one event at a given time. */
function at(bus: EventBus, clock: SeedClock, t: number, e: BootEventInput): void {
  clock.at = t;
  bus.publish(e);
}

/** One boot of a machine as the services would report it: PXE DHCP, iPXE over TFTP, HTTP kernel/initrd, NBD root, client stages. */
function seedBoot(
  bus: EventBus,
  clock: SeedClock,
  mac: string,
  ip: string,
  t: number,
  slow: number,
  opts: { fail?: boolean; version: string },
): number {
  const p = (dt: number, e: BootEventInput) => at(bus, clock, t + dt, { mac, ...e });
  // The server's events: a DISCOVER with its OFFER, a REQUEST with its ACK.
  p(0, { type: "dhcp.discover", ip, detail: { arch: 0, reply: "offer", network: "198.18.0.0/24" } });
  p(10, { type: "dhcp.ack", ip, detail: { arch: 0, state: "selecting", network: "198.18.0.0/24" } });
  p(30, { type: "tftp.rrq", ip, detail: { file: "undionly.kpxe", mode: "octet" } });
  p(210, {
    type: "tftp.done",
    ip,
    detail: { file: "undionly.kpxe", bytes: 71_234, duration_ms: 175, blksize: 1432, windowsize: 4 },
  });
  p(900, { type: "dhcp.discover", ip });
  p(940, { type: "dhcp.ack", ip });
  p(1010, {
    type: "http.get",
    ip,
    detail: { path: `/boot/${mac}.ipxe`, kind: "script", status: 200, bytes: 812, duration_ms: 6 },
  });
  p(1010 + 1500 * slow, {
    type: "http.get",
    ip,
    detail: {
      path: `/images/debian/${opts.version}/vmlinuz`,
      kind: "kernel",
      status: 200,
      bytes: 8_123_456,
      duration_ms: 1480 * slow,
    },
  });
  const initrdEnd = 1010 + 1500 * slow + 4200 * slow;
  p(initrdEnd, {
    type: "http.get",
    ip,
    detail: {
      path: `/images/debian/${opts.version}/initrd.img`,
      kind: "initrd",
      status: 200,
      bytes: 31_457_280,
      duration_ms: 4150 * slow,
    },
  });
  p(initrdEnd + 40, {
    type: "http.get",
    ip,
    detail: { path: `/boot/${mac}/layers.cpio`, kind: "layers", status: 200, bytes: 4096, duration_ms: 12 },
  });
  const initrd = initrdEnd + 2100;
  p(initrd, { type: "client.stage", ip, stage: "initrd" });
  p(initrd + 300, { type: "dhcp.discover", ip });
  p(initrd + 340, { type: "dhcp.ack", ip });
  if (opts.fail) {
    p(initrd + 5400, {
      type: "client.stage",
      ip,
      stage: "failed",
      detail: { error: "nbd-client: cannot connect to 127.0.0.1:10809" },
    });
    return t + initrd + 5400;
  }
  p(initrd + 600, {
    type: "nbd.connect",
    ip,
    detail: { export: `debian@${opts.version}`, size: 1_610_612_736, read_only: true },
  });
  p(initrd + 600 + 1400 * slow, { type: "client.stage", ip, stage: "root-mounted" });
  p(initrd + 700 + 1700 * slow, { type: "client.stage", ip, stage: "layers-applied" });
  const up = initrd + 700 + 1700 * slow + 3200;
  p(up, { type: "client.stage", ip, stage: "init" });
  return t + up;
}

async function seed(bus: EventBus, clock: SeedClock, store: Store, recorder: EventRecorder): Promise<void> {
  const now = Date.now();
  // lab3-14: booted two hours ago (V1), shut down, booted again 40 minutes ago (V2), slower.
  const end1 = seedBoot(bus, clock, MAC_14, "198.18.0.14", now - 2 * 3600_000, 1, { version: V1 });
  at(bus, clock, end1 + 3600_000 - 120_000, {
    type: "nbd.disconnect",
    mac: MAC_14,
    ip: "198.18.0.14",
    detail: { export: `debian@${V1}`, bytes_read: 412_000_000, bytes_written: 0, requests: 9000 },
  });
  at(bus, clock, end1 + 3600_000 - 100_000, { type: "dhcp.release", mac: MAC_14, ip: "198.18.0.14" });
  seedBoot(bus, clock, MAC_14, "198.18.0.14", now - 40 * 60_000, 1.6, { version: V2 });
  // lab3-15: one failed boot 20 minutes ago.
  seedBoot(bus, clock, MAC_15, "198.18.0.15", now - 20 * 60_000, 1, { fail: true, version: V2 });
  // An undeclared machine, seen asking for an address.
  at(bus, clock, now - 5 * 60_000, {
    type: "dhcp.discover",
    mac: MAC_SEEN,
    detail: { hostname: "stray-laptop", arch: 7 },
  });
  at(bus, clock, now - 5 * 60_000 + 5, { type: "dhcp.offer", mac: MAC_SEEN, ip: "198.18.0.120" });
  clock.at = null;
  await recorder.flush();

  const lease = (ip: string, mac: string, state: "bound" | "offered" | "expired", hostname: string | null) =>
    store.putLease({
      ip,
      mac,
      network: "198.18.0.0/24",
      state,
      hostname,
      clientId: null,
      start: now - 40 * 60_000,
      expires: state === "expired" ? now - 60_000 : now + 3600_000,
    });
  await lease("198.18.0.14", MAC_14, "bound", "lab3-14");
  await lease("198.18.0.15", MAC_15, "bound", "lab3-15");
  await lease("198.18.0.120", MAC_SEEN, "offered", "stray-laptop");
  await lease("198.18.0.121", "52:54:00:de:ad:01", "expired", null);

  const retention = { perMachine: 1000, total: 100_000 };
  const log = (dt: number, app: string, severity: number, message: string) =>
    store.addLog(
      {
        at: now - 40 * 60_000 + dt,
        mac: MAC_14,
        ip: "198.18.0.14",
        facility: 3,
        severity,
        hostname: "lab3-14",
        app,
        message,
      },
      retention,
    );
  await log(12_000, "kernel", 6, "Linux version 6.1.0-test (debian) #1 SMP");
  await log(14_500, "bootfleet-hook", 5, "root mounted from nbd 127.0.0.1:10809 export debian@" + V2);
  await log(16_000, "systemd", 4, "Timed out waiting for device /dev/disk/by-label/swap");
  await log(18_000, "sshd", 6, "Server listening on 0.0.0.0 port 22.");
}

async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? "";
}

/** Waits until the locator matches n elements (the page updates asynchronously). */
async function countIs(locator: Locator, n: number, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < end) {
    last = await locator.count();
    if (last === n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`expected ${n} elements, still ${last}`);
}

/** Waits until the locator's text matches. */
async function textMatches(locator: Locator, re: RegExp, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: string | null = null;
  while (Date.now() < end) {
    last = (await locator.count()) ? await locator.first().textContent() : null;
    if (last !== null && re.test(last)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`expected text matching ${re}, have ${JSON.stringify(last)}`);
}

describe("admin page in Chromium", () => {
  let tmp: string;
  let server: FleetServer;
  let store: Store;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let catalog: ImageCatalog;
  let planner: FleetBootPlanner;
  const wolSent: { address: string; port: number; bytes: number }[] = [];
  const logger = new MemoryLogger();
  const pageErrors: string[] = [];

  const shot = async (name: string, docs?: string) => {
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, `web-${name}.png`), fullPage: true });
    if (docs && docsShot(docs)) {
      mkdirSync(DOCS, { recursive: true });
      await page.screenshot({ path: join(DOCS, docs), fullPage: false });
    }
  };

  const go = async (hash: string) => {
    await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  };

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: install the Debian package chromium (scripts/test-peers.txt)`,
    );
    tmp = mkdtempSync(join(tmpdir(), `bf-web-${process.pid}-`));
    writeFileSync(join(tmp, "bootfleet.yaml"), CONFIG);
    const dataDir = join(tmp, "var");
    writeImageVersion(dataDir, "debian", V1, 1_400_000);
    writeImageVersion(dataDir, "debian", V2, 1_500_000);
    writeImageVersion(dataDir, "debian", V3, 1_550_000);
    writeImageVersion(dataDir, "tiny", V2, 300_000);
    setCurrentLink(dataDir, "debian", V2);
    setCurrentLink(dataDir, "tiny", V2);

    const config = await loadConfig(join(tmp, "bootfleet.yaml"));
    // The history, written into the config's store before the server starts,
    // as the services of an earlier run would have recorded it; a clock the
    // seed sets gives the events real past times.
    const history = openStore(config);
    await history.migrate();
    const clock = new SeedClock();
    const bus = new EventBus(clock);
    const recorder = new EventRecorder({ store: history, bus, logger });
    try {
      await seed(bus, clock, history, recorder);
    } finally {
      await recorder.close();
      await history.close();
    }

    server = await FleetServer.start({ config, logger, wolSocket: () => recordingSocket(wolSent) });
    store = server.store;
    catalog = server.catalog!;
    planner = server.planner!;
    // Port 0: serve tells clients the port it got, the page's address too.
    base = planner.httpBase;

    context = await chromium.launchPersistentContext(join(tmp, "chromium-profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1366, height: 900 },
      colorScheme: "light",
      reducedMotion: "no-preference",
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    await page.goto(`${base}/#/machines`);
    await page.locator("#live-status[data-state=open]").waitFor();
  });

  after(async () => {
    await context?.close();
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    const errors = logger.records.filter((r) => r.level === "error");
    if (errors.length) console.log("server errors:", JSON.stringify(errors, null, 1));
  });

  it("fleet view lists declared and seen machines with state, group, image and counts", async () => {
    const rows = page.locator("#fleet-table tbody tr[data-mac]");
    await rows.first().waitFor();
    assert.equal(await rows.count(), 5);
    const row = (mac: string) => page.locator(`#fleet-table tbody tr[data-mac="${mac}"]`);
    assert.equal(await row(MAC_14).getAttribute("data-state"), "up");
    assert.equal(await row(MAC_15).getAttribute("data-state"), "failed");
    assert.equal(await row(MAC_16).getAttribute("data-state"), "off");
    assert.equal(await row(MAC_SEEN).getAttribute("data-state"), "dhcp");
    const cells14 = await row(MAC_14).locator("td").allInnerTexts();
    assert.equal(cells14[0], "lab3-14");
    assert.equal(cells14[2], "lab3");
    assert.equal(cells14[3], "debian");
    assert.equal(cells14[4], "198.18.0.14");
    assert.match(await text(row(MAC_SEEN)), /seen/);
    const office = await row("52:54:00:12:34:60").locator("td").allTextContents();
    assert.deepEqual(office.slice(2, 4), ["office", "tiny"]);
    const count = (s: string) => page.locator(`[data-count="${s}"]`).textContent();
    assert.equal(await count("all"), "5");
    assert.equal(await count("up"), "1");
    assert.equal(await count("failed"), "1");
    assert.equal(await count("off"), "2");
    assert.equal(await count("dhcp"), "1");
    await shot("fleet", "fleet.png");

    // Text search, group and state filters.
    await page.fill("#fleet-search", "lab3");
    await countIs(page.locator("#fleet-table tbody tr[data-mac]"), 3);
    await page.fill("#fleet-search", "");
    await page.selectOption("#fleet-group", "office");
    await countIs(page.locator("#fleet-table tbody tr[data-mac]"), 1);
    assert.match(page.url(), /group=office/);
    await page.selectOption("#fleet-group", "");
    // Keyboard: a count button works with Enter and keeps focus.
    await page.locator("button:has([data-count=failed])").focus();
    await page.keyboard.press("Enter");
    await countIs(page.locator("#fleet-table tbody tr[data-mac]"), 1);
    assert.equal(await page.locator("button:has([data-count=failed])").getAttribute("aria-pressed"), "true");
    assert.equal(
      await page.evaluate(
        'document.activeElement?.querySelector("[data-count]")?.getAttribute("data-count")',
      ),
      "failed",
    );
    const outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle");
    assert.equal(outline, "solid", "the focused control shows a visible outline");
    await page.click("text=Clear filters");
    await countIs(page.locator("#fleet-table tbody tr[data-mac]"), 5);
  });

  it("machine view shows the boot timeline, boots compared, effective config with origins, and logs", async () => {
    await page.click(`#fleet-table a[href="#/machines/${encodeURIComponent(MAC_14)}"]`);
    await page.locator("svg.timeline rect.seg").first().waitFor();
    assert.match(await text(page.locator("h1")), /lab3-14\s+up/);
    // One lane per protocol, each with something on it.
    for (const lane of ["dhcp", "tftp", "http", "nbd", "client"]) {
      assert.ok(
        (await page.locator(`svg.timeline rect.seg[data-lane=${lane}]`).count()) > 0,
        `timeline lane ${lane} has segments`,
      );
    }
    const kernel = page.locator('svg.timeline rect.seg[aria-label*="vmlinuz"]');
    const label = (await kernel.getAttribute("aria-label")) ?? "";
    assert.match(label, /8123456 bytes/);
    assert.match(label, /2368 ms/, "the newest boot (1.6 times slower) is shown");
    await kernel.focus();
    assert.match(await text(page.locator("#segment-info")), /vmlinuz/);
    // Two boots, newest first in the selector, compared side by side.
    assert.equal(await page.locator("#boot-select option").count(), 2);
    const compareRows = page.locator("#compare-table tbody tr");
    assert.equal(await compareRows.count(), 2);
    const newest = await compareRows.nth(0).locator("td").allInnerTexts();
    const oldest = await compareRows.nth(1).locator("td").allInnerTexts();
    assert.equal(newest.at(-1), "up");
    assert.equal(oldest.at(-1), "up");
    assert.notEqual(newest[1], oldest[1], "the loading phase differs between the boots");
    // Effective config: key, value, layer and file:line:column.
    const imageRow = await page.locator('#config-table tr[data-key="image"] td').allInnerTexts();
    assert.equal(imageRow[1], "debian");
    assert.equal(imageRow[2], "defaults");
    assert.match(imageRow[3] ?? "", /bootfleet\.yaml:\d+:\d+$/);
    const layout = await page.locator('#config-table tr[data-key="settings.XKBLAYOUT"] td').allInnerTexts();
    assert.deepEqual(layout.slice(1, 3), ["de", "group lab3"]);
    assert.match(
      (await page
        .locator('#config-table tr[data-key="settings.XKBLAYOUT"] td')
        .nth(3)
        .getAttribute("title")) ?? "",
      /bootfleet\.yaml:\d+:\d+$/,
    );
    // Logs.
    await page.locator("#machine-logs pre").waitFor();
    const logs = await text(page.locator("#machine-logs pre"));
    assert.match(logs, /Linux version 6\.1\.0-test/);
    assert.match(logs, /<warning> Timed out waiting/);
    await page.fill("#log-filter", "sshd");
    await countIs(page.locator("#machine-logs pre > div"), 1);
    await page.locator("#m-timeline").scrollIntoViewIfNeeded();
    await shot("machine");
    if (docsShot("machine.png")) {
      mkdirSync(DOCS, { recursive: true });
      await page.evaluate("window.scrollTo(0, 0)");
      await page.screenshot({ path: join(DOCS, "machine.png"), fullPage: false });
    }

    // The older boot in the timeline.
    await page.selectOption("#boot-select", { index: 1 });
    const oldKernel = await page
      .locator('svg.timeline rect.seg[aria-label*="vmlinuz"]')
      .getAttribute("aria-label");
    assert.match(oldKernel ?? "", /1480 ms/);
  });

  it("a failed boot shows as failed with its error", async () => {
    await go(`#/machines/${MAC_15}`);
    await page.locator("svg.timeline rect.seg").first().waitFor();
    const failed = page.locator("svg.timeline rect.lane-error[data-lane=client]");
    assert.match((await failed.getAttribute("aria-label")) ?? "", /failed: nbd-client: cannot connect/);
    assert.equal((await page.locator("#compare-table tbody tr td").allInnerTexts()).at(-1), "failed");
  });

  it("images view switches the current version only with the token (401 without it), and rolls back", async () => {
    await page.click('header nav a[href="#/images"]');
    const debian = page.locator('section[data-image="debian"]');
    await debian.waitFor();
    assert.equal(await debian.locator("[data-current]").textContent(), V2);
    assert.equal(await debian.locator("tbody tr").count(), 3);
    // Who runs what: lab3-14 mounted V2 last.
    assert.match(await text(debian.locator(`tr[data-version="${V2}"]`)), /lab3-14/);
    assert.match(await text(debian.locator(`tr[data-version="${V1}"]`)), /none/);
    await shot("images");

    // The API refuses a switch without the token.
    const status = await page.evaluate(
      async ([v]) =>
        (
          await fetch("/api/v1/images/debian/current", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ version: v }),
          })
        ).status,
      [V3],
    );
    assert.equal(status, 401);

    // Through the page: asked for the token; a wrong one is refused (401) and asked again.
    await debian.locator(`tr[data-version="${V3}"] button`).click();
    const dialog = page.locator("#token-dialog[open]");
    await dialog.waitFor();
    await page.fill("#token-input", "not-the-token-0000000000");
    await page.click('#token-dialog button[value="save"]');
    await textMatches(page.locator("#token-reason"), /401/);
    assert.ok(await page.locator("#token-dialog[open]").isVisible());
    assert.equal(await catalog.current("debian"), V2, "nothing switched with a wrong token");
    await shot("token-refused");
    await page.fill("#token-input", TOKEN);
    await page.click('#token-dialog button[value="save"]');
    await textMatches(debian.locator("[data-current]"), new RegExp(`^${V3}$`));
    assert.equal(await catalog.current("debian"), V3);
    assert.equal(await page.evaluate('sessionStorage.getItem("bootfleet.apiToken")'), TOKEN);
    await textMatches(page.locator("#toast"), /current version is now 20261120-090000/);

    // Roll back to the previous version: no second question, the token is kept for the tab.
    await debian.locator("button[data-action=rollback-previous]").click();
    await textMatches(debian.locator("[data-current]"), new RegExp(`^${V2}$`));
    assert.equal(await catalog.current("debian"), V2);
  });

  it("wakes a machine through the API with the kept token", async () => {
    await go(`#/machines/${MAC_16}`);
    await page.locator("#wake").waitFor();
    await page.click("#wake");
    await textMatches(page.locator("#toast"), /Wake-on-LAN packet sent/);
    // A magic packet (102 bytes) to the broadcast address of lab3-16's network,
    // sent three times as serve does (a switch may drop the first to an idle port).
    const packet = { address: "198.18.0.255", port: 9, bytes: 102 };
    assert.deepEqual(wolSent, [packet, packet, packet]);
    // Setting a host's image is offered only when the API has the route.
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, object>;
    };
    const offered = "put" in (doc.paths["/machines/{id}/image"] ?? {});
    assert.equal(await page.locator("#set-image").isDisabled(), !offered);
    if (!offered)
      assert.match(await text(page.locator("#set-image-note")), /PUT \/api\/v1\/machines\/\{id\}\/image/);
    // Without the token the route is closed too.
    const res = await fetch(`${base}/api/v1/machines/${MAC_16}/wake`, { method: "POST" });
    assert.equal(res.status, 401);
  });

  it("sets a machine's image through the page; its config shows where it came from", async () => {
    await go(`#/machines/${MAC_15}`);
    await page.locator("#set-image:not([disabled])").waitFor();
    const imageRow = page.locator('#config-table tr[data-key="image"] td');
    await textMatches(imageRow.nth(1), /^debian$/);
    // The images offered are the API's list.
    assert.deepEqual(await page.locator("#set-image-select option").allTextContents(), ["debian", "tiny"]);
    await page.selectOption("#set-image-select", "tiny");
    await page.click("#set-image");
    await textMatches(page.locator("#toast"), /lab3-15 boots tiny from its next boot/);
    await textMatches(imageRow.nth(1), /^tiny$/);
    const layer = await text(imageRow.nth(2));
    assert.match(layer, /^api set via API by api-token from 127\.0\.0\.1 at \d{4}-\d\d-\d\dT[\d:.]+Z$/);
    assert.equal(await text(imageRow.nth(3)), "admin page / API");
    await textMatches(page.locator("dl.facts dd").nth(4), /^tiny$/);
    await shot("machine-image-set");

    // Kept in the store, and what the machine gets on its next boot.
    const kept = await store.listMachineOverrides();
    assert.deepEqual(
      kept.map((o) => [o.mac, o.image, o.setBy]),
      [[MAC_15, "tiny", "api-token from 127.0.0.1"]],
    );
    const plan = planner.decide({ mac: MAC_15, ip: "198.18.0.15", arch: 0 }).plan;
    assert.equal(plan?.entries[0]?.image.name, "tiny");
    const cfg = (await (await fetch(`${base}/api/v1/machines/${MAC_15}/config`)).json()) as {
      config: { image: { value: string; origin: { layer: string; name: string } } };
    };
    assert.equal(cfg.config.image.origin.layer, "api");
    assert.equal(`api ${cfg.config.image.origin.name}`, layer);
    // Without the token the route is closed.
    const res = await fetch(`${base}/api/v1/machines/${MAC_15}/image`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image: "debian" }),
    });
    assert.equal(res.status, 401);

    // Back to what the config says.
    await page.click("#clear-image");
    await textMatches(imageRow.nth(2), /^defaults$/);
    assert.equal(await text(imageRow.nth(1)), "debian");
    assert.deepEqual(await store.listMachineOverrides(), []);
  });

  it("leases view searches and filters", async () => {
    await page.click('header nav a[href="#/leases"]');
    await page.locator("#leases-table tbody tr[data-ip]").first().waitFor();
    assert.equal(await page.locator("#leases-table tbody tr[data-ip]").count(), 4);
    await page.fill("#lease-search", "stray");
    await countIs(page.locator("#leases-table tbody tr[data-ip]"), 1);
    assert.match(await text(page.locator("#leases-table tbody tr[data-ip]")), /198\.18\.0\.120/);
    await page.fill("#lease-search", "");
    await page.selectOption("#lease-state", "bound");
    await countIs(page.locator("#leases-table tbody tr[data-ip]"), 2);
    await shot("leases");
  });

  it("events view searches the stored events", async () => {
    await page.click('header nav a[href="#/events"]');
    await page.locator("#events-table tbody tr[data-id]").first().waitFor();
    // Kernel downloads: lab3-14's two boots and lab3-15's one.
    await page.fill("#event-search", "vmlinuz");
    await countIs(page.locator("#events-table tbody tr[data-id]"), 3);
    await page.fill("#event-search", "");
    await page.selectOption("#event-protocol", "client");
    const types = await page.locator("#events-table tbody tr[data-id] td:nth-child(2)").allInnerTexts();
    assert.ok(types.length > 0 && types.every((t) => t === "client.stage"));
    await shot("events");
  });

  it("live: the fleet view follows a machine's state as client stages are posted", async () => {
    await page.click('header nav a[href="#/machines"]');
    const row = page.locator(`#fleet-table tbody tr[data-mac="${MAC_16}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute("data-state"), "off");
    for (const [stage, state] of [
      ["initrd", "loading"],
      ["root-mounted", "root-mounted"],
      ["init", "up"],
    ] as const) {
      const res = await fetch(`${base}/api/v1/machines/${MAC_16}/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ stage }),
      });
      assert.equal(res.status, 202, await res.text());
      await page.locator(`#fleet-table tbody tr[data-mac="${MAC_16}"][data-state="${state}"]`).waitFor();
    }
    assert.equal(await page.locator('[data-count="up"]').textContent(), "2");
    assert.equal(await page.locator('[data-count="off"]').textContent(), "1");
    // The machine view of that machine draws the new boot's client stages.
    await go(`#/machines/${MAC_16}`);
    await page.locator("svg.timeline rect.seg[data-lane=client]").first().waitFor();
    assert.equal(await page.locator("svg.timeline rect.seg[data-lane=client]").count(), 3);
  });

  it("dark scheme and reduced motion: other colours, no animation", async () => {
    await page.click('header nav a[href="#/machines"]');
    await page.locator("#fleet-table tbody tr[data-mac]").first().waitFor();
    const light = await page.evaluate("getComputedStyle(document.documentElement).backgroundColor");
    await page.emulateMedia({ colorScheme: "dark", reducedMotion: "reduce" });
    const dark = await page.evaluate("getComputedStyle(document.documentElement).backgroundColor");
    assert.notEqual(dark, light);
    const animation = await page.evaluate(`(() => {
      const tr = document.querySelector("#fleet-table tbody tr");
      tr.classList.add("changed");
      return getComputedStyle(tr).animationName;
    })()`);
    assert.equal(animation, "none");
    await shot("fleet-dark");
    await page.emulateMedia({ colorScheme: "light", reducedMotion: "no-preference" });
    assert.deepEqual(pageErrors, [], "no uncaught errors in the page");
  });
});
