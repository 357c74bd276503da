/**
 * The HTTP service: everything a booting machine fetches over HTTP, the REST
 * API, Prometheus metrics and (later) the admin page, on one fastify
 * instance that `bootfleet serve` listens with.
 *
 *   GET|HEAD /boot/<mac>.ipxe               per-machine iPXE script
 *   GET|HEAD /boot/ipxe?mac=${net0/mac}     the same, for a generic iPXE embed/script
 *   GET|HEAD /boot/<mac>/layers.cpio        per-machine layer initrd
 *   GET|HEAD /pxelinux.cfg/01-<mac>, /grub/grub.cfg-01-<mac>  configs (lpxelinux, GRUB over HTTP)
 *   GET|HEAD /images/<name>/<version>/{vmlinuz,initrd.img,root.squashfs}
 *   GET|HEAD /ipxe/<binary>                 iPXE binaries (Debian's ipxe package)
 *   /api/v1/...                             REST API (src/api/)
 *   GET /metrics                            Prometheus text format
 *   GET /...                                admin page files from deps.webRoot
 *
 * Generated files come from BootPlanner.generatedFile, the same call the
 * TFTP service makes, so both hand out the same bytes. Every boot file sent
 * (or refused) is an `http.get` (`http.error`) event with the bytes that
 * really went out; metrics and the store learn of it from the bus.
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Registry } from "prom-client";
import { ApiError } from "../../api/api-errors.js";
import { registerApi } from "../../api/api-routes.js";
import { clientIp } from "../../api/client-ip.js";
import type { ImageAdmin } from "../../api/image-admin.js";
import type { InspectableBootPlanner } from "../../boot/fleet-boot-planner.js";
import { type ImageLookup, isSafeImageName } from "../../boot/image-lookup.js";
import { parseMac } from "../../boot/mac-address.js";
import {
  DEFAULT_HTTP_IDLE_TIMEOUT_S,
  DEFAULT_HTTP_REQUEST_TIMEOUT_S,
  DEFAULT_IPXE_DIR,
} from "../../config/config-schema.js";
import type { FleetConfig, Resolver } from "../../config/model.js";
import type { BootEvent, EventBus } from "../../events/event-bus.js";
import type { IdentityQueries } from "../../identity/client-identity.js";
import { IdentityMismatchLog } from "../../identity/identity-mismatch-log.js";
import type { Logger } from "../../logging/logger.js";
import type { Store } from "../../store/store.js";
import type { EventStreamTuning } from "../../api/event-stream.js";
import { FileCache } from "../file-cache/file-cache.js";
import { refuseBodyOnRead } from "./refuse-body-on-read.js";
import { type ResponderOffload, type SendResult, sendBuffer, sendFile } from "./file-responder.js";
import { SocketFileSender } from "./socket-file-sender.js";
import { contentTypeOf, webFile } from "./web-root.js";

export interface HttpServiceDeps {
  readonly config: FleetConfig;
  readonly resolver: Resolver;
  readonly planner: InspectableBootPlanner;
  readonly store: Store;
  readonly bus: EventBus;
  readonly images: ImageLookup;
  /** Image listing and switching for the API; without it the API lists config images and refuses switches. */
  readonly imageAdmin?: ImageAdmin | undefined;
  readonly logger: Logger;
  /** Which machine is at an address (src/identity/): who may report stages without the token. */
  readonly identity: IdentityQueries;
  /** Refusals for want of identity; default one of its own on `bus`. */
  readonly mismatches?: IdentityMismatchLog | undefined;
  /** From createBootMetrics(); without it /metrics is 404. */
  readonly metrics?: Registry | undefined;
  /** iPXE binaries; default DEFAULT_IPXE_DIR (Debian's ipxe package). */
  readonly ipxeDir?: string | undefined;
  /** The admin page's files (src/web/ or its build); absent: "/" says where things are. */
  readonly webRoot?: string | undefined;
  /**
   * Hot image files kept in memory (see file-cache.ts); `bootfleet serve`
   * hands in the one it shares with TFTP. Default: a cache of its own;
   * false streams every request from disk.
   */
  readonly fileCache?: FileCache | false | undefined;
  /**
   * Kernels, initrds and other large files go out with sendfile from a
   * thread of the native addon (socket-file-sender.ts). Default: on when
   * the addon is built; false writes them from the event loop.
   */
  readonly offloadFiles?: boolean | undefined;
  /** EventRecorder.onPersisted, bound: lets the SSE stream follow the store without polling delay. */
  readonly onPersisted?: ((listener: (event: BootEvent) => void) => () => void) | undefined;
  /** SSE tuning, for tests; the stall limit defaults to `services.http.idle_timeout`. */
  readonly eventStream?: EventStreamTuning | undefined;
}

type BootKind = "script" | "layers" | "config" | "ipxe" | "kernel" | "initrd" | "squashfs";

const IMAGE_FILES: Readonly<Record<string, BootKind>> = {
  vmlinuz: "kernel",
  "initrd.img": "initrd",
  "root.squashfs": "squashfs",
};
/** Kernels, initrds and iPXE binaries up to this size are sent from memory; larger ones stream from disk. */
const CACHED_FILE_MAX_BYTES = 192 << 20;
/**
 * Bodies from this size on go to the sendfile thread when it is there:
 * below it, handing over (a file open, a wait for the headers to leave, a
 * message back) costs more than the copy it saves.
 */
const OFFLOAD_MIN_BYTES = 256 << 10;
const IPXE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.(?:kpxe|kkpxe|pxe|efi|lkrn)$/;

export function createHttpService(deps: HttpServiceDeps): FastifyInstance {
  const { planner, bus, logger } = deps;
  const log = logger.child({ service: "http" });
  const ipxeDir = deps.ipxeDir ?? DEFAULT_IPXE_DIR;
  const files = deps.fileCache ?? new FileCache();
  const cache = files === false ? undefined : { files, maxFileBytes: CACHED_FILE_MAX_BYTES };

  const mismatches = deps.mismatches ?? new IdentityMismatchLog({ bus, logger: log });
  const peers = new WeakMap<FastifyRequest, string>();
  const peerIp = (req: FastifyRequest): string => peers.get(req) ?? clientIp(req);
  const http = deps.config.services.http;
  const requestTimeoutMs = (http.request_timeout ?? DEFAULT_HTTP_REQUEST_TIMEOUT_S) * 1000;
  const idleTimeoutMs = (http.idle_timeout ?? DEFAULT_HTTP_IDLE_TIMEOUT_S) * 1000;
  const sender = deps.offloadFiles === false ? null : SocketFileSender.create().sender;
  const offload: ResponderOffload | undefined = sender
    ? { sender, minBytes: OFFLOAD_MIN_BYTES, idleMs: idleTimeoutMs }
    : undefined;
  const app = Fastify({
    logger: false,
    // HEAD is routed explicitly so a HEAD never opens the file.
    exposeHeadRoutes: false,
    bodyLimit: 64 * 1024,
    // A boot storm reuses nothing: keep idle sockets short.
    keepAliveTimeout: 10_000,
    // Headers and body must arrive within this, or the client gets a 408
    // and the connection closes: a stalled upload holds nothing for long.
    // It ends when the request is in, so a slow client still finishes a
    // kernel: what bounds a download is the idle timeout below.
    requestTimeout: requestTimeoutMs,
    // Nothing sent or received for this long closes the connection: a
    // client that stopped reading a kernel or the event stream (which sends
    // a keep-alive every 15 s) or stopped sending.
    connectionTimeout: idleTimeoutMs,
    http: {
      headersTimeout: Math.min(60_000, requestTimeoutMs),
      // Node checks both timeouts only this often (30 s by default), which
      // would double a short request_timeout.
      connectionsCheckingInterval: Math.max(250, Math.min(5_000, requestTimeoutMs / 4)),
    },
  });

  // The peer's address, read while the socket is still there (see peerIp).
  app.addHook("onRequest", async (req) => {
    peers.set(req, clientIp(req));
  });
  // A GET or HEAD with a body is refused before a byte of it is read.
  app.addHook("onRequest", refuseBodyOnRead);
  if (sender) app.addHook("onClose", async () => sender.close());
  app.addHook("onResponse", async (req, reply) => {
    log.debug({ method: req.method, url: req.url, status: reply.statusCode, ip: peerIp(req) }, "request");
  });

  app.register(
    async (api) =>
      registerApi(api, {
        config: deps.config,
        resolver: deps.resolver,
        planner,
        store: deps.store,
        bus,
        images: deps.images,
        imageAdmin: deps.imageAdmin,
        logger: log.child({ part: "api" }),
        token: deps.config.services.api.token,
        identity: deps.identity,
        mismatches,
        onPersisted: deps.onPersisted,
        stream: { stallMs: idleTimeoutMs, ...deps.eventStream },
      }),
    { prefix: "/api/v1" },
  );

  const publish = (
    req: FastifyRequest,
    kind: BootKind,
    mac: string | undefined,
    started: number,
    result: SendResult | { status: number; error: string },
  ): void => {
    const path = req.url.split("?")[0];
    const duration_ms = Math.round(performance.now() - started);
    if ("error" in result) {
      bus.publish({
        type: "http.error",
        mac,
        ip: peerIp(req),
        detail: { path, kind, status: result.status, error: result.error, duration_ms },
      });
      return;
    }
    bus.publish({
      type: "http.get",
      mac,
      ip: peerIp(req),
      detail: {
        path,
        kind,
        status: result.status,
        bytes: result.bytes,
        complete: result.complete,
        duration_ms,
      },
    });
  };

  const refuse = (
    req: FastifyRequest,
    reply: FastifyReply,
    kind: BootKind,
    mac: string | undefined,
    started: number,
    status: number,
    message: string,
  ): FastifyReply => {
    publish(req, kind, mac, started, { status, error: message });
    return reply.code(status).type("text/plain; charset=utf-8").send(`${message}\n`);
  };

  const serveGenerated = async (
    req: FastifyRequest,
    reply: FastifyReply,
    path: string,
    kind: BootKind,
    mac: string,
  ): Promise<FastifyReply | undefined> => {
    const started = performance.now();
    let file: Awaited<ReturnType<typeof planner.generatedFile>>;
    try {
      file = await planner.generatedFile(path, { ip: peerIp(req), mac });
    } catch (err) {
      log.error({ mac, path, err: String(err) }, "rendering a boot file failed");
      return refuse(req, reply, kind, mac, started, 500, `bootfleet could not build ${path}: ${String(err)}`);
    }
    if (!file) {
      const why = planner.decide(planner.factsFor(mac, peerIp(req))).reason ?? "not generated";
      return refuse(req, reply, kind, mac, started, 404, `nothing to boot for ${mac}: ${why}`);
    }
    const result = await sendBuffer(req, reply, file.body, file.mtime, {
      contentType: file.contentType,
      // Rendered from the config: may change with it, so always revalidate.
      cacheControl: "no-cache",
    });
    publish(req, kind, mac, started, result);
    return undefined;
  };

  const serveDiskFile = async (
    req: FastifyRequest,
    reply: FastifyReply,
    path: string,
    kind: BootKind,
    useCache: boolean,
  ): Promise<FastifyReply | undefined> => {
    const started = performance.now();
    let result: SendResult | null;
    try {
      result = await sendFile(
        req,
        reply,
        path,
        { contentType: "application/octet-stream" },
        useCache ? cache : undefined,
        offload,
      );
    } catch (err) {
      log.error({ path, err: String(err) }, "sending a file failed");
      if (reply.sent || reply.raw.headersSent) {
        reply.raw.destroy();
        return undefined;
      }
      return refuse(req, reply, kind, undefined, started, 500, "reading the file failed");
    }
    if (!result)
      return refuse(req, reply, kind, undefined, started, 404, `no such file: ${req.url.split("?")[0]}`);
    publish(req, kind, undefined, started, result);
    return undefined;
  };

  const both = ["GET", "HEAD"] as ("GET" | "HEAD")[];

  app.route<{ Params: { file: string }; Querystring: Record<string, unknown> }>({
    method: both,
    url: "/boot/:file",
    handler: async (req, reply) => {
      const started = performance.now();
      const raw = req.params.file === "ipxe" ? req.query.mac : /^(.+)\.ipxe$/.exec(req.params.file)?.[1];
      const mac = typeof raw === "string" ? parseMac(raw) : null;
      if (!mac) {
        return refuse(
          req,
          reply,
          "script",
          undefined,
          started,
          400,
          "want /boot/<mac>.ipxe or /boot/ipxe?mac=<mac>",
        );
      }
      return serveGenerated(req, reply, `boot/${mac}.ipxe`, "script", mac);
    },
  });

  app.route<{ Params: { mac: string } }>({
    method: both,
    url: "/boot/:mac/layers.cpio",
    handler: async (req, reply) => {
      const mac = parseMac(req.params.mac);
      if (!mac) return refuse(req, reply, "layers", undefined, performance.now(), 400, "not a MAC address");
      return serveGenerated(req, reply, `boot/${mac}/layers.cpio`, "layers", mac);
    },
  });

  for (const [prefix, pattern] of [
    ["pxelinux.cfg", /^01-([0-9a-fA-F-]{17})$/],
    ["grub", /^grub\.cfg-01-([0-9a-fA-F-]{17})$/],
  ] as const) {
    app.route<{ Params: { name: string } }>({
      method: both,
      url: `/${prefix}/:name`,
      handler: async (req, reply) => {
        const mac = parseMac(pattern.exec(req.params.name)?.[1] ?? "");
        if (!mac) return refuse(req, reply, "config", undefined, performance.now(), 404, "no such config");
        return serveGenerated(req, reply, `${prefix}/${req.params.name}`, "config", mac);
      },
    });
  }

  app.route<{ Params: { name: string; version: string; file: string } }>({
    method: both,
    url: "/images/:name/:version/:file",
    handler: async (req, reply) => {
      const { name, version, file } = req.params;
      const kind = IMAGE_FILES[file];
      const started = performance.now();
      if (!kind) return refuse(req, reply, "kernel", undefined, started, 404, `no file ${file} in images`);
      const image = isSafeImageName(name) && isSafeImageName(version) ? deps.images.get(name, version) : null;
      if (!image)
        return refuse(req, reply, kind, undefined, started, 404, `no image ${name} version ${version}`);
      const path = kind === "kernel" ? image.kernel : kind === "initrd" ? image.initrd : image.squashfs;
      return serveDiskFile(req, reply, path, kind, kind !== "squashfs");
    },
  });

  app.route<{ Params: { name: string } }>({
    method: both,
    url: "/ipxe/:name",
    handler: async (req, reply) => {
      if (!IPXE_FILE.test(req.params.name)) {
        return refuse(req, reply, "ipxe", undefined, performance.now(), 404, "no such iPXE binary");
      }
      return serveDiskFile(req, reply, join(ipxeDir, req.params.name), "ipxe", true);
    },
  });

  app.get("/metrics", async (_req, reply) => {
    if (!deps.metrics) return reply.code(404).type("text/plain; charset=utf-8").send("metrics are off\n");
    return reply.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });

  const serveWeb = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const urlPath = req.url.split("?")[0] ?? "/";
    if (urlPath.startsWith("/api/")) {
      const e = new ApiError("NOT_FOUND", `no endpoint ${req.method} ${urlPath}; see /api/v1/openapi.json`);
      return reply.code(e.status).type("application/json; charset=utf-8").send(e.toJSON());
    }
    if (!deps.webRoot) {
      if (urlPath !== "/") return reply.code(404).type("text/plain; charset=utf-8").send("not found\n");
      return reply
        .type("text/plain; charset=utf-8")
        .send("bootfleet\n\nAPI: /api/v1 (OpenAPI: /api/v1/openapi.json)\nMetrics: /metrics\n");
    }
    const file = await webFile(deps.webRoot, urlPath);
    if (!file) return reply.code(404).type("text/plain; charset=utf-8").send("not found\n");
    const result = await sendFile(req, reply, file, {
      contentType: contentTypeOf(file),
      cacheControl: "no-cache",
    });
    if (!result) return reply.code(404).type("text/plain; charset=utf-8").send("not found\n");
    return undefined;
  };
  app.route({ method: both, url: "/", handler: serveWeb });
  app.route({ method: both, url: "/*", handler: serveWeb });

  app.setErrorHandler((err, req, reply) => {
    log.error({ err: String(err), url: req.url }, "HTTP request failed");
    const e = err instanceof ApiError ? err : new ApiError("INTERNAL");
    void reply.code(e.status).type("text/plain; charset=utf-8").send(`${e.message}\n`);
  });

  return app;
}
