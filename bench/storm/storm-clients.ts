/**
 * The storm's machines, run inside the client namespace by storm-bench.ts
 * (`ip netns exec NS node --import tsx bench/storm/storm-clients.ts ...`):
 * `--count` machines with MACs 02:18:c8:00:HH:LL power on at times spread
 * uniformly over `--spread` seconds (the same times for every stack: a
 * fixed seed), each boots (simulated-machine.ts), and one JSON document with
 * every machine's result goes to stdout when all are up or failed, or at
 * `--deadline` seconds (machines still booting then count as failed).
 *
 * The namespace takes every leased address as its own (a `local` route for
 * the pool, set up by storm-bench.ts), so each machine's TFTP, HTTP and NBD
 * sockets bind the address its DHCP ACK gave it.
 */
import { parseArgs } from "node:util";
import { DhcpPort } from "./dhcp-port.js";
import { loadReadTrace } from "./read-trace.js";
import { type BootResult, bootMachine, type MachineContext } from "./simulated-machine.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "50" },
    spread: { type: "string", default: "10" },
    trace: { type: "string" },
    "think-scale": { type: "string", default: "1" },
    deadline: { type: "string", default: "600" },
  },
});
const count = Number(values.count);
const spreadMs = Number(values.spread) * 1000;
if (!values.trace) throw new Error("--trace FILE expected");

export function stormMac(i: number): string {
  const hex = (b: number) => b.toString(16).padStart(2, "0");
  return `02:18:c8:00:${hex((i >> 8) & 0xff)}:${hex(i & 0xff)}`;
}

/** mulberry32: the same power-on times in every run and for every stack. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const random = seeded(0x5eed0017 ^ count);
const ctx: MachineContext = {
  dhcp: await DhcpPort.open(),
  trace: loadReadTrace(values.trace),
  thinkScale: Number(values["think-scale"]),
  epoch: performance.now(),
  held: [],
  stageOf: new Map(),
};
const results: (BootResult | undefined)[] = new Array(count);
const boots = Array.from({ length: count }, (_, i) => {
  const at = random() * spreadMs;
  return new Promise<void>((resolve) =>
    setTimeout(() => {
      bootMachine(ctx, stormMac(i)).then((r) => {
        results[i] = r;
        resolve();
      });
    }, at),
  );
});
const deadline = new Promise<void>((resolve) => setTimeout(resolve, Number(values.deadline) * 1000).unref());
await Promise.race([Promise.all(boots), deadline]);
for (const h of ctx.held) h.close();
ctx.dhcp.close();
const out = Array.from(
  results,
  (r, i): BootResult =>
    r ?? {
      mac: stormMac(i),
      poweredOnMs: Number.NaN,
      stageMs: {},
      failure: {
        stage: ctx.stageOf.get(stormMac(i)) ?? "dhcp",
        reason: `still booting at the ${values.deadline} s deadline`,
      },
    },
);
process.stdout.write(`${JSON.stringify({ results: out })}\n`);
process.exit(0);
