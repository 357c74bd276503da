/**
 * The read policy (services.api.read) and secret redaction on every read
 * route, in process (inject()): the HTTP service with the API and the
 * routes bootfleet serve registers beside it (logs and wake, a machine's
 * image), over the real config loader and resolver, a MemoryStore and a
 * host `victim` with a secret setting and a secret file.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { fakeImages } from "../../test/fixtures/boot/fleet-fixture.js";
import { FleetBootPlanner } from "../boot/fleet-boot-planner.js";
import { decodeCpioNewc } from "../boot/cpio-newc.js";
import { loadConfigFromString } from "../config/load-config.js";
import { MachineOverrides } from "../config/machine-overrides.js";
import { FleetResolver } from "../config/resolve-machine.js";
import { EventBus } from "../events/event-bus.js";
import { ClientIdentity } from "../identity/client-identity.js";
import { MemoryLogger } from "../logging/logger.js";
import { createAdminHttp } from "../server/admin-http.js";
import { MemoryStore } from "../store/memory/memory-store.js";
import { readAccess } from "./api-auth.js";
import { REDACTED } from "./machine-view.js";

const TOKEN = "secrets-test-token-0123456789";
const VICTIM = "52:54:00:00:0f:01";
const PASSWORD = "hunter2-ldm-password";
const FILE_SECRET = "the-content-of-etc-secret";
const PSK = "wifi-psk-on-the-command-line";

const fleet = (read: "open" | "token" | undefined) => `
server: { address: 198.18.52.1, data_dir: /nonexistent/bootfleet-secrets-test }
services:
  api: { token: ${TOKEN}${read ? `, read: ${read}` : ""} }
images: { debian: {} }
networks:
  - subnet: 198.18.52.0/24
defaults:
  image: debian
  settings: { XKBLAYOUT: de, BOOTFLEET_WIFI_PSK: { value: ${PSK}, secret: true } }
hosts:
  victim:
    mac: "${VICTIM}"
    ip: 198.18.52.10
    settings: { LDM_PASSWORD: ${PASSWORD} }
    files:
      /etc/secret: { content: "${FILE_SECRET}\\n", mode: "0600" }
      /etc/motd: "welcome\\n"
`;

/** Every read route, as the page and `curl` use them. */
const READS = [
  "/api/v1/machines",
  "/api/v1/machines/victim",
  `/api/v1/machines/${VICTIM}`,
  "/api/v1/machines/victim/config",
  "/api/v1/machines/198.18.52.10/config",
  "/api/v1/machines/victim/events",
  "/api/v1/machines/victim/logs",
  "/api/v1/events",
  `/api/v1/events?mac=${VICTIM}`,
  "/api/v1/leases",
  "/api/v1/images",
  "/api/v1/images/debian",
];

async function serve(read: "open" | "token" | undefined): Promise<FastifyInstance> {
  const config = loadConfigFromString(fleet(read), "/etc/bootfleet/secrets.yaml", {
    skipImageCheck: true,
    env: {},
  });
  const resolver = new FleetResolver(config);
  const store = new MemoryStore();
  const bus = new EventBus();
  const logger = new MemoryLogger();
  const images = fakeImages();
  const planner = new FleetBootPlanner({ config, resolver, images, logger });
  await store.noteMachine({ mac: VICTIM, ip: "198.18.52.10", state: "up", at: 1000 });
  await store.addEvent({ at: 1000, type: "client.stage", protocol: "http", mac: VICTIM, stage: "up" });
  const identity = await ClientIdentity.open({ config, store, logger });
  const overrides = new MachineOverrides();
  const app = createAdminHttp({ config, resolver, planner, store, bus, images, logger, identity, overrides });
  await app.ready();
  return app;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function assertNoSecret(body: string, what: string): void {
  for (const secret of [PASSWORD, FILE_SECRET, PSK]) {
    assert.ok(!body.includes(secret), `${what} shows ${secret}`);
    assert.ok(
      !body.includes(Buffer.from(`${secret}\n`).toString("base64")),
      `${what} shows ${secret} (base64)`,
    );
  }
}

describe("readAccess", () => {
  it("open: anyone reads, secrets only with the token; token: nothing without it; a wrong token never", () => {
    assert.deepEqual(readAccess(undefined, TOKEN, "open"), { secrets: false });
    assert.deepEqual(readAccess(undefined, TOKEN, undefined), { secrets: false }, "the schema's default");
    assert.deepEqual(readAccess(undefined, undefined, "open"), { secrets: false });
    assert.deepEqual(readAccess(`Bearer ${TOKEN}`, TOKEN, "open"), { secrets: true });
    assert.deepEqual(readAccess(`Bearer ${TOKEN}`, TOKEN, "token"), { secrets: true });
    assert.throws(() => readAccess(undefined, TOKEN, "token"), /services\.api\.read: token/);
    assert.throws(() => readAccess(undefined, undefined, "token"), { code: "UNAUTHORIZED" });
    assert.throws(() => readAccess("Bearer wrong-token-000000000", TOKEN, "open"), { code: "UNAUTHORIZED" });
  });
});

describe("read: open (the default)", () => {
  let app: FastifyInstance;
  before(async () => {
    app = await serve(undefined);
  });
  after(async () => {
    await app?.close();
  });

  it("every read route answers without a token and shows no secret", async () => {
    for (const url of READS) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
      assertNoSecret(r.body, url);
    }
    assert.equal((await app.inject({ url: "/api/v1" })).json().read_api, "open");
  });

  it("the config says which values are secret and that the token shows them", async () => {
    const { config } = (await app.inject({ url: "/api/v1/machines/victim/config" })).json();
    assert.deepEqual(
      { ...config.settings.LDM_PASSWORD, origin: undefined },
      { value: REDACTED, secret: true, redacted: true, origin: undefined },
    );
    assert.equal(config.settings.XKBLAYOUT.value, "de");
    assert.equal(config.settings.XKBLAYOUT.secret, undefined);
    const file = config.files["/etc/secret"];
    assert.equal(file.content, REDACTED);
    assert.equal(file.size, undefined, "not even its size");
    assert.equal(file.mode, "0600");
    assert.equal(config.files["/etc/motd"].content, "welcome\n");
    assert.match(config.redacted, /send the API token/);
  });

  it("with the token the config shows them, marked secret", async () => {
    const r = await app.inject({ url: "/api/v1/machines/victim/config", headers: bearer(TOKEN) });
    const { config } = r.json();
    assert.equal(config.settings.LDM_PASSWORD.value, PASSWORD);
    assert.equal(config.settings.LDM_PASSWORD.secret, true);
    assert.equal(config.files["/etc/secret"].content, `${FILE_SECRET}\n`);
    assert.equal(config.redacted, undefined);
  });

  it("a wrong token is refused on every read, so a stale one is noticed", async () => {
    for (const url of READS) {
      const r = await app.inject({ url, headers: bearer("not-the-token-0000000000") });
      assert.equal(r.statusCode, 401, url);
      assert.equal(r.json().error.code, "UNAUTHORIZED");
    }
  });

  it("the boot files any address may fetch hold no secret", async () => {
    const script = await app.inject({ url: `/boot/${VICTIM}.ipxe` });
    assert.equal(script.statusCode, 200);
    assertNoSecret(script.body, "the iPXE script");
    const cpio = await app.inject({ url: `/boot/${VICTIM}/layers.cpio` });
    assert.equal(cpio.statusCode, 200);
    const entries = decodeCpioNewc(cpio.rawPayload);
    assert.ok(entries.some((e) => e.name === "bootfleet/layers/etc/motd"));
    assert.ok(!entries.some((e) => e.name === "bootfleet/layers/etc/secret"));
    for (const e of entries) if (e.data) assertNoSecret(e.data.toString(), e.name);
  });
});

describe("read: token", () => {
  let app: FastifyInstance;
  before(async () => {
    app = await serve("token");
  });
  after(async () => {
    await app?.close();
  });

  it("every read route (and the event stream) needs the token", async () => {
    for (const url of [...READS, "/api/v1/events/stream"]) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 401, url);
      assert.equal(r.json().error.code, "UNAUTHORIZED", url);
      assert.match(r.json().error.message, /services\.api\.read: token/);
    }
    for (const url of READS) {
      const r = await app.inject({ url, headers: bearer(TOKEN) });
      assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
    }
  });

  it("what only describes the API stays open, and says reads need the token", async () => {
    const index = await app.inject({ url: "/api/v1" });
    assert.equal(index.statusCode, 200);
    assert.equal(index.json().read_api, "token");
    assert.equal((await app.inject({ url: "/api/v1/openapi.json" })).statusCode, 200);
  });

  it("boot files stay reachable without a token (machines fetch them), still without secrets", async () => {
    const cpio = await app.inject({ url: `/boot/${VICTIM}/layers.cpio` });
    assert.equal(cpio.statusCode, 200);
    for (const e of decodeCpioNewc(cpio.rawPayload)) if (e.data) assertNoSecret(e.data.toString(), e.name);
  });
});
