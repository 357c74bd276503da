/**
 * What one storm run comes to: time to the last machine up, p50/p95/p99 of
 * each stage over the machines that reached it, failures grouped by why,
 * server CPU-seconds per booted machine and peak RSS; and the printed
 * tables, one per run and the stacks side by side.
 */
import { type BootResult, STAGES, type Stage } from "./simulated-machine.js";

export interface StormRun {
  readonly stack: string;
  readonly machines: number;
  readonly results: readonly BootResult[];
  /** The servers' CPU time during the storm (every process, children included). */
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  /** The simulator's CPU time, and how long it ran. */
  readonly clientCpuSeconds: number;
  readonly clientSeconds: number;
  /** How far behind the simulator's event loop ran (p99 and worst), in ms. */
  readonly clientLoopDelayMs: { readonly p99: number; readonly max: number };
}

export interface StormSummary {
  readonly stack: string;
  readonly machines: number;
  readonly up: number;
  readonly failed: number;
  /** Seconds from the storm's start to the last machine's init report; NaN when none came up. */
  readonly lastUpSeconds: number;
  readonly stageMs: Record<Stage, { readonly p50: number; readonly p95: number; readonly p99: number }>;
  readonly failures: readonly {
    readonly stage: string;
    readonly reason: string;
    readonly machines: number;
  }[];
  readonly cpuSecondsPerBoot: number;
  readonly peakRssMiB: number;
  /** The simulator's CPU time over its run time: near 1, one CPU, it was busy the whole storm. */
  readonly clientCpuShare: number;
  readonly clientLoopDelayMs: { readonly p99: number; readonly max: number };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function summarize(run: StormRun): StormSummary {
  const up = run.results.filter((r) => r.upMs !== undefined);
  const stageMs = {} as Record<Stage, { p50: number; p95: number; p99: number }>;
  for (const s of STAGES) {
    const xs = run.results
      .map((r) => r.stageMs[s])
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
    stageMs[s] = { p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99) };
  }
  const byWhy = new Map<string, { stage: string; reason: string; machines: number }>();
  for (const r of run.results) {
    if (!r.failure) continue;
    // Addresses and MACs differ per machine; the reason without them groups alike failures.
    const reason = r.failure.reason
      .replace(/\d+\.\d+\.\d+\.\d+(:\d+)?/g, "IP")
      .replace(/([0-9a-f]{2}[:-]){5}[0-9a-f]{2}/gi, "MAC");
    const key = `${r.failure.stage} ${reason}`;
    const f = byWhy.get(key) ?? { stage: r.failure.stage, reason, machines: 0 };
    f.machines++;
    byWhy.set(key, f);
  }
  return {
    stack: run.stack,
    machines: run.machines,
    up: up.length,
    failed: run.machines - up.length,
    lastUpSeconds: up.length === 0 ? Number.NaN : Math.max(...up.map((r) => r.upMs!)) / 1000,
    stageMs,
    failures: [...byWhy.values()].sort((a, b) => b.machines - a.machines),
    cpuSecondsPerBoot: up.length === 0 ? Number.NaN : run.cpuSeconds / up.length,
    peakRssMiB: run.peakRssBytes / 2 ** 20,
    clientCpuShare: run.clientCpuSeconds / run.clientSeconds,
    clientLoopDelayMs: run.clientLoopDelayMs,
  };
}

const ms = (x: number) =>
  Number.isNaN(x) ? "-" : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`;

export function runTable(s: StormSummary): string[] {
  const lines = [
    `${s.stack}, ${s.machines} machines: ${s.up} up, ${s.failed} failed; last up at ${s.lastUpSeconds.toFixed(1)} s; ` +
      `server CPU ${(s.cpuSecondsPerBoot * 1000).toFixed(1)} ms per boot; peak RSS ${s.peakRssMiB.toFixed(0)} MiB; ` +
      `simulator busy ${(s.clientCpuShare * 100).toFixed(0)}% of one CPU, its event loop late by up to ` +
      `${ms(s.clientLoopDelayMs.max)} (p99 ${ms(s.clientLoopDelayMs.p99)})`,
    "| stage | p50 | p95 | p99 |",
    "| --- | ---: | ---: | ---: |",
    ...STAGES.map(
      (st) => `| ${st} | ${ms(s.stageMs[st].p50)} | ${ms(s.stageMs[st].p95)} | ${ms(s.stageMs[st].p99)} |`,
    ),
  ];
  for (const f of s.failures.slice(0, 5)) lines.push(`failed at ${f.stage} (${f.machines}): ${f.reason}`);
  return lines;
}

export function ratioTable(summaries: readonly StormSummary[]): string[] {
  const sizes = [...new Set(summaries.map((s) => s.machines))];
  const lines = [
    "| N | bootfleet last up | classic last up | ratio | bootfleet CPU/boot | classic CPU/boot | ratio | failed (bootfleet/classic) | peak RSS MiB (bootfleet/classic) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const n of sizes) {
    const b = summaries.find((s) => s.machines === n && s.stack === "bootfleet");
    const c = summaries.find((s) => s.machines === n && s.stack === "classic");
    const f = (x: number | undefined, d = 1) => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(d));
    lines.push(
      `| ${n} | ${f(b?.lastUpSeconds)} s | ${f(c?.lastUpSeconds)} s | ${f(b && c ? b.lastUpSeconds / c.lastUpSeconds : undefined, 2)} ` +
        `| ${f(b ? b.cpuSecondsPerBoot * 1000 : undefined)} ms | ${f(c ? c.cpuSecondsPerBoot * 1000 : undefined)} ms ` +
        `| ${f(b && c ? b.cpuSecondsPerBoot / c.cpuSecondsPerBoot : undefined, 2)} | ${b?.failed ?? "-"}/${c?.failed ?? "-"} ` +
        `| ${f(b?.peakRssMiB, 0)}/${f(c?.peakRssMiB, 0)} |`,
    );
  }
  return lines;
}
