/**
 * Secrets against `bootfleet serve`, asked for the way a machine on the same
 * segment would: curl from its own network namespace address. The server
 * (198.18.52.1, HTTP and TFTP, an API token, read: open) has a host `victim`
 * at a fixed address with a secret setting (LDM_PASSWORD), a secret file
 * (/etc/secret, mode 0600) and a secret BOOTFLEET_ setting; the other
 * machine (198.18.52.66) asks for everything that could carry them:
 *   - every read route of the API without the token: answered, no secret,
 *     the config saying "(secret)";
 *   - the victim's boot script, and its layer archive over HTTP and TFTP
 *     (no identity is proven for that address, so the archive is built as
 *     if the victim had no secrets);
 *   - the same config with the token: the values, as an administrator's
 *     script would read them.
 *
 * Peers: curl (HTTP and TFTP), cpio is not needed (the archive is searched as
 * bytes). Needs root for the namespaces; they are removed in `after`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { requirePeers } from "../support/require-peers.js";
import { startServeInNetwork } from "../support/serve-in-network.js";
import { TestNetwork } from "../support/test-network.js";
import { writeImageVersion } from "../support/image-on-disk.js";

const SERVER = "198.18.52.1";
const OTHER = "198.18.52.66";
const TOKEN = "secrets-curl-token-0123456789abcdef";
const VICTIM = "52:54:00:00:0f:21";
const PASSWORD = "ldm-password-only-for-the-victim";
const FILE_SECRET = "content-of-etc-secret-for-the-victim";
const PSK = "wifi-psk-kept-off-the-command-line";
const VERSION = "20261101-090000";

const CONFIG = (dataDir: string) => `server:
  address: ${SERVER}
  data_dir: ${dataDir}
services:
  dhcp: { mode: off }
  nbd: { enabled: false }
  syslog: { enabled: false }
  tftp: { workers: 0 }
  api: { token: ${TOKEN} }
images: { debian: {} }
networks:
  - subnet: 198.18.52.0/24
defaults:
  image: debian
  settings: { XKBLAYOUT: de, BOOTFLEET_WIFI_PSK: { value: ${PSK}, secret: true } }
hosts:
  victim:
    mac: "${VICTIM}"
    ip: 198.18.52.10
    settings: { LDM_PASSWORD: ${PASSWORD} }
    files:
      /etc/secret: { content: "${FILE_SECRET}\\n", mode: "0600" }
      /etc/motd: "welcome to the lab\\n"
`;

describe("secrets against bootfleet serve, asked by another machine on the segment", () => {
  let net: TestNetwork;
  let other: string;
  let tmp: string;

  /** curl in the other machine's namespace: body and status. */
  const curl = (url: string, ...args: string[]): { status: number; body: Buffer } => {
    const out = execFileSync(
      "ip",
      ["netns", "exec", other, "curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}", ...args, url],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const cut = out.lastIndexOf("\n");
    return { status: Number(out.subarray(cut + 1).toString()), body: out.subarray(0, cut) };
  };

  const assertNoSecret = (body: Buffer, what: string): void => {
    for (const secret of [PASSWORD, FILE_SECRET, PSK]) {
      assert.equal(body.includes(secret), false, `${what} holds ${secret}`);
      const b64 = Buffer.from(`${secret}\n`).toString("base64");
      assert.equal(body.includes(b64), false, `${what} holds ${secret} in base64`);
    }
  };

  before(async () => {
    requirePeers(["curl"]);
    tmp = mkdtempSync(join(tmpdir(), `bf-secrets-curl-${process.pid}-`));
    const dataDir = join(tmp, "var");
    writeImageVersion(dataDir, "debian", VERSION, "hsqs");
    writeFileSync(join(tmp, "bootfleet.yaml"), CONFIG(dataDir));
    net = TestNetwork.create({ tag: "secrets", bridgeAddress: `${SERVER}/24` });
    other = net.addHost("other", `${OTHER}/24`);
    await startServeInNetwork(net, SERVER, join(tmp, "bootfleet.yaml"), join(tmp, "serve.log"));
  });

  after(() => {
    net?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("every read route answers without the token and shows no secret", () => {
    const base = `http://${SERVER}:8080/api/v1`;
    for (const path of [
      "/machines",
      "/machines/victim",
      `/machines/${VICTIM}`,
      "/machines/victim/config",
      "/machines/198.18.52.10/config",
      "/machines/victim/events",
      "/machines/victim/logs",
      "/events",
      "/leases",
      "/images",
    ]) {
      const r = curl(base + path);
      assert.equal(r.status, 200, `${path}: ${r.body}`);
      assertNoSecret(r.body, path);
    }
    const { config } = JSON.parse(curl(`${base}/machines/victim/config`).body.toString());
    assert.equal(config.settings.LDM_PASSWORD.value, "(secret)");
    assert.equal(config.files["/etc/secret"].content, "(secret)");
    assert.match(config.redacted, /API token/);
  });

  it("the victim's boot script and its layer archive (HTTP and TFTP) hold no secret for another address", () => {
    const script = curl(`http://${SERVER}:8080/boot/${VICTIM}.ipxe`);
    assert.equal(script.status, 200);
    assert.match(script.body.toString(), /^#!ipxe/);
    assertNoSecret(script.body, "the boot script");

    const http = curl(`http://${SERVER}:8080/boot/${VICTIM}/layers.cpio`);
    assert.equal(http.status, 200);
    assert.ok(http.body.includes("welcome to the lab"), "the archive holds the plain files");
    assert.ok(http.body.includes("# LDM_PASSWORD is secret"), "lts.conf says what was left out");
    assertNoSecret(http.body, "layers.cpio over HTTP");

    const tftp = curl(`tftp://${SERVER}/boot/${VICTIM.replaceAll(":", "-")}/layers.cpio`);
    assert.ok(tftp.body.includes("welcome to the lab"), "TFTP hands out the same archive");
    assert.deepEqual(tftp.body, http.body, "the same bytes over both");
    assertNoSecret(tftp.body, "layers.cpio over TFTP");
  });

  it("with the token the config shows the secrets; a wrong token gets nothing", () => {
    const url = `http://${SERVER}:8080/api/v1/machines/victim/config`;
    const ok = curl(url, "-H", `Authorization: Bearer ${TOKEN}`);
    assert.equal(ok.status, 200);
    const { config } = JSON.parse(ok.body.toString());
    assert.equal(config.settings.LDM_PASSWORD.value, PASSWORD);
    assert.equal(config.settings.LDM_PASSWORD.secret, true);
    assert.equal(config.files["/etc/secret"].content, `${FILE_SECRET}\n`);
    const wrong = curl(url, "-H", "Authorization: Bearer not-the-token-000000000000");
    assert.equal(wrong.status, 401);
    assertNoSecret(wrong.body, "the 401");
  });
});
