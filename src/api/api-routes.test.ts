/**
 * The REST API in process (fastify inject()), against the real config loader
 * and resolver, a MemoryStore and the EventRecorder.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { API_TOKEN, apiFleet } from "../../test/fixtures/boot/api-fleet.js";
import { type HttpHarness, startHttp } from "../../test/fixtures/boot/http-harness.js";
import Fastify from "fastify";
import { MachineOverrides } from "../config/machine-overrides.js";
import { ClientIdentity } from "../identity/client-identity.js";
import { API_ERRORS } from "./api-errors.js";
import { registerApi } from "./api-routes.js";
import { type ImageAdmin, ImageVersionMissing } from "./image-admin.js";
import { registerMachineImageRoutes } from "./machine-image-routes.js";
import { openApiDocument } from "./openapi.js";
import { registerWebAdminRoutes } from "./web-admin-routes.js";

const auth = { authorization: `Bearer ${API_TOKEN}` };

function fakeAdmin(switched: [string, string][]): ImageAdmin {
  return {
    list: async () => [
      {
        name: "debian",
        current: "2024.06.01",
        versions: [{ version: "2024.05.30" }, { version: "2024.06.01" }],
      },
      { name: "broken", current: null, versions: [{ version: "1" }] },
    ],
    use: async (name, version) => {
      if (name === "broken") throw new Error("disk full");
      if (version === "gone") throw new ImageVersionMissing("removed meanwhile");
      switched.push([name, version]);
    },
  };
}

describe("REST API (inject)", () => {
  let h: HttpHarness;
  const switched: [string, string][] = [];
  before(async () => {
    const { config, resolver } = apiFleet();
    h = await startHttp({
      config,
      resolver,
      imageAdmin: () => fakeAdmin(switched),
      extra: {},
    });
    await h.store.noteMachine({
      mac: "52:54:00:12:34:56",
      ip: "198.18.50.14",
      arch: 7,
      state: "up",
      at: 1000,
    });
    await h.store.noteMachine({
      mac: "02:00:00:00:00:99",
      ip: "198.18.50.120",
      hostname: "stranger",
      state: "dhcp",
      at: 2000,
    });
  });
  after(async () => {
    await h?.close();
  });

  it("lists declared hosts and seen machines, merged", async () => {
    const r = await h.app.inject({ url: "/api/v1/machines" });
    assert.equal(r.statusCode, 200);
    const { machines } = r.json() as { machines: Record<string, unknown>[] };
    const byName = new Map(machines.map((m) => [m.host ?? m.mac, m]));
    assert.equal(machines.length, 4);
    assert.deepEqual(
      { ...byName.get("lab3-14"), first_seen: 0, last_seen: 0 },
      {
        mac: "52:54:00:12:34:56",
        hostname: "lab3-14",
        ip: "198.18.50.14",
        declared: true,
        host: "lab3-14",
        groups: ["lab3"],
        image: "debian",
        state: "up",
        arch: 7,
        first_seen: 0,
        last_seen: 0,
      },
    );
    assert.equal(byName.get("lab3-15")?.state, "off", "declared, never seen");
    assert.equal(byName.get("lab3-16")?.mac, null, "declared without a MAC");
    assert.equal(byName.get("02:00:00:00:00:99")?.declared, false);
    assert.equal(byName.get("02:00:00:00:00:99")?.hostname, "stranger");
  });

  it("finds one machine by MAC (any spelling), hostname or IP, with its boot plan", async () => {
    for (const id of ["52:54:00:12:34:56", "52-54-00-12-34-56", "525400123456", "lab3-14", "198.18.50.14"]) {
      const r = await h.app.inject({ url: `/api/v1/machines/${encodeURIComponent(id)}` });
      assert.equal(r.statusCode, 200, id);
      const { machine } = r.json() as { machine: { mac: string; boot: Record<string, unknown> } };
      assert.equal(machine.mac, "52:54:00:12:34:56", id);
      assert.equal(machine.boot.bootable, true);
      assert.equal(machine.boot.boot_file, "ipxe.efi", "arch 7 from the store");
    }
    const stranger = await h.app.inject({ url: "/api/v1/machines/198.18.50.120" });
    assert.equal(stranger.statusCode, 200);
  });

  it("answers 404 MACHINE_NOT_FOUND with a JSON error body for an unknown machine", async () => {
    for (const id of ["52:54:00:aa:bb:cc", "nosuchhost", "198.18.50.250"]) {
      const r = await h.app.inject({ url: `/api/v1/machines/${id}` });
      assert.equal(r.statusCode, 404);
      assert.match(r.headers["content-type"] as string, /^application\/json/);
      const body = r.json() as { error: { code: string; message: string } };
      assert.equal(body.error.code, "MACHINE_NOT_FOUND");
      assert.match(body.error.message, new RegExp(`no machine "${id}"`));
      for (const sub of ["config", "events"]) {
        assert.equal(
          (await h.app.inject({ url: `/api/v1/machines/${id}/${sub}` })).json().error.code,
          "MACHINE_NOT_FOUND",
        );
      }
    }
  });

  it("gives the effective config with the origin of every value", async () => {
    const r = await h.app.inject({ url: "/api/v1/machines/lab3-14/config" });
    assert.equal(r.statusCode, 200);
    // biome-ignore lint/suspicious/noExplicitAny: JSON from the API, walked by the assertions
    const { config } = r.json() as { config: Record<string, any> };
    assert.equal(config.settings.XKBLAYOUT.value, "de");
    assert.equal(config.settings.XKBLAYOUT.origin.layer, "group");
    assert.equal(config.settings.XKBLAYOUT.origin.name, "lab3");
    assert.equal(config.settings.XKBLAYOUT.origin.file, "/etc/bootfleet/api-test.yaml");
    assert.equal(typeof config.settings.XKBLAYOUT.origin.line, "number");
    assert.deepEqual(config.files["/etc/motd"].content, "lab 3\n");
    assert.equal(config.files["/etc/motd"].mode, "0644");
    assert.equal(config.kernel_args[0].value, "quiet");
    assert.equal(config.kernel_args[0].origin.layer, "host");
    assert.equal(config.image.origin.layer, "defaults");
    const noMac = await h.app.inject({ url: "/api/v1/machines/lab3-16/config" });
    assert.equal(noMac.statusCode, 404);
    assert.match(noMac.json().error.message, /no MAC address/);
  });

  it("lists images; switching needs the token and reaches the images module", async () => {
    const list = await h.app.inject({ url: "/api/v1/images" });
    assert.equal(list.json().images[0].name, "debian");
    assert.equal((await h.app.inject({ url: "/api/v1/images/debian" })).json().image.current, "2024.06.01");
    assert.equal((await h.app.inject({ url: "/api/v1/images/nope" })).json().error.code, "IMAGE_NOT_FOUND");

    const body = { version: "2024.05.30" };
    const no = await h.app.inject({ method: "POST", url: "/api/v1/images/debian/current", payload: body });
    assert.equal(no.statusCode, 401);
    assert.equal(no.json().error.code, "UNAUTHORIZED");
    const wrong = await h.app.inject({
      method: "POST",
      url: "/api/v1/images/debian/current",
      payload: body,
      headers: { authorization: "Bearer not-the-token-at-all-xx" },
    });
    assert.equal(wrong.statusCode, 401);
    assert.deepEqual(switched, []);

    const ok = await h.app.inject({
      method: "POST",
      url: "/api/v1/images/debian/current",
      payload: body,
      headers: auth,
    });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { image: { name: "debian", current: "2024.05.30", previous: "2024.06.01" } });
    assert.deepEqual(switched, [["debian", "2024.05.30"]]);

    const cases: [string, unknown, number, string][] = [
      ["debian", { version: "9.9" }, 404, "IMAGE_VERSION_NOT_FOUND"],
      ["nope", { version: "1" }, 404, "IMAGE_NOT_FOUND"],
      ["debian", { version: "" }, 400, "INVALID_BODY"],
      ["debian", { version: "1", extra: true }, 400, "INVALID_BODY"],
      ["broken", { version: "1" }, 500, "IMAGE_SWITCH_FAILED"],
    ];
    for (const [name, payload, status, code] of cases) {
      const r = await h.app.inject({
        method: "POST",
        url: `/api/v1/images/${name}/current`,
        payload: payload as object,
        headers: auth,
      });
      assert.equal(r.statusCode, status, JSON.stringify(payload));
      assert.equal(r.json().error.code, code);
    }
    const notJson = await h.app.inject({
      method: "POST",
      url: "/api/v1/images/debian/current",
      payload: "{nope",
      headers: { ...auth, "content-type": "application/json" },
    });
    assert.equal(notJson.statusCode, 400);
    assert.equal(notJson.json().error.code, "INVALID_BODY");
  });

  it("takes stage reports from the machine's own address without the token", async () => {
    // lab3-15 is declared at 127.0.0.1, where inject() requests come from.
    const r = await h.app.inject({
      method: "POST",
      url: "/api/v1/machines/52:54:00:12:34:57/events",
      payload: { stage: "root-mounted", detail: { ms: 1234 } },
    });
    assert.equal(r.statusCode, 202);
    assert.equal(r.json().verified, "source-ip");
    // lab3-14 is at 198.18.50.14: a report from 127.0.0.1 is refused ...
    const spoof = await h.app.inject({
      method: "POST",
      url: "/api/v1/machines/52:54:00:12:34:56/events",
      payload: { stage: "up" },
    });
    assert.equal(spoof.statusCode, 403);
    assert.equal(spoof.json().error.code, "STAGE_SOURCE_MISMATCH");
    // ... unless it carries the token.
    const withToken = await h.app.inject({
      method: "POST",
      url: "/api/v1/machines/52:54:00:12:34:56/events",
      payload: { stage: "init" },
      headers: auth,
    });
    assert.equal(withToken.json().verified, "token");
    // No address proven for the MAC: accepted, marked unverified ...
    const unknown = await h.app.inject({
      method: "POST",
      url: "/api/v1/machines/02:00:00:00:00:42/events",
      payload: { stage: "initrd" },
      remoteAddress: "198.18.50.99",
    });
    assert.equal(unknown.statusCode, 202);
    assert.equal(unknown.json().verified, false);
    // ... but not from an address proven to be another machine's (127.0.0.1 is lab3-15's).
    const fromOther = await h.app.inject({
      method: "POST",
      url: "/api/v1/machines/02:00:00:00:00:42/events",
      payload: { stage: "initrd" },
    });
    assert.equal(fromOther.statusCode, 403);
    assert.equal(fromOther.json().error.code, "STAGE_SOURCE_MISMATCH");
    for (const [payload, code] of [
      [{ stage: "Root Mounted" }, "INVALID_BODY"],
      [{ detail: {} }, "INVALID_BODY"],
      [{ stage: "x", detail: "text" }, "INVALID_BODY"],
    ] as const) {
      const bad = await h.app.inject({
        method: "POST",
        url: "/api/v1/machines/52:54:00:12:34:57/events",
        payload,
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.code, code);
    }
    const badMac = await h.app.inject({
      method: "POST",
      url: "/api/v1/machines/zz/events",
      payload: { stage: "up" },
    });
    assert.equal(badMac.json().error.code, "INVALID_MAC");
    const big = await h.app.inject({
      method: "POST",
      url: "/api/v1/machines/52:54:00:12:34:57/events",
      payload: { stage: "up", detail: { junk: "x".repeat(20000) } },
    });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error.code, "PAYLOAD_TOO_LARGE");

    await h.recorder.flush();
    const events = await h.app.inject({ url: "/api/v1/machines/lab3-15/events" });
    // biome-ignore lint/suspicious/noExplicitAny: JSON from the API, walked by the assertions
    const [stage] = events.json().events as Record<string, any>[];
    assert.equal(stage?.type, "client.stage");
    assert.equal(stage?.stage, "root-mounted");
    assert.deepEqual(stage?.detail, { ms: 1234, source_ip: "127.0.0.1", verified: "source-ip" });
    const state = await h.app.inject({ url: "/api/v1/machines/lab3-15" });
    assert.equal(state.json().machine.state, "root-mounted", "the recorder moved the machine's state");
  });

  it("lists events with filters and rejects bad query parameters", async () => {
    await h.recorder.flush();
    const all = (await h.app.inject({ url: "/api/v1/events?type=client.stage" })).json().events as {
      id: number;
    }[];
    assert.ok(all.length >= 3);
    const after = (await h.app.inject({ url: `/api/v1/events?type=client.stage&after=${all[0]!.id}` })).json()
      .events;
    assert.equal(after.length, all.length - 1);
    const desc = (await h.app.inject({ url: "/api/v1/events?order=desc&limit=1" })).json().events;
    assert.equal(desc.length, 1);
    for (const q of ["limit=0", "limit=x", "after=-1", "mac=zz", "order=up"]) {
      const r = await h.app.inject({ url: `/api/v1/events?${q}` });
      assert.equal(r.statusCode, 400, `${q}: ${r.body}`);
      assert.match(r.json().error.code, /^INVALID_(QUERY|MAC)$/);
    }
  });

  it("lists leases", async () => {
    await h.store.putLease({
      ip: "198.18.50.100",
      mac: "02:00:00:00:00:99",
      network: "198.18.50.0/24",
      state: "bound",
      hostname: null,
      clientId: null,
      start: 1,
      expires: 2,
    });
    const r = await h.app.inject({ url: "/api/v1/leases?network=198.18.50.0/24" });
    assert.equal(r.json().leases[0].ip, "198.18.50.100");
  });

  it("has an OpenAPI document that lists exactly the routes", async () => {
    const r = await h.app.inject({ url: "/api/v1/openapi.json" });
    assert.equal(r.statusCode, 200);
    const doc = r.json() as { paths: Record<string, Record<string, unknown>> };
    assert.deepEqual(doc, JSON.parse(JSON.stringify(openApiDocument())));
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    // The plugin's routes, as fastify registers them, are exactly the documented operations.
    const probe = Fastify();
    const registered = new Set<string>();
    probe.addHook("onRoute", (r) => {
      for (const m of [r.method].flat())
        registered.add(`${m} ${r.url.replace(/^\/api\/v1/, "").replace(/:(\w+)/g, "{$1}") || "/"}`);
    });
    const { config, resolver } = apiFleet();
    const identity = await ClientIdentity.open({ config, store: h.store, logger: h.logger });
    probe.register(
      async (api) =>
        registerApi(api, {
          config,
          resolver,
          planner: h.planner,
          store: h.store,
          bus: h.bus,
          images: h.images,
          logger: h.logger,
          token: undefined,
          identity,
        }),
      { prefix: "/api/v1" },
    );
    // The routes in their own plugins, registered beside the API's by bootfleet serve.
    probe.register(
      async (api) =>
        registerWebAdminRoutes(api, {
          config,
          resolver,
          store: h.store,
          bus: h.bus,
          logger: h.logger,
          token: undefined,
        }),
      { prefix: "/api/v1" },
    );
    probe.register(
      async (api) =>
        registerMachineImageRoutes(api, {
          config,
          resolver,
          planner: h.planner,
          store: h.store,
          bus: h.bus,
          logger: h.logger,
          token: undefined,
          overrides: new MachineOverrides(),
        }),
      { prefix: "/api/v1" },
    );
    await probe.ready();
    await probe.close();
    registered.delete("HEAD /");
    for (const r of [...registered]) if (r.startsWith("HEAD ")) registered.delete(r);
    assert.deepEqual([...registered].sort(), [...documented].sort());
    // Every error code the API has is in the document's Error schema.
    // biome-ignore lint/suspicious/noExplicitAny: JSON from the API, walked by the assertions
    const codes = (openApiDocument() as any).components.schemas.Error.properties.error.properties.code.enum;
    assert.deepEqual(codes, Object.keys(API_ERRORS));
  });

  it("unknown endpoints under /api/v1 are JSON 404s", async () => {
    for (const url of ["/api/v1/nothing", "/api/v1/machines/x/y/z", "/api/nothing"]) {
      const r = await h.app.inject({ url });
      assert.equal(r.statusCode, 404, url);
      assert.equal(r.json().error.code, "NOT_FOUND");
    }
  });
});

describe("REST API without a token configured", () => {
  let h: HttpHarness;
  before(async () => {
    const { config, resolver } = apiFleet(null);
    h = await startHttp({ config, resolver });
  });
  after(async () => {
    await h?.close();
  });

  it("turns writes off with 403 and says how to turn them on; reads and stage reports still work", async () => {
    const r = await h.app.inject({
      method: "POST",
      url: "/api/v1/images/debian/current",
      payload: { version: "1" },
    });
    assert.equal(r.statusCode, 403);
    const { error } = r.json() as { error: { code: string; message: string } };
    assert.equal(error.code, "WRITE_API_DISABLED");
    assert.match(error.message, /services\.api\.token/);
    assert.match(error.message, /BOOTFLEET_API_TOKEN/);
    assert.equal((await h.app.inject({ url: "/api/v1/machines" })).statusCode, 200);
    assert.equal((await h.app.inject({ url: "/api/v1" })).json().write_api, "off");
    const stage = await h.app.inject({
      method: "POST",
      url: "/api/v1/machines/lab3-15/events",
      payload: { stage: "up" },
    });
    assert.equal(stage.statusCode, 400, "stage reports name the machine by MAC");
    const ok = await h.app.inject({
      method: "POST",
      url: "/api/v1/machines/52:54:00:12:34:57/events",
      payload: { stage: "up" },
    });
    assert.equal(ok.statusCode, 202);
  });

  it("takes the token from BOOTFLEET_API_TOKEN when the config has none", async () => {
    const { config, resolver } = apiFleet(null, { BOOTFLEET_API_TOKEN: "from-the-environment-123" });
    const h2 = await startHttp({ config, resolver });
    try {
      const r = await h2.app.inject({
        method: "POST",
        url: "/api/v1/images/debian/current",
        payload: { version: "1" },
        headers: { authorization: "Bearer from-the-environment-123" },
      });
      assert.equal(
        r.json().error.code,
        "IMAGES_UNAVAILABLE",
        "past the token check; no image store attached",
      );
    } finally {
      await h2.close();
    }
  });
});
