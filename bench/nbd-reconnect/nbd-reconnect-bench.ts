/**
 * Outage-to-resume benchmark: how long a running client's NBD root takes to
 * serve a read again once `bootfleet serve` is back, measured on a real
 * booted client (QEMU TCG, SeaBIOS + iPXE ROM, full DHCP, the hook's
 * bootfleet-nbd), and what Debian's nbd-client does in the same outage.
 *
 *   node --import tsx bench/nbd-reconnect/nbd-reconnect-bench.ts [--rounds 5] [--outage 5] [--verbose] [--keep]
 *
 * Each round: the client's caches are dropped, serve is killed (SIGKILL),
 * the client starts reading a file it never read (the read waits in the
 * kernel's queue), --outage seconds pass, serve is started again. The
 * figure is from "serve's NBD service listening" (the time in serve's own
 * log line) to "the client's read returned" (the client's console line,
 * seen by polling its serial file every 10 ms): reconnect by bootfleet-nbd
 * plus the read itself. Printed: every round, median and max, and the
 * client's own "reconnected after N ms" (outage length as it saw it).
 *
 * nbd-client: before the rounds the client also attaches /dev/nbd1 to the
 * same export with the image's nbd-client 3.24 (netlink, as Debian runs
 * it); after the first outage a read of /dev/nbd1 is tried: the device is
 * dead (it never resumes), and the read's error is printed.
 *
 * Network: 198.18.70.0/24 in namespaces of its own (test/support/nbd-outage-lab.ts),
 * removed at the end, also on failure.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { IO_ERROR, OutageLab, SERVER_1 } from "../../test/support/nbd-outage-lab.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    outage: { type: "string", default: "5" },
    keep: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
  },
});
const rounds = Math.max(1, Math.min(20, Number(values.rounds)));
const outageS = Math.max(1, Math.min(120, Number(values.outage)));

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Host time (ms) at which `pattern` first shows on the client's console, polled every 10 ms. */
async function seenOnSerial(lab: OutageLab, pattern: RegExp, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pattern.test(lab.serial())) return Date.now();
    if (Date.now() > deadline)
      throw new Error(`client never printed ${pattern}:\n${lab.serial().slice(-2000)}`);
    await sleep(10);
  }
}

/**
 * The time in serve's own log line "nbd: listening" (pino's epoch ms). The
 * line reaches the log file through this process's pipe, a little after
 * serve answers HTTP: wait for it.
 */
async function nbdListeningAt(log: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    for (const line of readFileSync(log, "utf8").split("\n")) {
      if (line.includes('"nbd: listening"')) return (JSON.parse(line) as { time: number }).time;
    }
    if (Date.now() > deadline) throw new Error(`no "nbd: listening" in ${log}`);
    await sleep(50);
  }
}

const sets = Array.from({ length: rounds }, (_, i) => `r${i}`);
const lab = await OutageLab.create({
  tag: "nbdrcb",
  sets,
  filesPerSet: 1,
  fileBytes: 64 * 1024,
  twoServers: false,
});
try {
  await lab.startServer1();
  process.stderr.write("booting the client (QEMU TCG)...\n");
  const text = await lab.boot();
  const exportName = /connecting NBD export (\S+)/.exec(text)?.[1];
  if (!exportName) throw new Error("no export name on the client's console");

  // Debian's nbd-client on /dev/nbd1, same export, read-only.
  const attach = await lab.command(`nbdclient -N ${exportName} ${SERVER_1} 10809 /dev/nbd1 -readonly`);
  process.stderr.write(`nbd-client: ${attach.join(" | ")}\n`);
  await lab.command("dd if=/dev/nbd1 bs=4096 count=1");

  const resume: number[] = [];
  const seenByClient: number[] = [];
  let nbdClientAfter = "";
  for (let i = 0; i < rounds; i++) {
    await lab.command("drop");
    await lab.stopServer1("SIGKILL");
    const n = lab.send(`read /data/r${i}/0.bin`);
    await sleep(outageS * 1000);
    await lab.startServer1();
    const back = await nbdListeningAt(join(lab.work, `serve1-${i + 1}.log`));
    const served = await seenOnSerial(lab, new RegExp(`^CMD ${n} DONE`, "m"), 5 * 60_000);
    resume.push(served - back);
    process.stderr.write(`round ${i + 1}: server back -> first read served ${served - back} ms\n`);
    if (i === 0) {
      // nbd-client's device went through the same outage.
      nbdClientAfter = (await lab.command("dd if=/dev/nbd1 bs=4096 count=1 skip=100")).join(" | ");
    }
  }
  const log = await lab.kernelLog();
  for (const l of log) {
    const m = /reconnected to \S+ after (\d+) ms/.exec(l);
    if (m) seenByClient.push(Number(m[1]));
  }
  const errorsOnRoot = log.filter((l) => IO_ERROR.test(l) && !/nbd1/.test(l));

  console.log(
    `NBD reconnect, ${rounds} rounds, ${outageS} s outages (serve killed with SIGKILL), QEMU TCG client`,
  );
  console.log(`  server back -> first read served (ms): ${resume.join(", ")}`);
  console.log(`  median ${median(resume)} ms, max ${Math.max(...resume)} ms`);
  console.log(`  outage as the client saw it (bootfleet-nbd, ms): ${seenByClient.join(", ")}`);
  console.log(`  I/O errors on the root (nbd0): ${errorsOnRoot.length}`);
  if (values.verbose)
    for (const l of log.filter((x) => /bootfleet-nbd|nbd0/.test(x))) console.log(`    ${l}`);
  console.log(
    `Debian nbd-client 3.24 on /dev/nbd1, after the first outage with the server back: ${nbdClientAfter}`,
  );
  console.log(
    `  kernel: ${
      log
        .filter((l) => /nbd1/.test(l))
        .slice(-3)
        .join(" | ") || "(nothing)"
    }`,
  );
  console.log(
    "  it never resumes: the device stays dead until it is configured again (a reboot, for a root)",
  );
} finally {
  lab.close(values.keep);
}
