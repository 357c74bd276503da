/**
 * POST /machines/<mac>/events: boot stages reported by the client hook,
 * the one write the API takes without the token (the hook runs in an
 * initramfs that holds no secret). Who may speak for a machine is decided by
 * the identity module (src/identity/), from evidence the server controls:
 *   - with the token, from anywhere (detail.verified = "token");
 *   - without it, from an address the machine is proven at: its lease from
 *     bootfleet, its fixed address in the config, or in proxy mode the DHCP
 *     exchange seen (verified = "source-ip");
 *   - without it, for a MAC no address is proven for, from an address that
 *     is not proven to be another machine's: accepted, verified = false,
 *     rate-limited per source, and able to create only a bounded number of
 *     new machines (unverified-report-gate.ts);
 * and refused otherwise (403 STAGE_SOURCE_MISMATCH, one
 * security.identity_mismatch event per machine and source per minute).
 * Which boot files an address fetched proves nothing, and a report moves
 * the machine's recorded address only when it came from a proven one.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { parseMac } from "../boot/mac-address.js";
import type { FleetConfig } from "../config/model.js";
import type { EventBus } from "../events/event-bus.js";
import type { IdentityQueries } from "../identity/client-identity.js";
import type { IdentityMismatch } from "../identity/identity-mismatch-log.js";
import type { Store } from "../store/store.js";
import { checkBearer } from "./api-auth.js";
import { ApiError } from "./api-errors.js";
import { clientIp } from "./client-ip.js";
import { parseBody } from "./parse-body.js";
import { UnverifiedReportGate } from "./unverified-report-gate.js";

export interface StageReportDeps {
  readonly config: Pick<FleetConfig, "hosts">;
  readonly store: Pick<Store, "getMachine">;
  readonly bus: Pick<EventBus, "publish">;
  readonly identity: IdentityQueries;
  readonly mismatches: { report(m: IdentityMismatch): void };
  /** The write token (config or env), already chosen; undefined = no token. */
  readonly token: string | undefined;
  /** Limits on unverified reports; default UnverifiedReportGate's defaults. */
  readonly gate?: UnverifiedReportGate | undefined;
}

const STAGE = /^[a-z][a-z0-9_.-]{0,31}$/;
const stageBody = z.strictObject({
  stage: z
    .string()
    .regex(STAGE, "a stage is 1-32 lower-case letters, digits, '.', '_' or '-', starting with a letter"),
  detail: z.record(z.string(), z.unknown()).optional(),
});

type Verified = "token" | "source-ip" | false;

export function registerStageReports(app: FastifyInstance, deps: StageReportDeps): void {
  const { bus, identity, mismatches } = deps;
  const gate = deps.gate ?? new UnverifiedReportGate();
  const declared = new Set(deps.config.hosts.flatMap((h) => (h.mac ? [h.mac] : [])));

  const refuse = (mac: string, source: string, why: string): never => {
    mismatches.report({ service: "api", mac, ip: source, reason: `stage report refused: ${why}` });
    throw new ApiError(
      "STAGE_SOURCE_MISMATCH",
      `stage reports for ${mac} are taken from its own address, ${why}; or send the API token`,
      { mac, source_ip: source },
    );
  };

  /** Without the token: how far the report is believed, or a refusal. */
  const judge = async (mac: string, source: string): Promise<{ verified: Verified; named: boolean }> => {
    const proven = await identity.addressesOf(mac);
    if (proven.includes(source)) return { verified: "source-ip", named: true };
    if (proven.length > 0) refuse(mac, source, `(${proven.join(", ")}), not ${source}`);
    const there = await identity.machineAt(source);
    if (there !== null) refuse(mac, source, `and ${source} is the address of ${there}`);
    if (!gate.admit(source)) {
      throw new ApiError(
        "STAGE_REPORTS_RATE_LIMITED",
        `too many unverified stage reports from ${source}; a machine reporting from its own address ` +
          "(a lease from this server or a fixed address) is not limited",
        { source_ip: source },
      );
    }
    const known = declared.has(mac) || (await deps.store.getMachine(mac)) !== null;
    return { verified: false, named: known || gate.admitNewMachine() };
  };

  app.post<{ Params: { id: string } }>(
    "/machines/:id/events",
    { bodyLimit: 16 * 1024 },
    async (req, reply: FastifyReply) => {
      const mac = parseMac(req.params.id);
      if (!mac)
        throw new ApiError("INVALID_MAC", `"${req.params.id}" is not a MAC address (aa:bb:cc:dd:ee:ff)`);
      const body = parseBody(stageBody, req.body);
      const source = clientIp(req);
      const auth = checkBearer(req.headers.authorization, deps.token);
      if (auth === "wrong") throw new ApiError("UNAUTHORIZED", "The bearer token is not the one configured.");
      const { verified, named } =
        auth === "ok" ? { verified: "token" as const, named: true } : await judge(mac, source);
      // The machine's address is recorded only from an address it is proven
      // at: a token-carrying report from an admin's desk must not move it.
      const fromItself = verified === "source-ip" || (await identity.isMachineAt(mac, source));
      const event = bus.publish({
        type: "client.stage",
        // Beyond the new-machine budget the report is kept, but names no machine.
        mac: named ? mac : undefined,
        ip: fromItself ? source : undefined,
        stage: body.stage,
        detail: { ...(body.detail ?? {}), ...(named ? {} : { mac }), source_ip: source, verified },
      });
      return reply.code(202).send({ accepted: true, verified, at: event.at });
    },
  );
}
