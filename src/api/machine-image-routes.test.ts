/**
 * PUT /api/v1/machines/<id>/image in process (fastify inject()), beside the
 * API's own plugin as `bootfleet serve` registers them, against the real
 * config loader, resolver and planner, a MemoryStore and image files on disk.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { API_TOKEN, apiFleet } from "../../test/fixtures/boot/api-fleet.js";
import { type DiskImages, diskImages } from "../../test/fixtures/boot/http-harness.js";
import { FleetBootPlanner } from "../boot/fleet-boot-planner.js";
import { explainMachine } from "../config/explain-machine.js";
import { MachineOverrides } from "../config/machine-overrides.js";
import { FleetResolver } from "../config/resolve-machine.js";
import { type BootEvent, EventBus } from "../events/event-bus.js";
import { ClientIdentity } from "../identity/client-identity.js";
import { MemoryLogger } from "../logging/logger.js";
import { MemoryStore } from "../store/memory/memory-store.js";
import { registerApi } from "./api-routes.js";
import { registerMachineImageRoutes } from "./machine-image-routes.js";

const LAB3_14 = "52:54:00:12:34:56"; // declared, seen
const STRANGER = "02:00:00:00:00:99"; // not declared, seen
const AT = Date.UTC(2026, 10, 20, 9, 30, 0);
const auth = { authorization: `Bearer ${API_TOKEN}` };

interface Harness {
  readonly app: FastifyInstance;
  readonly store: MemoryStore;
  readonly overrides: MachineOverrides;
  readonly resolver: FleetResolver;
  readonly planner: FleetBootPlanner;
  readonly published: BootEvent[];
  readonly images: DiskImages;
  close(): Promise<void>;
}

/** The two plugins the way fleet-server.ts registers them, on one overrides map loaded from the store. */
async function start(store = new MemoryStore(), token: string | null = API_TOKEN): Promise<Harness> {
  const tmp = mkdtempSync(join(tmpdir(), "bf-image-set-"));
  const images = diskImages(join(tmp, "images"));
  for (const name of ["debian", "trusty-amd64", "trusty-i386", "built-only"])
    images.add(name, "1", Buffer.from("kernel"), Buffer.from("initrd"));
  const { config } = apiFleet(token);
  const overrides = new MachineOverrides(await store.listMachineOverrides());
  const resolver = new FleetResolver(config, overrides);
  const logger = new MemoryLogger();
  const bus = new EventBus();
  const published: BootEvent[] = [];
  bus.subscribe((e) => published.push(e));
  const planner = new FleetBootPlanner({
    config,
    resolver,
    images,
    logger,
    ipxeDir: "/usr/lib/ipxe",
    httpBase: "http://198.18.50.1:8080",
  });
  const app = Fastify();
  const common = { config, resolver, planner, store, bus, logger, token: token ?? undefined };
  const identity = await ClientIdentity.open({ config, store, logger });
  app.register(async (api) => registerApi(api, { ...common, images, identity }), { prefix: "/api/v1" });
  app.register(
    async (api) => registerMachineImageRoutes(api, { ...common, overrides, images, now: () => AT }),
    { prefix: "/api/v1" },
  );
  await app.ready();
  return {
    app,
    store,
    overrides,
    resolver,
    planner,
    published,
    images,
    async close() {
      await app.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

describe("PUT /api/v1/machines/<id>/image (inject)", () => {
  let h: Harness;
  before(async () => {
    const store = new MemoryStore();
    await store.noteMachine({ mac: LAB3_14, ip: "198.18.50.14", arch: 7, state: "up", at: 1000 });
    await store.noteMachine({ mac: STRANGER, ip: "198.18.50.120", hostname: "stranger", at: 2000 });
    h = await start(store);
  });
  after(async () => {
    await h?.close();
  });

  const put = (id: string, payload: Record<string, unknown>, headers: Record<string, string> = auth) =>
    h.app.inject({
      method: "PUT",
      url: `/api/v1/machines/${encodeURIComponent(id)}/image`,
      payload,
      headers,
    });

  it("needs the token: 401 without it or with a wrong one, nothing changed", async () => {
    const none = await put("lab3-14", { image: "trusty-amd64" }, {});
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().error.code, "UNAUTHORIZED");
    const wrong = await put("lab3-14", { image: "trusty-amd64" }, { authorization: "Bearer nope-0000" });
    assert.equal(wrong.statusCode, 401);
    assert.deepEqual(await h.store.listMachineOverrides(), []);
    assert.equal(h.overrides.size, 0);
  });

  it("404 MACHINE_NOT_FOUND for a machine neither declared nor seen, or a host with no MAC yet", async () => {
    for (const id of ["02:00:00:00:00:01", "nosuchhost", "198.18.50.77", "lab3-16"]) {
      const r = await put(id, { image: "debian" });
      assert.equal(r.statusCode, 404, id);
      assert.equal(r.json().error.code, "MACHINE_NOT_FOUND", id);
    }
  });

  it("404 IMAGE_NOT_FOUND for an image neither declared nor built; 400 for a malformed body", async () => {
    const r = await put("lab3-14", { image: "no-such-image" });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error.code, "IMAGE_NOT_FOUND");
    assert.match(r.json().error.message, /no-such-image/);
    for (const body of [{}, { image: "" }, { image: 3 }, { image: "../etc" }, { image: "debian", x: 1 }]) {
      const bad = await put("lab3-14", body);
      assert.equal(bad.statusCode, 400, JSON.stringify(body));
      assert.equal(bad.json().error.code, "INVALID_BODY");
    }
    assert.deepEqual(await h.store.listMachineOverrides(), []);
  });

  it("200 with the machine as GET answers it; the resolver and planner give the new image", async () => {
    const before = h.planner.decide({ mac: LAB3_14, ip: "198.18.50.14", arch: 7 });
    assert.equal(before.plan?.entries[0]?.image.name, "debian");

    const r = await put("lab3-14", { image: "trusty-amd64" });
    assert.equal(r.statusCode, 200, r.body);
    const { machine } = r.json();
    assert.equal(machine.image, "trusty-amd64");
    assert.equal(machine.mac, LAB3_14);
    assert.equal(machine.host, "lab3-14");
    const get = await h.app.inject({ url: "/api/v1/machines/lab3-14" });
    assert.deepEqual(r.json(), get.json(), "the same body as GET /machines/<id>");
    assert.equal(machine.boot.entries[0].image, "trusty-amd64");

    // Kept in the store and in the resolver's map.
    const by = "api-token from 127.0.0.1";
    assert.deepEqual(await h.store.listMachineOverrides(), [
      { mac: LAB3_14, image: "trusty-amd64", setAt: AT, setBy: by },
    ]);
    const m = h.resolver.resolve({ mac: LAB3_14 });
    assert.equal(m.image?.value, "trusty-amd64");
    assert.deepEqual(m.image?.origin, {
      layer: "api",
      name: `set via API by ${by} at 2026-11-20T09:30:00.000Z`,
      at: undefined,
    });
    // What DHCP and HTTP would hand it on its next boot.
    const plan = h.planner.decide({ mac: LAB3_14, ip: "198.18.50.14", arch: 7 }).plan;
    assert.equal(plan?.entries[0]?.image.name, "trusty-amd64");
    assert.match(plan?.entries[0]?.kernel.url ?? "", /trusty-amd64/);
    // The effective config and explain name the origin.
    const cfg = (await h.app.inject({ url: "/api/v1/machines/lab3-14/config" })).json().config;
    assert.deepEqual(cfg.image, {
      value: "trusty-amd64",
      origin: { layer: "api", name: `set via API by ${by} at 2026-11-20T09:30:00.000Z` },
    });
    assert.equal(explainMachine(m).values.find((v) => v.key === "image")?.layer, "api");
    // The event, with what it booted before.
    const ev = h.published.filter((e) => e.type === "api.image-set");
    assert.deepEqual(
      ev.map((e) => [e.mac, e.detail]),
      [[LAB3_14, { image: "trusty-amd64", previous: "debian" }]],
    );
  });

  it("takes an undeclared machine by MAC and an image that is only built, not declared", async () => {
    const r = await put(STRANGER, { image: "built-only" });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().machine.image, "built-only");
    assert.equal(r.json().machine.declared, false);
    assert.equal(h.resolver.resolve({ mac: STRANGER }).image?.value, "built-only");
  });

  it("null clears the override and the config decides again", async () => {
    const r = await put("52-54-00-12-34-56", { image: null });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().machine.image, "debian");
    assert.equal(h.resolver.resolve({ mac: LAB3_14 }).image?.origin.layer, "defaults");
    assert.deepEqual(
      (await h.store.listMachineOverrides()).map((o) => o.mac),
      [STRANGER],
    );
    const last = h.published.filter((e) => e.type === "api.image-set").at(-1);
    assert.deepEqual(last?.detail, { image: null, previous: "trusty-amd64" });
  });

  it("a server started on the same store boots what was set", async () => {
    const again = await start(h.store);
    try {
      assert.equal(again.resolver.resolve({ mac: STRANGER }).image?.value, "built-only");
      assert.equal(again.resolver.resolve({ mac: LAB3_14 }).image?.value, "debian");
    } finally {
      await again.close();
    }
  });
});

describe("PUT /api/v1/machines/<id>/image without a token configured", () => {
  it("is off (403 WRITE_API_DISABLED)", async () => {
    const h = await start(new MemoryStore(), null);
    try {
      const r = await h.app.inject({
        method: "PUT",
        url: "/api/v1/machines/lab3-14/image",
        payload: { image: "debian" },
      });
      assert.equal(r.statusCode, 403);
      assert.equal(r.json().error.code, "WRITE_API_DISABLED");
    } finally {
      await h.close();
    }
  });
});
