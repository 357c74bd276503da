/**
 * A recording NBD proxy: listens on `--listen IP:PORT`, forwards every
 * connection byte for byte to `--to IP:PORT`, and writes one JSON line per
 * READ reply to `--out`: {"sentMs","offset","length","repliedMs"}, times
 * from the connection's first request. Used by record-trace.ts, which
 * points a booting client's `bootfleet.nbd=` at it; the server sees the
 * same requests it would see without it.
 *
 *   node --import tsx bench/storm/nbd-trace-proxy.ts --listen IP:PORT --to IP:PORT --out FILE
 */
import { appendFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { parseArgs } from "node:util";
import { NbdClientFramer } from "../../src/protocols/nbd/nbd-client-framer.js";
import {
  NBD_CMD_READ,
  NBD_FLAG_C_NO_ZEROES,
  NBD_OPT_EXPORT_NAME,
  NBD_OPT_GO,
  NBD_REP_ACK,
} from "../../src/protocols/nbd/nbd-constants.js";
import { NbdReplyFramer } from "../../src/protocols/nbd/nbd-reply-framer.js";

const { values } = parseArgs({
  options: { listen: { type: "string" }, to: { type: "string" }, out: { type: "string" } },
});
const hostPort = (s: string | undefined, what: string): [string, number] => {
  const m = /^([\d.]+):(\d+)$/.exec(s ?? "");
  if (!m) throw new Error(`--${what} IP:PORT expected, got ${s}`);
  return [m[1]!, Number(m[2])];
};
const [listenHost, listenPort] = hostPort(values.listen, "listen");
const [toHost, toPort] = hostPort(values.to, "to");
const out = values.out;
if (!out) throw new Error("--out FILE expected");

createServer((client) => {
  const upstream = connect({ host: toHost, port: toPort });
  const fromClient = new NbdClientFramer();
  const fromServer = new NbdReplyFramer();
  const pending = new Map<bigint, { sentMs: number; offset: number; length: number }>();
  let t0: number | undefined;
  let noZeroes = false;
  const now = () => {
    const t = performance.now();
    t0 ??= t;
    return Math.round(t - t0);
  };
  const stop = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("data", (chunk) => {
    upstream.write(chunk);
    fromClient.push(chunk);
    for (let m = fromClient.next(); m; m = fromClient.next()) {
      if (m.kind === "client-flags") noZeroes = (m.flags & NBD_FLAG_C_NO_ZEROES) !== 0;
      // The old way in (nbd-client before GO existed): size and flags follow, then transmission.
      if (m.kind === "option" && m.option === NBD_OPT_EXPORT_NAME) fromServer.expectExportNameReply(noZeroes);
      if (m.kind === "request" && m.type === NBD_CMD_READ) {
        pending.set(m.handle, { sentMs: now(), offset: Number(m.offset), length: m.length });
        fromServer.expectRead(m.handle, m.length);
      }
    }
  });
  upstream.on("data", (chunk) => {
    client.write(chunk);
    fromServer.push(chunk);
    for (let m = fromServer.next(); m; m = fromServer.next()) {
      if (m.kind === "option-reply" && m.option === NBD_OPT_GO && m.replyType === NBD_REP_ACK) {
        fromServer.enterTransmission();
        if (fromClient.phase === "awaiting-go-reply") fromClient.enterTransmission();
        // Requests the client sent right behind its GO were held by the framer.
        for (let r = fromClient.next(); r; r = fromClient.next()) {
          if (r.kind === "request" && r.type === NBD_CMD_READ) {
            pending.set(r.handle, { sentMs: now(), offset: Number(r.offset), length: r.length });
            fromServer.expectRead(r.handle, r.length);
          }
        }
      } else if (
        m.kind === "option-reply" &&
        m.option === NBD_OPT_GO &&
        fromClient.phase === "awaiting-go-reply"
      ) {
        if (m.replyType >= 0x80000000) fromClient.resumeOptions();
      } else if (m.kind === "simple-reply") {
        const p = pending.get(m.handle);
        if (!p) continue;
        pending.delete(m.handle);
        appendFileSync(out, `${JSON.stringify({ ...p, repliedMs: now() })}\n`);
      }
    }
  });
  client.on("error", stop);
  upstream.on("error", stop);
  client.on("close", stop);
  upstream.on("close", stop);
}).listen(listenPort, listenHost, () =>
  process.stdout.write(`nbd-trace-proxy listening on ${listenHost}:${listenPort}\n`),
);
