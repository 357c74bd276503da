/**
 * Secrets and the read policy on the admin page, in Debian's Chromium
 * (headless, driven by playwright-core), against `bootfleet serve`'s own
 * wiring (FleetServer) with HTTP on 127.0.0.1 port 0 and the other services
 * off, for a host `victim` with a secret setting (LDM_PASSWORD) and a secret
 * file (/etc/secret, mode 0600):
 *   - services.api.read: open: the page works without a token, shows the
 *     secrets as "(secret)" and never has them in the document; its "Show
 *     with the API token" asks for the token and then shows them;
 *   - services.api.read: token: the page asks for the token before it shows
 *     anything, then lists the fleet and follows the live event stream with
 *     the token (an EventSource cannot send one).
 *
 * Peer: chromium (scripts/test-peers.txt). Network: 127.0.0.1 only.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { loadConfig } from "../../src/config/load-config.js";
import { MemoryLogger } from "../../src/logging/logger.js";
import { FleetServer } from "../../src/server/fleet-server.js";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "web-secrets-token-0123456789abcdef";
const VICTIM = "52:54:00:00:0f:11";
const PASSWORD = "ldm-password-the-page-must-not-show";
const FILE_SECRET = "content-of-etc-secret-on-the-page";

const config = (read: "open" | "token") => `server:
  address: 127.0.0.1
  data_dir: ./var
services:
  http: { bind: 127.0.0.1, port: 0 }
  dhcp: { mode: off }
  tftp: { enabled: false }
  nbd: { enabled: false }
  syslog: { enabled: false }
  api: { token: ${TOKEN}, read: ${read} }
images: { debian: {} }
networks:
  - subnet: 198.18.52.0/24
defaults:
  image: debian
  settings: { XKBLAYOUT: de }
hosts:
  victim:
    mac: "${VICTIM}"
    ip: 198.18.52.10
    settings: { LDM_PASSWORD: ${PASSWORD} }
    files:
      /etc/secret: { content: "${FILE_SECRET}\\n", mode: "0600" }
`;

/** Polls until `check` holds (the page updates asynchronously). */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? "";
}

async function saveToken(page: Page): Promise<void> {
  await page.locator("#token-dialog[open]").waitFor();
  await page.fill("#token-input", TOKEN);
  await page.click('#token-dialog button[value="save"]');
  await page.locator("#token-dialog[open]").waitFor({ state: "detached" });
}

describe("admin page: secrets and the read policy, in Chromium", () => {
  let tmp: string;
  let context: BrowserContext;
  const servers: FleetServer[] = [];
  const logger = new MemoryLogger();
  const pageErrors: string[] = [];

  /** A server with the given read policy; its page's address. */
  const serve = async (read: "open" | "token"): Promise<string> => {
    const dir = join(tmp, read);
    const file = join(tmp, `${read}.yaml`);
    writeFileSync(file, config(read).replace("./var", dir));
    const server = await FleetServer.start({ config: await loadConfig(file, { env: {} }), logger });
    servers.push(server);
    return server.planner!.httpBase;
  };

  const newPage = async (): Promise<Page> => {
    const page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    return page;
  };

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: install the Debian package chromium (scripts/test-peers.txt)`,
    );
    tmp = mkdtempSync(join(tmpdir(), `bf-web-secrets-${process.pid}-`));
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
    });
  });

  after(async () => {
    await context?.close();
    for (const s of servers) await s.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("read: open: the machine's config reads (secret) until the token is given", async () => {
    const base = await serve("open");
    const page = await newPage();
    await page.goto(`${base}/#/machines/victim`);
    const pw = page.locator('#config-table tr[data-key="settings.LDM_PASSWORD"]');
    const file = page.locator('#config-table tr[data-key="files./etc/secret"]');
    await pw.waitFor();
    assert.equal(await pw.getAttribute("data-secret"), "hidden");
    assert.match(await text(pw), /\(secret\)/);
    assert.match(await text(pw), /Show with the API token/);
    assert.match(await text(file), /\(secret\) \(mode 0600\)/);
    assert.match(
      await text(page.locator('#config-table tr[data-key="settings.XKBLAYOUT"] td').nth(1)),
      /^de$/,
    );
    const html = await page.content();
    assert.ok(!html.includes(PASSWORD) && !html.includes(FILE_SECRET), "a secret is in the page");

    await pw.locator("button").click();
    await saveToken(page);
    await eventually("the password shown", async () => (await pw.getAttribute("data-secret")) === "shown");
    assert.match(await text(pw), new RegExp(PASSWORD));
    assert.match(await text(file), new RegExp(FILE_SECRET));
    assert.match(await text(pw), /secret/, "still marked secret");
    await page.close();
  });

  it("read: token: the page asks for the token first, then lists the fleet and follows events", async () => {
    const base = await serve("token");
    const page = await newPage();
    await page.goto(`${base}/#/machines`);
    await page.locator("#token-dialog[open]").waitFor();
    assert.match(await text(page.locator("#token-reason")), /services\.api\.read: token/);
    assert.equal(
      await page.locator("#fleet-table tbody tr[data-mac]").count(),
      0,
      "nothing before the token",
    );
    await saveToken(page);
    await page.locator(`#fleet-table tbody tr[data-mac="${VICTIM}"]`).waitFor();
    // The live stream needs the token too: it is read with fetch() once one is kept.
    await page.locator("#live-status[data-state=open]").waitFor();
    const server = servers.at(-1)!;
    server.bus.publish({ type: "client.stage", mac: VICTIM, ip: "198.18.52.10", stage: "root-mounted" });
    await eventually("the stage report in the fleet view", async () => {
      const state = await page
        .locator(`#fleet-table tbody tr[data-mac="${VICTIM}"]`)
        .getAttribute("data-state");
      return state === "root-mounted";
    });
    await page.goto(`${base}/#/machines/victim`);
    await page.locator('#config-table tr[data-key="settings.LDM_PASSWORD"][data-secret="shown"]').waitFor();
    await page.close();
    assert.deepEqual(pageErrors, []);
  });
});
