/**
 * The storm's machines, run inside the client namespace by storm-bench.ts
 * (`ip netns exec NS node --import tsx bench/storm/storm-clients.ts ...`):
 * `--count` machines with MACs 02:18:c8:00:HH:LL power on at times spread
 * uniformly over `--spread` seconds (the same times for every stack), each
 * boots (simulated-machine.ts), and one JSON document with
 * every machine's result and the simulator's CPU time goes to stdout when all are up or failed, or at
 * `--deadline` seconds (machines still booting then count as failed).
 *
 * The namespace takes every leased address as its own (a `local` route for
 * the pool, set up by storm-bench.ts), so each machine's TFTP, HTTP and NBD
 * sockets bind the address its DHCP ACK gave it.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { FirmwareThread } from "./firmware-thread.js";
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

/**
 * Machine i powers on at the fractional part of i times the golden ratio,
 * scaled to the spread: uniform over the window, in an order with no
 * pattern a server could ride on, and the same in every run and for every
 * stack (a low-discrepancy sequence, not a random one).
 */
const GOLDEN_RATIO_FRACTION = 0.6180339887498949;
const powerOnMs = (i: number) => ((i * GOLDEN_RATIO_FRACTION) % 1) * spreadMs;

const ctx: MachineContext = {
  firmware: await FirmwareThread.open(),
  trace: loadReadTrace(values.trace),
  thinkScale: Number(values["think-scale"]),
  epoch: performance.now(),
  held: [],
  stageOf: new Map(),
};
// How far behind the simulator's event loop ran: when it is seconds behind,
// the storm measures the simulator as much as the server.
const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();
const results: (BootResult | undefined)[] = new Array(count);
const boots = Array.from({ length: count }, (_, i) => {
  const at = powerOnMs(i);
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
await ctx.firmware.close();
loopDelay.disable();
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
// The simulator's own CPU time: one process plays every machine, and on a
// small machine it can be what holds the storm back.
const usage = process.resourceUsage();
const clientCpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
// Exit once the pipe has taken it all: a storm of 1,000 prints some 300 KB,
// more than the pipe holds, and exiting at once cut it short.
const clientLoopDelayMs = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
process.stdout.write(`${JSON.stringify({ results: out, clientCpuSeconds, clientLoopDelayMs })}\n`, () =>
  process.exit(0),
);
