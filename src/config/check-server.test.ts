import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "./config-error.js";
import { loadConfigFromString } from "./load-config.js";

const load = (server: string) =>
  loadConfigFromString(`server: { address: 198.18.10.1${server} }\n`, "/test/bootfleet.yaml", {
    skipImageCheck: true,
  });

const refused = (server: string, pattern: RegExp) =>
  assert.throws(
    () => load(server),
    (err: unknown) => err instanceof ConfigError && pattern.test(err.message),
  );

describe("server.roles", () => {
  test("default: every service, and build", () => {
    assert.deepEqual(load("").server.roles, ["dhcp", "tftp", "http", "nbd", "nfs", "syslog", "build"]);
  });

  test("a file server's roles, kept as written", () => {
    assert.deepEqual(load(", roles: [nbd, http]").server.roles, ["nbd", "http"]);
  });

  test("an unknown role, no role, or one twice is refused", () => {
    refused(", roles: [http, ftp]", /roles/);
    refused(", roles: []", /a server with no roles runs nothing/);
    refused(", roles: [http, http]", /role 'http' is listed twice/);
  });
});
