/**
 * One simulated machine's boot, stage by stage, as a BIOS PXE machine
 * boots from bootfleet (or from the classic stack):
 *
 *   dhcp        the PXE ROM's DORA (PXE spec 2.1 retransmissions: 4, 8, 16, 32 s)
 *   tftp        the first-stage loader the ACK names (blksize 1468, tsize)
 *   dhcp2       iPXE's DORA (77 "iPXE", 175), which names the boot script
 *   http        the script, then kernel and initrds in the script's order,
 *               and later the layer cpio the hook fetches (bootfleet.layers=)
 *   nbd-replay  NBD_OPT_GO for the script's bootfleet.nbd= export, then the
 *               recorded boot's reads
 *   report      the hook's stage POSTs: initrd, root-mounted, layers-applied, init
 *
 * Each stage's time is the sum of its parts' durations; "up" is when the
 * init report was taken. The first failure ends the boot and says why.
 */
import { parseBootScript } from "./boot-script.js";
import type { FirmwareThread } from "./firmware-thread.js";
import { MachineHttp } from "./machine-http.js";
import { NbdReplay, parseNbdArg } from "./nbd-replay.js";
import type { ReadTrace } from "./read-trace.js";

export const STAGES = ["dhcp", "tftp", "dhcp2", "http", "nbd-replay", "report"] as const;
export type Stage = (typeof STAGES)[number];

export interface BootResult {
  readonly mac: string;
  /** Milliseconds from the storm's start. */
  readonly poweredOnMs: number;
  readonly upMs?: number;
  readonly stageMs: Partial<Record<Stage, number>>;
  readonly failure?: { readonly stage: Stage; readonly reason: string };
}

export interface MachineContext {
  /** The PXE ROM's and iPXE's DHCP and TFTP, on a thread of their own. */
  readonly firmware: FirmwareThread;
  readonly trace: ReadTrace;
  readonly thinkScale: number;
  /** performance.now() at the storm's start. */
  readonly epoch: number;
  /** Connections a booted machine keeps (its NBD root, its HTTP keep-alive), closed when the storm ends. */
  readonly held: { close(): void }[];
  /** The stage each machine is in, for those still booting at the deadline. */
  readonly stageOf: Map<string, Stage>;
}

const PXE_ROM_TIMEOUTS_MS = [4000, 8000, 16000, 32000];
/** iPXE's DHCP: 1 s at first, doubling, given up after about 15 s (src/net/udp/dhcp.c). */
const IPXE_TIMEOUTS_MS = [1000, 2000, 4000, 8000];

export async function bootMachine(ctx: MachineContext, mac: string): Promise<BootResult> {
  const poweredOnMs = performance.now() - ctx.epoch;
  const stageMs: Partial<Record<Stage, number>> = {};
  let stage: Stage = "dhcp";
  let http: MachineHttp | undefined;
  let nbd: NbdReplay | undefined;
  const setNbd = (n: NbdReplay) => {
    nbd = n;
    return n;
  };
  const timed = async <T>(s: Stage, work: () => Promise<T>): Promise<T> => {
    stage = s;
    ctx.stageOf.set(mac, s);
    const t = performance.now();
    try {
      return await work();
    } finally {
      stageMs[s] = (stageMs[s] ?? 0) + (performance.now() - t);
    }
  };
  try {
    const pxe = await timed("dhcp", () => ctx.firmware.obtain("pxe-rom", mac, PXE_ROM_TIMEOUTS_MS));
    if (!pxe.bootFile) throw new Error("the PXE ROM's ACK names no boot file");
    await timed("tftp", () =>
      ctx.firmware.tftpFetch({
        localAddress: pxe.ip,
        server: pxe.nextServer || pxe.serverId,
        file: pxe.bootFile,
      }),
    );
    const ipxe = await timed("dhcp2", () => ctx.firmware.obtain("ipxe", mac, IPXE_TIMEOUTS_MS));
    if (!/^https?:\/\//.test(ipxe.bootFile))
      throw new Error(`iPXE's ACK names ${JSON.stringify(ipxe.bootFile)}, not an HTTP boot script`);
    const client = new MachineHttp(ipxe.ip, true);
    http = client;
    const hook = new MachineHttp(ipxe.ip, false);
    const script = await timed("http", async () => {
      const s = parseBootScript((await client.get(ipxe.bootFile, true)).body, ipxe.bootFile, mac);
      await client.get(s.kernel);
      for (const initrd of s.initrds) await client.get(initrd);
      return s;
    });
    // iPXE's connection ends when it hands over to the kernel.
    client.close();
    const nbdArg = script.args.get("bootfleet.nbd");
    if (!nbdArg) throw new Error("the script's command line has no bootfleet.nbd=");
    const reportBase = script.args.get("bootfleet.http");
    const reportMac = script.args.get("bootfleet.mac") ?? mac;
    const report = (name: string, detail: Record<string, unknown>) =>
      reportBase
        ? timed("report", () =>
            hook.postJson(`${reportBase}/api/v1/machines/${reportMac}/events`, { stage: name, detail }),
          )
        : Promise.resolve();
    await report("initrd", { ip: ipxe.ip, iface: "eth0" });
    const target = parseNbdArg(nbdArg);
    await timed("nbd-replay", async () => {
      const root = setNbd(await NbdReplay.connect(target, ipxe.ip));
      const size = await root.handshake(target.exportName);
      if (size < ctx.trace.exportBytes)
        throw new Error(
          `export ${target.exportName} has ${size} bytes, the trace reads up to ${ctx.trace.exportBytes}`,
        );
      await root.replay(ctx.trace, ctx.thinkScale);
    });
    await report("root-mounted", { export: target.exportName });
    const layers = script.args.get("bootfleet.layers");
    if (layers) await timed("http", () => hook.get(layers));
    await report("layers-applied", {});
    await report("init", { init: "/sbin/init" });
    if (nbd) ctx.held.push(nbd);
    return { mac, poweredOnMs, upMs: performance.now() - ctx.epoch, stageMs };
  } catch (e) {
    nbd?.close();
    http?.close();
    return { mac, poweredOnMs, stageMs, failure: { stage, reason: (e as Error).message } };
  }
}
