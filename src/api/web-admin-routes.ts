/**
 * Routes the admin page needs beyond api-routes.ts, in their own file and
 * fastify plugin: a machine's syslog lines and Wake-on-LAN, which only they
 * use (the WakeSender is theirs alone):
 *
 *   GET  /api/v1/machines/<id>/logs?limit=&order=&after=   what the machine sent to the syslog receiver
 *   POST /api/v1/machines/<id>/wake                         Wake-on-LAN (token), through a WakeSender
 *
 * <id> is a MAC, a declared hostname or an address, as in api-routes.ts.
 * Errors have the API's shape: { "error": { "code", "message", "detail"? } }.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { parseMac } from "../boot/mac-address.js";
import type { FleetConfig, Resolver } from "../config/model.js";
import type { EventBus } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { LogRow, Store } from "../store/store.js";
import { guardReads, requireWriteToken } from "./api-auth.js";
import { ApiError, toApiError } from "./api-errors.js";
import { intParam } from "./query-params.js";

/** Sends the magic packet (src/wol/); says where it went, e.g. "198.18.0.255:9". */
export interface WakeSender {
  wake(
    mac: string,
    hint: { readonly ip?: string | undefined; readonly network?: string | undefined },
  ): Promise<{
    readonly sentTo: string;
  }>;
}

export interface WebAdminDeps {
  readonly config: FleetConfig;
  readonly resolver: Resolver;
  readonly store: Store;
  readonly bus: EventBus;
  readonly logger: Logger;
  /** The write token (config or env), already chosen; undefined = write API off. */
  readonly token: string | undefined;
  /** Without one, wake answers 503 WAKE_UNAVAILABLE. */
  readonly wake?: WakeSender | undefined;
}

export function logView(l: LogRow): Record<string, unknown> {
  return {
    id: l.id,
    at: l.at,
    mac: l.mac,
    ip: l.ip,
    facility: l.facility,
    severity: l.severity,
    hostname: l.hostname,
    app: l.app,
    message: l.message,
  };
}

export function registerWebAdminRoutes(app: FastifyInstance, deps: WebAdminDeps): void {
  const { config, resolver, store, bus, logger } = deps;
  // What machines logged may name users and hosts: read under the same policy as the API.
  guardReads(app, deps.token, config.services.api.read);

  app.setErrorHandler((err, req, reply) => {
    const e = toApiError(err);
    if (e.status >= 500) logger.error({ err: String(err), url: req.url }, "API request failed");
    void reply.code(e.status).type("application/json; charset=utf-8").send(e.toJSON());
  });

  /** The MAC (and what else is known) of a machine named by MAC, hostname or address. */
  const find = async (
    id: string,
  ): Promise<{ mac: string; ip: string | undefined; network: string | undefined }> => {
    let mac = parseMac(id);
    let ip: string | undefined;
    if (!mac) {
      const host = resolver.findHost(id);
      if (host?.mac) mac = host.mac;
      else {
        const rows = await store.listMachines();
        const row = rows.find((r) => r.hostname === id || r.ip === id || (host?.ip && r.ip === host.ip));
        if (row) mac = row.mac;
      }
    }
    if (!mac) {
      throw new ApiError(
        "MACHINE_NOT_FOUND",
        `no machine "${id}" is declared in the config or has been seen; look machines up by MAC, hostname or IP`,
        { id },
      );
    }
    const row = await store.getMachine(mac);
    const host = config.hosts.find((h) => h.mac === mac);
    if (!row && !host) {
      throw new ApiError(
        "MACHINE_NOT_FOUND",
        `no machine ${mac} is declared in the config or has been seen`,
        {
          id,
        },
      );
    }
    ip = row?.ip ?? host?.ip ?? undefined;
    let network: string | undefined;
    try {
      network = resolver.resolve({ mac, ip }).network?.subnet.text;
    } catch {
      network = undefined;
    }
    return { mac, ip, network };
  };

  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    "/machines/:id/logs",
    async (req) => {
      const { mac, ip } = await find(req.params.id);
      const q = req.query;
      const order = q.order === "desc" ? "desc" : "asc";
      const limit = intParam(q, "limit", 1, 5000) ?? 500;
      const afterId = intParam(q, "after", 0, Number.MAX_SAFE_INTEGER);
      let rows: LogRow[];
      try {
        rows = [...(await store.listLogs({ mac, order, limit, afterId }))];
        // Lines from its address that no MAC was found for (sent before the
        // server learnt the address) belong to it too.
        if (ip) {
          const byIp = await store.listLogs({ ip, order, limit, afterId });
          const seen = new Set(rows.map((r) => r.id));
          for (const r of byIp) if (r.mac === null && !seen.has(r.id)) rows.push(r);
          rows.sort((a, b) => (order === "desc" ? b.id - a.id : a.id - b.id));
          rows = rows.slice(0, limit);
        }
      } catch (err) {
        logger.error({ err: String(err) }, "store failed");
        throw new ApiError("STORE_FAILED", "the store could not list logs");
      }
      return { logs: rows.map(logView) };
    },
  );

  app.post<{ Params: { id: string } }>(
    "/machines/:id/wake",
    { bodyLimit: 1024 },
    async (req, reply: FastifyReply) => {
      requireWriteToken(req.headers.authorization, deps.token);
      const target = await find(req.params.id);
      if (!deps.wake) {
        return reply.code(503).send({
          error: {
            code: "WAKE_UNAVAILABLE",
            message:
              "this server has no Wake-on-LAN sender attached; use 'bootfleet wake' on a machine in the same network",
          },
        });
      }
      let sentTo: string;
      try {
        ({ sentTo } = await deps.wake.wake(target.mac, { ip: target.ip, network: target.network }));
      } catch (err) {
        logger.warn({ mac: target.mac, err: String(err) }, "wake failed");
        return reply.code(500).send({
          error: {
            code: "WAKE_FAILED",
            message: `sending the magic packet to ${target.mac} failed: ${String(err)}`,
          },
        });
      }
      bus.publish({ type: "wol.sent", mac: target.mac, detail: { sent_to: sentTo, by: "api" } });
      return reply.code(202).send({ woken: target.mac, sent_to: sentTo });
    },
  );
}
