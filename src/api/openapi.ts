/**
 * The OpenAPI 3.1 document served at /api/v1/openapi.json. Written by hand
 * next to the routes; api-routes.test.ts checks that every route the plugin
 * registers is described here and every path here is a route.
 */
import { API_ERRORS } from "./api-errors.js";

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description = "OK"): Json => ({
  description,
  content: { "application/json": { schema } },
});
const error = (description: string): Json => json(ref("Error"), description);
const idParam: Json = {
  name: "id",
  in: "path",
  required: true,
  description: "MAC address (any of aa:bb:.., aa-bb-.., aabb..), hostname or IP address",
  schema: { type: "string" },
};
const macParam: Json = { name: "mac", in: "path", required: true, schema: { type: "string" } };
const query = (name: string, schema: Json, description: string): Json => ({
  name,
  in: "query",
  schema,
  description,
});
const eventQueries: Json[] = [
  query("after", { type: "integer", minimum: 0 }, "only events with a larger id"),
  query("type", { type: "string" }, "exact event type, e.g. client.stage"),
  query("order", { enum: ["asc", "desc"] }, "asc (default) or desc"),
  query("limit", { type: "integer", minimum: 1, maximum: 1000 }, "at most this many (default 100)"),
];
const bearer: Json[] = [{ bearer: [] }];

export function openApiDocument(): Json {
  return {
    openapi: "3.1.0",
    info: {
      title: "bootfleet API",
      version: "1",
      description:
        "Machines, images, leases and boot events of a bootfleet server. Requests that change state need " +
        "'Authorization: Bearer <token>' (services.api.token or BOOTFLEET_API_TOKEN); without a configured " +
        "token the write API is off (403 WRITE_API_DISABLED). Reads follow services.api.read: open (anyone " +
        "reads) or token (every read but / and /openapi.json needs the token, else 401 UNAUTHORIZED); a wrong " +
        'token is 401 on reads too. Secret settings and files carry secret: true and read "(secret)" ' +
        "(redacted: true) unless the request carries the token. Errors are " +
        '{"error": {"code", "message", "detail"?}} with a stable code.',
    },
    servers: [{ url: "/api/v1" }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: {
                code: { enum: Object.keys(API_ERRORS) },
                message: { type: "string" },
                detail: { type: "object" },
              },
            },
          },
        },
        Origin: {
          type: "object",
          properties: {
            layer: {
              enum: ["builtin", "defaults", "layers-tree", "network", "group", "host", "address", "api"],
              description:
                "api: set for this machine through PUT /machines/{id}/image, after every config layer",
            },
            name: {
              type: "string",
              examples: ["lab3", "set via API by api-token from 198.18.0.5 at 2026-11-20T09:30:00.000Z"],
            },
            file: { type: "string" },
            line: { type: "integer" },
            column: { type: "integer" },
          },
        },
        MachineSummary: {
          type: "object",
          properties: {
            mac: { type: ["string", "null"] },
            hostname: { type: ["string", "null"] },
            ip: { type: ["string", "null"] },
            declared: { type: "boolean", description: "declared as a host in the config" },
            host: { type: ["string", "null"] },
            groups: { type: "array", items: { type: "string" } },
            image: { type: ["string", "null"] },
            state: { type: "string", description: "off | dhcp | loading | root-mounted | up | failed" },
            arch: { type: ["integer", "null"], description: "DHCP option 93" },
            first_seen: { type: ["integer", "null"] },
            last_seen: { type: ["integer", "null"] },
          },
        },
        Event: {
          type: "object",
          properties: {
            id: { type: "integer" },
            at: { type: "integer", description: "milliseconds since the epoch" },
            type: { type: "string" },
            protocol: { type: "string" },
            mac: { type: ["string", "null"] },
            ip: { type: ["string", "null"] },
            stage: { type: ["string", "null"] },
            detail: { type: "object" },
          },
        },
        Image: {
          type: "object",
          properties: {
            name: { type: "string" },
            current: { type: ["string", "null"] },
            description: { type: "string" },
            versions: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  version: { type: "string" },
                  created: { type: "integer" },
                  size: { type: "integer" },
                },
              },
            },
          },
        },
      },
    },
    paths: {
      "/": { get: { summary: "Index of the API", responses: { 200: json({ type: "object" }) } } },
      "/openapi.json": { get: { summary: "This document", responses: { 200: json({ type: "object" }) } } },
      "/machines": {
        get: {
          summary: "Every machine declared in the config or seen on the network, merged",
          responses: {
            200: json({
              type: "object",
              properties: { machines: { type: "array", items: ref("MachineSummary") } },
            }),
          },
        },
      },
      "/machines/{id}": {
        get: {
          summary: "One machine and what it boots (or why it does not)",
          parameters: [idParam],
          responses: { 200: json({ type: "object" }), 404: error("MACHINE_NOT_FOUND") },
        },
      },
      "/machines/{id}/config": {
        get: {
          summary: "The machine's effective config, every value with its origin (bootfleet explain)",
          description:
            'Secret settings and files: {"value"|"content": "(secret)", "secret": true, "redacted": true} ' +
            "without the token, and a top-level redacted hint; with it, the value and secret: true.",
          parameters: [idParam],
          security: [{}, ...bearer],
          responses: {
            200: json({ type: "object" }),
            401: error("UNAUTHORIZED"),
            404: error("MACHINE_NOT_FOUND"),
          },
        },
      },
      "/machines/{id}/events": {
        get: {
          summary: "The machine's boot events",
          parameters: [idParam, ...eventQueries],
          responses: {
            200: json({ type: "object", properties: { events: { type: "array", items: ref("Event") } } }),
            400: error("INVALID_QUERY"),
            404: error("MACHINE_NOT_FOUND"),
          },
        },
        post: {
          summary: "A boot stage reported by the client hook",
          description:
            "Accepted with the token from anywhere; without it, from an address the machine is proven at (its " +
            "lease from this server, its fixed address, or in proxy mode its DHCP exchange; verified=source-ip), " +
            "or, for a MAC no address is proven for, from an address that is not another machine's (verified=false, " +
            "rate-limited per address). Fetching a machine's boot files proves nothing. Publishes a client.stage event.",
          parameters: [{ ...macParam, name: "id", description: "the reporting machine's MAC address" }],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["stage"],
                  additionalProperties: false,
                  properties: {
                    stage: {
                      type: "string",
                      pattern: "^[a-z][a-z0-9_.-]{0,31}$",
                      examples: ["root-mounted"],
                    },
                    detail: { type: "object" },
                  },
                },
              },
            },
          },
          responses: {
            202: json({ type: "object" }, "Accepted"),
            400: error("INVALID_MAC or INVALID_BODY"),
            401: error("UNAUTHORIZED (a wrong token)"),
            403: error("STAGE_SOURCE_MISMATCH"),
            429: error("STAGE_REPORTS_RATE_LIMITED"),
          },
        },
      },
      "/machines/{id}/image": {
        put: {
          summary: "Set the image the machine boots from its next boot on (or clear it with null)",
          description:
            "Kept in the store and applied as the last layer of the machine's config (origin layer 'api', named " +
            'after who set it and when), so it wins over every layer of the config file. {"image": null} ' +
            "removes it and the config decides again. The image must be declared in the config or built in the " +
            "image store. Publishes an api.image-set event. Answers the machine as GET /machines/{id} does.",
          security: bearer,
          parameters: [idParam],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["image"],
                  additionalProperties: false,
                  properties: {
                    image: {
                      type: ["string", "null"],
                      pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$",
                      examples: ["debian"],
                    },
                  },
                },
              },
            },
          },
          responses: {
            200: json({
              type: "object",
              required: ["machine"],
              properties: { machine: ref("MachineSummary") },
            }),
            400: error("INVALID_BODY"),
            401: error("UNAUTHORIZED"),
            403: error("WRITE_API_DISABLED"),
            404: error("MACHINE_NOT_FOUND or IMAGE_NOT_FOUND"),
            500: error("STORE_FAILED"),
          },
        },
      },
      "/machines/{id}/logs": {
        get: {
          summary: "What the machine sent to the syslog receiver (bootfleet logs)",
          parameters: [
            idParam,
            query("after", { type: "integer", minimum: 0 }, "only lines with a larger id"),
            query("order", { enum: ["asc", "desc"] }, "asc (default) or desc"),
            query("limit", { type: "integer", minimum: 1, maximum: 5000 }, "at most this many (default 500)"),
          ],
          responses: {
            200: json({ type: "object", properties: { logs: { type: "array", items: { type: "object" } } } }),
            400: error("INVALID_QUERY"),
            404: error("MACHINE_NOT_FOUND"),
            500: error("STORE_FAILED"),
          },
        },
      },
      "/machines/{id}/wake": {
        post: {
          summary: "Send the machine a Wake-on-LAN magic packet (bootfleet wake)",
          security: bearer,
          parameters: [idParam],
          responses: {
            202: json({ type: "object" }, "Sent; sent_to names the address and port"),
            401: error("UNAUTHORIZED"),
            403: error("WRITE_API_DISABLED"),
            404: error("MACHINE_NOT_FOUND"),
            500: { description: "WAKE_FAILED: sending the packet failed" },
            503: { description: "WAKE_UNAVAILABLE: no Wake-on-LAN sender attached to this server" },
          },
        },
      },
      "/images": {
        get: {
          summary: "Images and their versions",
          responses: {
            200: json({ type: "object", properties: { images: { type: "array", items: ref("Image") } } }),
          },
        },
      },
      "/images/{name}": {
        get: {
          summary: "One image",
          parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
          responses: { 200: json({ type: "object" }), 404: error("IMAGE_NOT_FOUND") },
        },
      },
      "/images/{name}/current": {
        post: {
          summary: "Switch the image's current version (bootfleet image use)",
          security: bearer,
          parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["version"],
                  additionalProperties: false,
                  properties: { version: { type: "string" } },
                },
              },
            },
          },
          responses: {
            200: json({ type: "object" }),
            400: error("INVALID_BODY"),
            401: error("UNAUTHORIZED"),
            403: error("WRITE_API_DISABLED"),
            404: error("IMAGE_NOT_FOUND or IMAGE_VERSION_NOT_FOUND"),
            500: error("IMAGE_SWITCH_FAILED"),
            503: error("IMAGES_UNAVAILABLE"),
          },
        },
      },
      "/leases": {
        get: {
          summary: "DHCP leases",
          parameters: [query("network", { type: "string" }, "only this network (CIDR)")],
          responses: { 200: json({ type: "object" }) },
        },
      },
      "/events": {
        get: {
          summary: "Boot events of every machine",
          parameters: [query("mac", { type: "string" }, "only this machine"), ...eventQueries],
          responses: {
            200: json({ type: "object", properties: { events: { type: "array", items: ref("Event") } } }),
            400: error("INVALID_QUERY or INVALID_MAC"),
          },
        },
      },
      "/events/stream": {
        get: {
          summary: "Boot events as server-sent events",
          description:
            "Each message is 'id: <event id>' and 'data: <Event as JSON>'. Reconnect with the Last-Event-ID header " +
            "(EventSource does) or ?after=<id> to get what was missed; without either the stream starts now. " +
            "At most the newest 500 are replayed: older ones are replaced by one 'event: missed' message " +
            "(data {after, before, message}) whose id resumes after the gap; reload the list with GET /events. " +
            "A client that takes nothing while its socket is full is disconnected after services.http.idle_timeout.",
          parameters: [
            { name: "Last-Event-ID", in: "header", schema: { type: "integer" } },
            query("after", { type: "integer", minimum: 0 }, "resume after this id"),
            query("mac", { type: "string" }, "only this machine"),
            query("type", { type: "string" }, "only this event type"),
          ],
          responses: { 200: { description: "text/event-stream", content: { "text/event-stream": {} } } },
        },
      },
    },
  };
}
