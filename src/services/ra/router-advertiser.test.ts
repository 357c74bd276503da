import assert from "node:assert/strict";
import { constants } from "node:os";
import { describe, it } from "node:test";
import { capturedIcmpv6 } from "../../../test/fixtures/ndp/captured-icmpv6.js";
import { MemoryLogger } from "../../logging/logger.js";
import { decodeNdp } from "../../protocols/ndp/decode-ndp.js";
import { encodeNdp } from "../../protocols/ndp/encode-ndp.js";
import { NdpType } from "../../protocols/ndp/ndp-message.js";
import type { Icmpv6Message, Icmpv6Socket } from "./icmpv6-socket.js";
import { RouterAdvertiser } from "./router-advertiser.js";

/** A socket that records what is sent and lets the test deliver messages. */
class FakeSocket implements Icmpv6Socket {
  readonly sent: { to: string; bytes: Buffer; at: number }[] = [];
  closed = false;
  sendResult = 0;
  #handler: ((m: Icmpv6Message) => void) | undefined;
  constructor(
    readonly interfaceName: string,
    readonly clock: { now(): number },
  ) {}
  send(to: string, bytes: Uint8Array): number {
    if (this.sendResult < 0) return this.sendResult;
    this.sent.push({ to, bytes: Buffer.from(bytes), at: this.clock.now() });
    return bytes.length;
  }
  onMessage(handler: (m: Icmpv6Message) => void): void {
    this.#handler = handler;
  }
  deliver(m: Icmpv6Message): void {
    this.#handler?.(m);
  }
  close(): void {
    this.closed = true;
  }
}

/** Timers and a clock driven by hand. */
class FakeTime {
  #now = 1_000_000;
  #next = 1;
  readonly #due = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#due.set(id, { at: this.#now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }
  get pending(): number {
    return this.#due.size;
  }
  /** Runs every timer due within `ms`, in time order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#due)
        if (e[1].at <= end && (first === undefined || e[1].at < first[1].at)) first = e;
      if (first === undefined) break;
      this.#due.delete(first[0]);
      this.#now = Math.max(this.#now, first[1].at);
      first[1].fn();
    }
    this.#now = end;
  }
}

const ipxe = capturedIcmpv6("ipxe-bios")[0]!;
const solicitation: Icmpv6Message = { bytes: ipxe.body, source: ipxe.source, hopLimit: ipxe.hopLimit };
const noRouter = encodeNdp({
  type: NdpType.ROUTER_ADVERTISEMENT,
  curHopLimit: 0,
  managed: false,
  other: false,
  routerLifetime: 0,
  reachableTime: 0,
  retransTimer: 0,
});

function setup(random = 0.5) {
  const time = new FakeTime();
  const logger = new MemoryLogger();
  const socket = new FakeSocket("br0", time);
  const advertiser = new RouterAdvertiser({
    sockets: [socket],
    logger,
    timers: time,
    clock: time,
    random: () => random,
  });
  return { time, logger, socket, advertiser };
}

describe("router advertiser", () => {
  it("starts with an unsolicited advertisement to all nodes that names no router, no prefix, M=0 O=0", () => {
    const { socket, advertiser } = setup();
    advertiser.start();
    assert.deepEqual(
      socket.sent.map((s) => s.to),
      ["ff02::1"],
    );
    assert.deepEqual(socket.sent[0]!.bytes, noRouter);
    assert.deepEqual(decodeNdp(socket.sent[0]!.bytes), {
      type: NdpType.ROUTER_ADVERTISEMENT,
      curHopLimit: 0,
      managed: false,
      other: false,
      routerLifetime: 0,
      reachableTime: 0,
      retransTimer: 0,
      sourceLinkLayer: undefined,
      mtu: undefined,
    });
    advertiser.close();
  });

  it("answers iPXE's solicitation unicast after a random delay under 500 ms, once per solicitor in flight", () => {
    const { time, socket, advertiser } = setup(0.6);
    advertiser.start();
    socket.sent.length = 0;
    socket.deliver(solicitation);
    socket.deliver(solicitation); // a retransmission while the answer waits
    time.advance(299);
    assert.equal(socket.sent.length, 0);
    time.advance(1);
    assert.deepEqual(
      socket.sent.map((s) => [s.to, s.bytes]),
      [["fe80::5054:ff:fe11:1", noRouter]],
    );
    // The next retransmission (the answer was lost) is answered again.
    socket.deliver(solicitation);
    time.advance(500);
    assert.equal(socket.sent.length, 2);
    advertiser.close();
  });

  it("drops a solicitation that a router forwarded (hop limit below 255) and malformed ones, and keeps answering", () => {
    const { time, socket, logger, advertiser } = setup();
    advertiser.start();
    socket.sent.length = 0;
    socket.deliver({ ...solicitation, hopLimit: 254 });
    socket.deliver({ ...solicitation, bytes: Buffer.from([133, 0, 0, 0, 0, 0, 0, 0, 1, 0]) });
    time.advance(1000);
    assert.equal(socket.sent.length, 0);
    assert.deepEqual(
      logger.records.filter((r) => r.msg?.startsWith("ra: dropped")).map((r) => r.msg),
      [
        "ra: dropped: hop limit is not 255, so it did not come from this link (RFC 4861 §6.1)",
        "ra: dropped a malformed message",
      ],
    );
    socket.deliver(solicitation);
    time.advance(1000);
    assert.equal(socket.sent.length, 1);
    advertiser.close();
  });

  it("answers a solicitation from the unspecified address by multicast, no sooner than 3 s after the last", () => {
    const { time, socket, advertiser } = setup(0);
    advertiser.start(); // a multicast now
    const started = time.now();
    const fromNowhere: Icmpv6Message = {
      bytes: encodeNdp({ type: NdpType.ROUTER_SOLICITATION }),
      source: "::",
      hopLimit: 255,
    };
    socket.deliver(fromNowhere);
    socket.deliver(fromNowhere);
    time.advance(2999);
    assert.equal(socket.sent.length, 1);
    time.advance(1);
    assert.deepEqual(
      socket.sent.map((s) => [s.to, s.at - started]),
      [
        ["ff02::1", 0],
        ["ff02::1", 3000],
      ],
    );
    // §6.1.1: from :: with a link-layer address option is invalid.
    socket.deliver({ ...fromNowhere, bytes: ipxe.body });
    time.advance(5000);
    assert.equal(socket.sent.length, 2);
    advertiser.close();
  });

  it("sends three unsolicited advertisements at most 16 s apart, then one every 198-600 s", () => {
    const { time, socket, advertiser } = setup(0.5);
    advertiser.start();
    time.advance(16_000 * 2);
    assert.equal(socket.sent.length, 3);
    time.advance(398_999);
    assert.equal(socket.sent.length, 3);
    time.advance(1);
    assert.equal(socket.sent.length, 4);
    advertiser.close();
  });

  it("warns once per router when a real IPv6 router advertises on the segment", () => {
    const { socket, logger, advertiser } = setup();
    advertiser.start();
    const router = encodeNdp({
      type: NdpType.ROUTER_ADVERTISEMENT,
      curHopLimit: 64,
      managed: false,
      other: true,
      routerLifetime: 1800,
      reachableTime: 0,
      retransTimer: 0,
    });
    socket.deliver({ bytes: router, source: "fe80::1", hopLimit: 255 });
    socket.deliver({ bytes: router, source: "fe80::1", hopLimit: 255 });
    // Another bootfleet's (lifetime 0, M=0 O=0) is no router.
    socket.deliver({ bytes: noRouter, source: "fe80::2", hopLimit: 255 });
    const warnings = logger.records.filter((r) => r.level === "warn");
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!.msg ?? "",
      /an IPv6 router advertises on this segment.*services\.ra\.enabled: false/,
    );
    assert.deepEqual(
      {
        router: (warnings[0]!.obj as { router: string }).router,
        interface: (warnings[0]!.obj as { interface: string }).interface,
      },
      { router: "fe80::1", interface: "br0" },
    );
    advertiser.close();
  });

  it("says once per interface and error that an advertisement could not be sent", () => {
    const { time, socket, logger, advertiser } = setup();
    socket.sendResult = -constants.errno.EADDRNOTAVAIL;
    advertiser.start();
    socket.deliver(solicitation);
    time.advance(1000);
    const warnings = logger.records.filter((r) => r.level === "warn");
    assert.equal(warnings.length, 1);
    assert.equal((warnings[0]!.obj as { err: string }).err, "EADDRNOTAVAIL");
    socket.sendResult = 0;
    socket.deliver(solicitation);
    time.advance(1000);
    assert.equal(socket.sent.length, 1);
    advertiser.close();
  });

  it("close stops every timer and closes the sockets", () => {
    const { time, socket, advertiser } = setup();
    advertiser.start();
    socket.deliver(solicitation);
    assert.ok(time.pending > 0);
    advertiser.close();
    assert.equal(time.pending, 0);
    assert.equal(socket.closed, true);
  });
});
