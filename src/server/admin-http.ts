/**
 * The HTTP service as `bootfleet serve` runs it: boot files, the API, and
 * beside the API the admin page's routes (logs, wake) and image switching,
 * each in its own plugin under /api/v1. Tests build the server through this
 * function too, so they exercise the routes users get and not a copy.
 */
import type { FastifyInstance } from "fastify";
import type { MachineOverrides } from "../config/machine-overrides.js";
import { registerMachineImageRoutes } from "../api/machine-image-routes.js";
import { registerWebAdminRoutes, type WakeSender } from "../api/web-admin-routes.js";
import { createHttpService, type HttpServiceDeps } from "../services/http/http-service.js";

export interface AdminHttpDeps extends HttpServiceDeps {
  /** Per-machine overrides set from the page; the resolver reads them. */
  readonly overrides: MachineOverrides;
  /** Without one, wake answers 503 WAKE_UNAVAILABLE. */
  readonly wake?: WakeSender | undefined;
}

export function createAdminHttp(deps: AdminHttpDeps): FastifyInstance {
  const app = createHttpService(deps);
  const { config, resolver, planner, store, bus, logger, images, imageAdmin, overrides, wake } = deps;
  const token = config.services.api.token;
  app.register(
    async (api) => registerWebAdminRoutes(api, { config, resolver, store, bus, logger, token, wake }),
    { prefix: "/api/v1" },
  );
  app.register(
    async (api) =>
      registerMachineImageRoutes(api, {
        config,
        resolver,
        planner,
        store,
        bus,
        logger,
        token,
        overrides,
        images,
        imageAdmin,
      }),
    { prefix: "/api/v1" },
  );
  return app;
}
