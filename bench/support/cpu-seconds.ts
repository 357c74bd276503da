/**
 * CPU time a server under benchmark has used, from /proc (Linux): what the
 * benchmarks divide by the work done (µs per DHCP exchange, seconds per
 * boot).
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ, what /proc/PID/stat counts in on Linux

/**
 * /proc/PID/stat fields (or /proc/PID/task/TID/stat's, one thread's) after
 * the command name (which may hold spaces): field 3 (state) is [0].
 */
function statFields(pid: number, tid?: number): string[] {
  const stat = readFileSync(
    tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`,
    "utf8",
  );
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** CPU seconds (user + system, every thread) the process has used so far. */
export function cpuSecondsOf(pid: number): number {
  return cpuSecondsIn(statFields(pid));
}

/** CPU seconds (user + system) one thread of the process has used so far; a process's main thread has TID = PID. */
export function threadCpuSecondsOf(pid: number, tid: number): number {
  return cpuSecondsIn(statFields(pid, tid));
}

/** utime (field 14) plus stime (field 15) of statFields' fields, in seconds. */
function cpuSecondsIn(fields: readonly string[]): number {
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * The PIDs of `root` and every live descendant. Servers that fork per
 * client (nbd-server) or run worker processes (nginx) are more than one
 * process.
 */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(statFields(Number(name))[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {} // exited while we looked
  }
  const tree: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    tree.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * CPU seconds of `root` and its descendants: each live process's own time
 * plus that of its children already reaped (cutime, cstime; fields 16, 17),
 * so a per-client child that has exited still counts, once.
 */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const f = statFields(pid);
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {}
  }
  return ticks / TICKS_PER_SECOND;
}
