/**
 * A virtual PC for whole-boot tests: QEMU under TCG (KVM does not work for
 * these guests here), serial console to a file, network through a tap of a
 * TestNetwork. Firmware is QEMU's own: SeaBIOS with the NIC's iPXE option
 * ROM, or OVMF (UEFI) with its own PXE stack when `romfile=` is emptied;
 * "uefi-http" is OVMF with its PXE turned off, so the first network boot
 * option it tries is its own UEFI HTTP boot (IPv4); "uefi-arm64" is
 * qemu-system-aarch64's virt machine with Debian's AAVMF and its own PXE;
 * "uefi-secureboot" is OVMF with Secure Boot enforced and Microsoft's keys
 * enrolled, as PCs ship (Debian's OVMF_CODE_4M.secboot.fd and
 * OVMF_VARS_4M.ms.fd, on q35 with SMM, which that firmware requires).
 */
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import type { TestNetwork } from "./test-network.js";

export type Firmware = "bios" | "uefi" | "uefi-http" | "uefi-arm64" | "uefi-secureboot";

export interface QemuMachineOptions {
  readonly net: TestNetwork;
  readonly mac: string;
  readonly firmware: Firmware;
  readonly serialLog: string;
  /** QEMU's own stdout/stderr. */
  readonly qemuLog: string;
  readonly memoryMb?: number | undefined;
}

const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE.fd";
/** Debian's qemu-efi-aarch64: code and a variable store template, 64 MiB each as the virt machine's flash wants. */
const AAVMF_CODE = "/usr/share/AAVMF/AAVMF_CODE.fd";
const AAVMF_VARS = "/usr/share/AAVMF/AAVMF_VARS.fd";
const OVMF_SECBOOT_CODE = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd";
/** Secure Boot on, with Microsoft's KEK and db (the 2011 UEFI CA that signs shim). */
const OVMF_MS_VARS = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd";

export class QemuMachine {
  readonly #serialLog: string;
  readonly #pid: number | undefined;

  private constructor(serialLog: string, pid: number | undefined) {
    this.#serialLog = serialLog;
    this.#pid = pid;
  }

  static start(o: QemuMachineOptions): QemuMachine {
    const tap = o.net.addTap();
    const args = [
      "-accel",
      "tcg",
      "-m",
      String(o.memoryMb ?? 768),
      "-nographic",
      "-no-reboot",
      "-serial",
      `file:${o.serialLog}`,
      "-monitor",
      "none",
      "-netdev",
      `tap,id=n0,ifname=${tap},script=no,downscript=no`,
      "-boot",
      "n",
    ];
    if (o.firmware === "uefi-arm64") {
      for (const f of [AAVMF_CODE, AAVMF_VARS])
        if (!existsSync(f)) throw new Error(`${f} missing: install Debian's qemu-efi-aarch64 package`);
      // AAVMF writes its boot options to the variable store: a copy per machine, beside its serial log.
      const vars = `${o.serialLog}.vars.fd`;
      copyFileSync(AAVMF_VARS, vars);
      args.push("-machine", "virt", "-cpu", "cortex-a57");
      args.push("-drive", `if=pflash,format=raw,readonly=on,file=${AAVMF_CODE}`);
      args.push("-drive", `if=pflash,format=raw,file=${vars}`);
      args.push("-device", `virtio-net-pci,netdev=n0,mac=${o.mac},romfile=`);
      const child = o.net.spawn("qemu-system-aarch64", args, o.qemuLog);
      return new QemuMachine(o.serialLog, child.pid);
    }
    if (o.firmware === "uefi-secureboot") {
      for (const f of [OVMF_SECBOOT_CODE, OVMF_MS_VARS])
        if (!existsSync(f)) throw new Error(`${f} missing: install Debian's ovmf package`);
      const vars = `${o.serialLog}.vars.fd`;
      copyFileSync(OVMF_MS_VARS, vars);
      args.push("-machine", "q35,smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on");
      args.push("-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_SECBOOT_CODE}`);
      args.push("-drive", `if=pflash,format=raw,unit=1,file=${vars}`);
      args.push("-device", `virtio-net-pci,netdev=n0,mac=${o.mac},romfile=`);
      const child = o.net.spawn("qemu-system-x86_64", args, o.qemuLog);
      return new QemuMachine(o.serialLog, child.pid);
    }
    if (o.firmware === "bios") {
      // e1000 with QEMU's iPXE ROM (pxe-e1000.rom from qemu-system-data).
      args.push("-device", `e1000,netdev=n0,mac=${o.mac}`);
    } else {
      if (!existsSync(OVMF_CODE)) throw new Error(`${OVMF_CODE} missing: install Debian's ovmf package`);
      // romfile= empty: no iPXE ROM, so OVMF's own PXE (SNP + PXE base code) boots.
      args.push("-drive", `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`);
      args.push("-device", `virtio-net-pci,netdev=n0,mac=${o.mac},romfile=`);
      if (o.firmware === "uefi-http") {
        // OVMF lists PXEv4, PXEv6, HTTPv4, HTTPv6 for a NIC and tries them in
        // that order; its fw_cfg knobs (OvmfPkg/RUNTIME_CONFIG.md) drop both
        // PXE entries, so no TFTP is tried at all.
        args.push("-fw_cfg", "name=opt/org.tianocore/IPv4PXESupport,string=no");
        args.push("-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=no");
      }
    }
    const child = o.net.spawn("qemu-system-x86_64", args, o.qemuLog);
    return new QemuMachine(o.serialLog, child.pid);
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  /** Powers the machine off now (by PID; `ip netns exec` execs QEMU, so the PID is QEMU's). */
  stop(): void {
    if (this.#pid === undefined) return;
    try {
      process.kill(this.#pid, "SIGKILL");
    } catch {}
  }

  serial(): string {
    try {
      return readFileSync(this.#serialLog, "latin1");
    } catch {
      return "";
    }
  }

  /** Resolves when every pattern has appeared on the serial console; rejects at the deadline with the log's tail. */
  async waitForSerial(patterns: readonly RegExp[], timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.serial();
      if (patterns.every((p) => p.test(text))) return text;
      if (Date.now() > deadline) {
        const missing = patterns.filter((p) => !p.test(text)).map(String);
        throw new Error(
          `serial console never showed ${missing.join(", ")}; last lines:\n${text.slice(-3000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
