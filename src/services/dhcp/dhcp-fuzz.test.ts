/**
 * Property: no input makes the codec throw anything but DhcpCodecError, and
 * no input makes the handler reject. 100,000 packets per mode (full, proxy):
 * random bytes, real captures and generated packets mutated (bit flips, byte
 * overwrites, truncation, corrupted option lengths, overload values), and
 * well-formed packets with random types, MACs and addresses that drive the
 * lease state machine. Every reply the handler makes must decode again.
 * Deterministic (seeded); FUZZ_SEED and FUZZ_COUNT change it.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { DhcpCodecError } from "../../protocols/dhcp/dhcp-codec-error.js";
import { DhcpMessageType, Opt } from "../../protocols/dhcp/dhcp-message.js";
import { decodeDhcp } from "../../protocols/dhcp/decode-dhcp.js";
import { makeClientPacket } from "../../protocols/dhcp/make-client-packet.js";
import { pcapUdpPayloads } from "../../protocols/pcap-udp-payloads.js";
import { makeHandlerFixture, TEST_FLEET } from "./dhcp-handler-fixture.js";

const COUNT = Number(process.env.FUZZ_COUNT ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fixtures = fileURLToPath(new URL("../../../test/fixtures/dhcp/", import.meta.url));
const captured = readdirSync(fixtures)
  .filter((f) => f.endsWith(".pcap"))
  .flatMap((f) => pcapUdpPayloads(readFileSync(`${fixtures}${f}`)).map((d) => d.payload));

function generator(seed: number) {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const mac = () =>
    `02:00:00:00:${int(4).toString(16).padStart(2, "0")}:${int(256).toString(16).padStart(2, "0")}`;
  const addr = () =>
    pick(["0.0.0.0", `198.18.10.${int(256)}`, `198.18.11.${int(256)}`, `10.${int(256)}.0.1`]);
  const wellFormed = () =>
    makeClientPacket({
      type: 1 + int(8),
      mac: mac(),
      xid: int(2 ** 32),
      ciaddr: r() < 0.3 ? addr() : undefined,
      giaddr: r() < 0.2 ? addr() : undefined,
      requestedIp: r() < 0.5 ? addr() : undefined,
      serverId: r() < 0.4 ? pick(["198.18.10.1", addr()]) : undefined,
      vendorClass:
        r() < 0.4
          ? pick(["PXEClient:Arch:00000:UNDI:002001", "PXEClient", "HTTPClient", "udhcp"])
          : undefined,
      userClass:
        r() < 0.2
          ? pick([Buffer.from("iPXE"), Buffer.from([4, 0x6c, 0x61, 0x62, 0x33]), Buffer.from([9])])
          : undefined,
      arch: r() < 0.3 ? int(20) : undefined,
      maxMessageSize: r() < 0.2 ? int(70000) % 65536 : undefined,
      extra:
        r() < 0.3
          ? new Map([
              [
                pick([
                  Opt.VENDOR_SPECIFIC,
                  Opt.RELAY_AGENT_INFO,
                  Opt.IPXE_ENCAPSULATED,
                  Opt.CLIENT_UUID,
                  200,
                ]),
                random(int(40)),
              ],
            ])
          : undefined,
    });
  const random = (n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  const mutate = (src: Buffer) => {
    let b = Buffer.from(src);
    const rounds = 1 + int(6);
    for (let k = 0; k < rounds; k++) {
      const what = int(6);
      if (what === 0 && b.length > 0) {
        const at = int(b.length);
        b[at] = b[at]! ^ (1 << int(8));
      } else if (what === 1 && b.length > 0) b[int(b.length)] = int(256);
      else if (what === 2) b = b.subarray(0, int(b.length + 1));
      else if (what === 3) b = Buffer.concat([b, random(int(300))]);
      else if (what === 4 && b.length > 242) {
        // An option length byte somewhere in the options field.
        b[240 + 1 + int(b.length - 241)] = pick([0, 1, 255, int(256)]);
      } else if (what === 5 && b.length > 244) {
        // Overload (52) with a random value, and junk in file/sname.
        b.set([52, 1, int(5)], 240 + int(b.length - 243));
        b.set(random(8), 44 + int(180));
      }
    }
    return b;
  };
  return (): Buffer => {
    const kind = r();
    if (kind < 0.2) return random(int(1600));
    if (kind < 0.45) return mutate(r() < 0.5 ? pick(captured) : wellFormed());
    if (kind < 0.55) return pick(captured);
    return wellFormed();
  };
}

for (const mode of ["full", "proxy"] as const) {
  test(`${COUNT} random and mutated packets, ${mode} mode: no exception escapes`, async () => {
    const clock = { t: 1_800_000_000_000, now: () => 0 };
    const f = await makeHandlerFixture(TEST_FLEET.replace("mode: full", `mode: ${mode}`), { clock });
    const next = generator(SEED + (mode === "proxy" ? 1 : 0));
    let decoded = 0;
    let replies = 0;
    for (let i = 0; i < COUNT; i++) {
      const data = next();
      try {
        decodeDhcp(data);
        decoded++;
      } catch (err) {
        if (!(err instanceof DhcpCodecError))
          throw new Error(`codec threw ${String(err)} on ${data.toString("hex")}`);
      }
      const listener = mode === "proxy" && i % 3 === 0 ? "proxy" : "dhcp";
      const out = await f.handler.handle({ data, address: "198.18.10.77", port: 68, listener });
      for (const o of out) {
        const reply = decodeDhcp(o.data);
        assert.equal(reply.op, 2);
        assert.ok(
          reply.messageType === DhcpMessageType.OFFER ||
            reply.messageType === DhcpMessageType.ACK ||
            reply.messageType === DhcpMessageType.NAK,
        );
        replies++;
      }
      if (i % 1000 === 0) clock.t += 30_000; // leases and offers run out along the way
      if (i % 10_000 === 0) await f.handler.expire();
    }
    assert.equal(f.handler.counters.get("errors"), 0, "no handler bug surfaced as an internal error");
    assert.equal(f.handler.counters.get("received"), COUNT);
    assert.ok(decoded > COUNT / 4, `a good share decodes (${decoded})`);
    assert.ok(replies > 0);
  });
}
