/**
 * CPU time of a PostgreSQL cluster started by test/support/postgres-cluster.ts:
 * its postmaster (found by the data folder on its command line), the
 * children it has reaped (cutime, cstime: backends that already exited) and
 * the backends still running. Lease writes cost the database as much as the
 * DHCP server, so a benchmark that leaves it out flatters whoever writes more.
 */
import { readdirSync, readFileSync } from "node:fs";
import { cpuSecondsOf } from "../support/cpu-seconds.js";

const TICKS_PER_SECOND = 100; // USER_HZ, what /proc/PID/stat counts in on Linux

/** /proc/PID/stat fields after the command name (state is [0], ppid [1], utime [11], cutime [13]). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined; // exited meanwhile
  }
}

function pids(): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}

export class PostgresCpu {
  readonly #postmaster: number;

  constructor(clusterDir: string) {
    const dataDir = `${clusterDir}/data`;
    const found = pids().find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(dataDir);
      } catch {
        return false;
      }
    });
    if (found === undefined) throw new Error(`no postmaster with -D ${dataDir}`);
    this.#postmaster = found;
  }

  /** CPU seconds the cluster has used so far, exited backends included. */
  seconds(): number {
    const own = statFields(this.#postmaster);
    let total = own ? (Number(own[13]) + Number(own[14])) / TICKS_PER_SECOND : 0;
    total += cpuSecondsOf(this.#postmaster);
    for (const pid of pids()) {
      const f = statFields(pid);
      if (f && Number(f[1]) === this.#postmaster) total += (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
    }
    return total;
  }
}
