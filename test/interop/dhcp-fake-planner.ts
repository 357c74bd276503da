/**
 * A boot planner for DHCP tests and the benchmark: the real one needs
 * images; DHCP only needs *an* answer it can check. Netboot firmware gets
 * undionly.kpxe (BIOS, arch 0), ipxe.efi (UEFI x64, arch 7/9), or, once
 * iPXE runs, an HTTP script URL (iPXE's second DHCP round).
 */
import type { BootPlanner, DhcpBootSpec, GeneratedFile } from "../../src/boot/boot-planner.js";
import type { MachineFacts } from "../../src/config/model.js";

export class FakeBootPlanner implements BootPlanner {
  readonly asked: MachineFacts[] = [];
  readonly #nextServer: string;
  readonly #refuse: ReadonlySet<string>;

  constructor(nextServer: string, refuse: readonly string[] = []) {
    this.#nextServer = nextServer;
    this.#refuse = new Set(refuse);
  }

  dhcpBoot(facts: MachineFacts): DhcpBootSpec | null {
    if (this.asked.length < 1000) this.asked.push(facts);
    if (this.#refuse.has(facts.mac)) return null;
    const bootFile = facts.ipxe
      ? `http://${this.#nextServer}:8080/boot/${facts.mac}.ipxe`
      : facts.arch === 7 || facts.arch === 9
        ? "ipxe.efi"
        : "undionly.kpxe";
    return { nextServer: this.#nextServer, bootFile, options: new Map() };
  }

  async generatedFile(): Promise<GeneratedFile | null> {
    return null;
  }
}
