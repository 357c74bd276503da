/**
 * The REST API under /api/v1 (a fastify plugin; http-service.ts registers
 * it). Reads follow services.api.read and show secrets only with the
 * token, writes need the token (api-auth.ts), every error is an ApiError
 * from api-errors.ts, the document is openapi.ts. Client stage reports, the
 * one write taken without the token, are in stage-report-routes.ts.
 */
import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { InspectableBootPlanner } from "../boot/fleet-boot-planner.js";
import type { ImageLookup } from "../boot/image-lookup.js";
import { parseMac } from "../boot/mac-address.js";
import { DEFAULT_API_READ } from "../config/config-schema.js";
import type { FleetConfig, Resolver } from "../config/model.js";
import type { BootEvent, EventBus } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { IdentityQueries } from "../identity/client-identity.js";
import { type IdentityMismatch, IdentityMismatchLog } from "../identity/identity-mismatch-log.js";
import type { EventQuery, Store } from "../store/store.js";
import { ApiError, toApiError } from "./api-errors.js";
import { guardReads, readAccess, requireWriteToken } from "./api-auth.js";
import { type EventStreamTuning, streamEvents } from "./event-stream.js";
import { type ImageAdmin, type ImageInfo, ImageVersionMissing } from "./image-admin.js";
import { machineLookup } from "./machine-lookup.js";
import { effectiveConfigView, eventView, type MachineSummary, summary } from "./machine-view.js";
import { openApiDocument } from "./openapi.js";
import { parseBody } from "./parse-body.js";
import { intParam, strParam } from "./query-params.js";
import { registerStageReports } from "./stage-report-routes.js";
import type { UnverifiedReportGate } from "./unverified-report-gate.js";

export interface ApiDeps {
  readonly config: FleetConfig;
  readonly resolver: Resolver;
  readonly planner: InspectableBootPlanner;
  readonly store: Store;
  readonly bus: EventBus;
  readonly images: ImageLookup;
  readonly imageAdmin?: ImageAdmin | undefined;
  readonly logger: Logger;
  /** The write token (config or env), already chosen; undefined = write API off. */
  readonly token: string | undefined;
  /** Which machine is at an address: who may report stages without the token. */
  readonly identity: IdentityQueries;
  /** Refused stage reports, one event per machine and source per minute; default a log of its own on `bus`. */
  readonly mismatches?: { report(m: IdentityMismatch): void } | undefined;
  /** Limits on unverified stage reports; default UnverifiedReportGate's. */
  readonly stageGate?: UnverifiedReportGate | undefined;
  /**
   * Called back with each event once stored (EventRecorder.onPersisted): the
   * SSE stream reads the store then, instead of guessing when the write is done.
   */
  readonly onPersisted?: ((listener: (event: BootEvent) => void) => () => void) | undefined;
  /** SSE tuning: the server's stall limit, shorter delays in tests. */
  readonly stream?: EventStreamTuning | undefined;
}

const useBody = z.strictObject({ version: z.string().min(1).max(128) });

function macParam(q: Record<string, unknown>): string | undefined {
  const v = strParam(q, "mac");
  if (v === undefined) return undefined;
  const mac = parseMac(v);
  if (!mac) throw new ApiError("INVALID_MAC", `"${v}" is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return mac;
}

/** ?after=&type=&order=&limit= of the event lists, checked before the store is asked. */
function eventQuery(q: Record<string, unknown>): EventQuery {
  const order = strParam(q, "order");
  if (order !== undefined && order !== "asc" && order !== "desc") {
    throw new ApiError("INVALID_QUERY", "order must be asc or desc");
  }
  return {
    afterId: intParam(q, "after", 0, Number.MAX_SAFE_INTEGER),
    type: strParam(q, "type"),
    order: order ?? "asc",
    limit: intParam(q, "limit", 1, 1000) ?? 100,
  };
}

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  const { config, store, bus, logger } = deps;
  const lookup = machineLookup(deps);
  const { storeCall, factsOf, resolveSafe, requireMac } = lookup;
  const findMachine = lookup.find;

  const write = (req: FastifyRequest): void => requireWriteToken(req.headers.authorization, deps.token);
  const readPolicy = config.services.api.read;
  guardReads(app, deps.token, readPolicy, ["/", "/openapi.json"]);

  app.setErrorHandler((err, req, reply) => {
    const apiErr = toApiError(err);
    if (apiErr.status >= 500) logger.error({ err: String(err), url: req.url }, "API request failed");
    void reply.code(apiErr.status).type("application/json; charset=utf-8").send(apiErr.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError(
      "NOT_FOUND",
      `no endpoint ${req.method} ${req.url.split("?")[0]}; see /api/v1/openapi.json`,
    );
    void reply.code(e.status).send(e.toJSON());
  });

  app.get("/", async () => ({
    name: "bootfleet",
    openapi: "/api/v1/openapi.json",
    endpoints: [
      "/api/v1/machines",
      "/api/v1/images",
      "/api/v1/leases",
      "/api/v1/events",
      "/api/v1/events/stream",
    ],
    write_api: deps.token ? "on" : "off",
    read_api: readPolicy ?? DEFAULT_API_READ,
  }));

  app.get("/openapi.json", async () => openApiDocument());

  app.get("/machines", async () => {
    const rows = await storeCall("list machines", () => store.listMachines());
    const byMac = new Map(rows.map((r) => [r.mac, r]));
    const out: (MachineSummary & { host: string | null })[] = [];
    for (const host of config.hosts) {
      const row = host.mac
        ? (byMac.get(host.mac) ?? null)
        : (rows.find((r) => host.ip && r.ip === host.ip) ?? null);
      if (row) byMac.delete(row.mac);
      const mac = host.mac ?? row?.mac;
      const m = mac ? resolveSafe(factsOf(mac, row, host)) : null;
      out.push({ ...summary(row, m, true), hostname: host.name, host: host.name });
    }
    for (const row of byMac.values()) {
      out.push({ ...summary(row, resolveSafe(factsOf(row.mac, row, undefined)), false), host: null });
    }
    return { machines: out };
  });

  app.get<{ Params: { id: string } }>("/machines/:id", async (req) =>
    lookup.detail(await findMachine(req.params.id)),
  );

  app.get<{ Params: { id: string } }>("/machines/:id/config", async (req) => {
    const found = await findMachine(req.params.id);
    const mac = requireMac(found);
    const m = resolveSafe(factsOf(mac, found.row, found.host));
    if (!m) throw new ApiError("INTERNAL", "the machine's config could not be resolved; see the server log");
    return { config: effectiveConfigView(m, readAccess(req.headers.authorization, deps.token, readPolicy)) };
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    "/machines/:id/events",
    async (req) => {
      const found = await findMachine(req.params.id);
      const mac = requireMac(found);
      const query = { ...eventQuery(req.query), mac };
      const rows = await storeCall("list events", () => store.listEvents(query));
      return { events: rows.map(eventView) };
    },
  );

  registerStageReports(app, {
    config,
    store,
    bus,
    identity: deps.identity,
    mismatches: deps.mismatches ?? new IdentityMismatchLog({ bus, logger }),
    token: deps.token,
    gate: deps.stageGate,
  });

  const listImages = async (): Promise<readonly ImageInfo[]> => {
    if (deps.imageAdmin) return deps.imageAdmin.list();
    return Object.values(config.images).map((spec) => {
      const current = spec.version
        ? deps.images.get(spec.name, spec.version)
        : deps.images.current(spec.name);
      return {
        name: spec.name,
        current: current?.version ?? null,
        versions: current ? [{ version: current.version }] : [],
        description: spec.description,
      };
    });
  };

  app.get("/images", async () => ({ images: await listImages() }));

  app.get<{ Params: { name: string } }>("/images/:name", async (req) => {
    const image = (await listImages()).find((i) => i.name === req.params.name);
    if (!image)
      throw new ApiError("IMAGE_NOT_FOUND", `no image "${req.params.name}"`, { name: req.params.name });
    return { image };
  });

  app.post<{ Params: { name: string } }>("/images/:name/current", { bodyLimit: 4096 }, async (req) => {
    write(req);
    const { version } = parseBody(useBody, req.body);
    const name = req.params.name;
    if (!deps.imageAdmin) {
      throw new ApiError(
        "IMAGES_UNAVAILABLE",
        "this server has no image store attached; use bootfleet image use",
      );
    }
    const images = await deps.imageAdmin.list();
    const image = images.find((i) => i.name === name);
    if (!image) throw new ApiError("IMAGE_NOT_FOUND", `no image "${name}"`, { name });
    if (!image.versions.some((v) => v.version === version)) {
      throw new ApiError("IMAGE_VERSION_NOT_FOUND", `image ${name} has no version "${version}"`, {
        name,
        version,
        versions: image.versions.map((v) => v.version),
      });
    }
    try {
      await deps.imageAdmin.use(name, version);
    } catch (err) {
      if (err instanceof ImageVersionMissing) {
        throw new ApiError("IMAGE_VERSION_NOT_FOUND", err.message, { name, version });
      }
      logger.error({ err: String(err), name, version }, "image switch failed");
      throw new ApiError("IMAGE_SWITCH_FAILED", `switching ${name} to ${version} failed: ${String(err)}`);
    }
    bus.publish({ type: "api.image-use", detail: { name, version, previous: image.current } });
    return { image: { name, current: version, previous: image.current } };
  });

  app.get<{ Querystring: Record<string, unknown> }>("/leases", async (req) => {
    const network = strParam(req.query, "network");
    return { leases: await storeCall("list leases", () => store.listLeases(network)) };
  });

  app.get<{ Querystring: Record<string, unknown> }>("/events", async (req) => {
    const query = { ...eventQuery(req.query), mac: macParam(req.query) };
    const rows = await storeCall("list events", () => store.listEvents(query));
    return { events: rows.map(eventView) };
  });

  // An event stream never ends by itself: when the server stops, end the
  // open ones first, or closing would wait for every admin page to close.
  // EventSource reconnects with Last-Event-ID and misses nothing.
  const streams = new Set<ServerResponse>();
  app.addHook("preClose", (done) => {
    for (const res of streams) res.end();
    done();
  });

  app.get<{ Querystring: Record<string, unknown> }>("/events/stream", async (req, reply) => {
    const q = req.query;
    const lastEventId = req.headers["last-event-id"];
    const fromHeader =
      typeof lastEventId === "string" && /^\d{1,15}$/.test(lastEventId.trim())
        ? Number(lastEventId.trim())
        : undefined;
    const afterId = fromHeader ?? intParam(q, "after", 0, Number.MAX_SAFE_INTEGER);
    const mac = macParam(q);
    const type = strParam(q, "type");
    reply.hijack();
    streams.add(reply.raw);
    try {
      await streamEvents(reply.raw, {
        store,
        bus,
        logger,
        afterId,
        mac,
        type,
        onPersisted: deps.onPersisted,
        ...deps.stream,
      });
    } catch (err) {
      logger.warn({ err: String(err) }, "event stream failed");
      if (!reply.raw.headersSent) {
        const e = new ApiError("STORE_FAILED", "the store could not list events");
        reply.raw.writeHead(e.status, { "Content-Type": "application/json; charset=utf-8" });
        reply.raw.end(JSON.stringify(e.toJSON()));
      } else reply.raw.end();
    } finally {
      streams.delete(reply.raw);
    }
  });
}
