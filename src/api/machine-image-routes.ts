/**
 * Setting a machine's image through the API, in its own fastify plugin
 * beside api-routes.ts (registered like web-admin-routes.ts):
 *
 *   PUT /api/v1/machines/<id>/image   {"image": "<name>"} | {"image": null}   (token)
 *
 * The choice is kept in the store (machine_overrides) and in the in-memory
 * MachineOverrides the resolver reads, where it is the last layer ("api"):
 * the machine boots it from its next DHCP answer on, and `bootfleet explain`
 * and the admin page name who set it and when. null removes the override, so
 * the config decides again. <id> is a MAC, a declared hostname or an address.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ImageLookup } from "../boot/image-lookup.js";
import type { MachineOverrides } from "../config/machine-overrides.js";
import type { EventBus } from "../events/event-bus.js";
import { requireWriteToken } from "./api-auth.js";
import { ApiError, toApiError } from "./api-errors.js";
import type { ImageAdmin } from "./image-admin.js";
import { type MachineLookupDeps, machineLookup } from "./machine-lookup.js";
import { clientIp } from "./client-ip.js";

export interface MachineImageDeps extends MachineLookupDeps {
  readonly bus: EventBus;
  /** The write token (config or env), already chosen; undefined = write API off. */
  readonly token: string | undefined;
  /** What the resolver reads; updated once the store has the change. */
  readonly overrides: MachineOverrides;
  /** The image catalog, to accept images that are built but not declared in the config. */
  readonly imageAdmin?: ImageAdmin | undefined;
  readonly images?: ImageLookup | undefined;
  /** Milliseconds since the epoch; tests pass a fixed one. */
  readonly now?: (() => number) | undefined;
}

const imageBody = z.strictObject({
  image: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "an image name is letters, digits, '.', '_' or '-'")
    .nullable(),
});

export function registerMachineImageRoutes(app: FastifyInstance, deps: MachineImageDeps): void {
  const { config, store, bus, logger, overrides } = deps;
  const lookup = machineLookup(deps);
  const now = deps.now ?? Date.now;
  // One change at a time, so the store and the in-memory map end in the same order.
  let queue: Promise<unknown> = Promise.resolve();

  app.setErrorHandler((err, req, reply) => {
    const e = toApiError(err);
    if (e.status >= 500) logger.error({ err: String(err), url: req.url }, "API request failed");
    void reply.code(e.status).type("application/json; charset=utf-8").send(e.toJSON());
  });

  /** Declared in the config, or present in the image catalog. */
  const imageExists = async (name: string): Promise<boolean> => {
    if (Object.hasOwn(config.images, name)) return true;
    if (deps.images?.current(name)) return true;
    if (deps.imageAdmin) {
      const list = await lookup.storeCall("list images", () => deps.imageAdmin!.list());
      if (list.some((i) => i.name === name)) return true;
    }
    return false;
  };

  app.put<{ Params: { id: string } }>("/machines/:id/image", { bodyLimit: 4096 }, async (req) => {
    requireWriteToken(req.headers.authorization, deps.token);
    const parsed = imageBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw new ApiError("INVALID_BODY", z.prettifyError(parsed.error), {
        issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      });
    }
    const { image } = parsed.data;
    const mac = lookup.requireMac(await lookup.find(req.params.id));
    if (image !== null && !(await imageExists(image))) {
      throw new ApiError(
        "IMAGE_NOT_FOUND",
        `no image "${image}" is declared in the config or built in the image store; see GET /api/v1/images`,
        { image },
      );
    }
    const by = `api-token from ${clientIp(req)}`;
    const change = queue.then(async () => {
      const found = await lookup.find(mac);
      const previous = lookup.resolveSafe(lookup.factsOf(mac, found.row, found.host))?.image?.value ?? null;
      const at = now();
      await lookup.storeCall("keep the machine's image", () => store.setMachineImage(mac, image, at, by));
      overrides.set(mac, image === null ? undefined : { image, setAt: at, setBy: by });
      return { previous, found: await lookup.find(mac) };
    });
    queue = change.catch(() => {});
    const { previous, found } = await change;
    logger.info(
      { mac, image, previous, by },
      image === null ? "machine image override removed" : "machine image set",
    );
    bus.publish({ type: "api.image-set", mac, detail: { image, previous } });
    return lookup.detail(found);
  });
}
