/**
 * Where a machine's first boot file comes from: `dhcp-boot` lines and
 * `pxe-service`. Lines tagged for one host or network go on its layer.
 * Lines whose tags tell clients apart (architecture, iPXE, vendor class)
 * are resolved the way dnsmasq resolves them, for each client
 * architecture the file names (dnsmasq(8), --dhcp-boot: of the lines whose
 * tags all hold, a tagged one wins over an untagged one, and a later one
 * over an earlier one; --pxe-service: the service for the client's
 * architecture, option 93). What a client of no named architecture gets
 * becomes the defaults' dhcp.filename, and an architecture that gets
 * another file gets it through a group with `match.arch`, so no branch
 * becomes every client's. A running iPXE is handed bootfleet's own
 * per-machine script, as bootfleet builds the PXE -> iPXE chain itself.
 * dhcp-boot lines are resolved after the whole file is read, since a tag
 * may be defined below its use.
 */
import { parseIpv4 } from "../../config/net-address.js";
import { archGroup, archGroupName } from "../arch-group.js";
import { BOOT_FILE_NAMES } from "../boot-file-names.js";
import { ADDRESS_RANK, type ConfigDraft, type LayerDraft } from "../config-draft.js";
import { type DnsmasqDirective, tagsOf, valueComments, valueFields } from "./dnsmasq-directive.js";
import type { DnsmasqImportReport } from "./dnsmasq-import-report.js";
import type { DnsmasqTagMeaning, DnsmasqTags } from "./dnsmasq-tags.js";
import { pxeServiceArch, pxeServiceFile } from "./pxe-service-file.js";

interface BootLine {
  readonly d: DnsmasqDirective;
  readonly tags: readonly string[];
  readonly file: string;
  /** The TFTP server's address; undefined for this server (absent or 0.0.0.0). */
  readonly server: string | undefined;
  readonly serverName: string | undefined;
}

/** A tag that stands for one host or network, and so for a layer. */
function isPlace(m: DnsmasqTagMeaning | undefined): boolean {
  return m?.kind === "host" || m?.kind === "network";
}

/** The architecture in a PXE ROM's vendor class, "PXEClient:Arch:xxxxx:UNDI:yyyzzz" (PXE 2.1, option 60). */
function pxeVendorArch(vendorClass: string): number | undefined {
  const arch = /^PXEClient:Arch:(\d{5})/i.exec(vendorClass)?.[1];
  return arch === undefined ? undefined : Number(arch);
}

/** The address field of dhcp-boot or pxe-service; 0.0.0.0 means dnsmasq's own (dnsmasq(8)). */
function serverField(text: string | undefined): string | undefined {
  return text === undefined || text === "" || text === "0.0.0.0" ? undefined : text;
}

export class DnsmasqBootImport {
  readonly #file: string;
  readonly #draft: ConfigDraft;
  readonly #report: DnsmasqImportReport;
  readonly #tags: DnsmasqTags;
  readonly #bootLines: DnsmasqDirective[] = [];
  readonly #services: DnsmasqDirective[] = [];

  constructor(file: string, draft: ConfigDraft, report: DnsmasqImportReport, tags: DnsmasqTags) {
    this.#file = file;
    this.#draft = draft;
    this.#report = report;
    this.#tags = tags;
  }

  /** `dhcp-boot=[tag:T,]FILE[,SERVERNAME[,SERVERADDRESS]]`, kept for resolveBoots. */
  dhcpBoot(d: DnsmasqDirective): void {
    this.#bootLines.push(d);
  }

  /** `pxe-service=[tag:T,]CSA,MENU TEXT[,BASENAME|TYPE][,SERVER]`, kept for resolveBoots. */
  pxeService(d: DnsmasqDirective): void {
    this.#services.push(d);
  }

  /** Every dhcp-boot and pxe-service line, once the file's tags are known. */
  resolveBoots(): void {
    const clientLines: BootLine[] = [];
    for (const d of this.#bootLines) {
      const line = this.#readBootLine(d);
      if (line) this.#placeBootLine(line, clientLines);
    }
    const services = this.#services.flatMap((d) => this.#readService(d));
    this.#resolveByArch(clientLines, services);
  }

  #readBootLine(d: DnsmasqDirective): BootLine | undefined {
    const report = this.#report;
    const fields = valueFields(d);
    const file = fields[0]?.text;
    if (!file) {
      report.error(
        d.at,
        "dhcp-boot has no file name",
        "write it as dhcp-boot=pxelinux.0[,servername[,serveraddress]]",
      );
      return undefined;
    }
    const serverAddr = fields[2]?.text;
    if (serverAddr !== undefined && serverAddr !== "" && parseIpv4(serverAddr) === null) {
      report.error(
        fields[2]!.at,
        `dhcp-boot: '${serverAddr}' is not an IPv4 address`,
        "the third field is the TFTP server's address",
      );
      return undefined;
    }
    return {
      d,
      tags: tagsOf(d),
      file,
      server: serverField(serverAddr),
      serverName: fields[1]?.text || undefined,
    };
  }

  /** A line for one host or network goes on its layer; one for kinds of client is kept for #resolveByArch. */
  #placeBootLine(line: BootLine, clientLines: BootLine[]): void {
    const { d, tags } = line;
    const report = this.#report;
    const meanings = this.#tags;
    const positive = tags.filter((t) => !t.startsWith("!"));
    const places = positive.filter((t) => isPlace(meanings.get(t)));
    if (tags.length === 1 && places.length === 1) {
      this.#apply(line, meanings.layerFor(tags, this.#draft)!, "");
      return;
    }
    if (tags.some((t) => !meanings.has(t.replace(/^!/, "")))) {
      report.note(
        d,
        `not mapped: for clients tagged ${tags.join(", ")}, a tag this file does not define as iPXE, an architecture or a vendor class`,
      );
      return;
    }
    if (places.length > 0 || tags.some((t) => t.startsWith("!") && isPlace(meanings.get(t.slice(1))))) {
      report.error(
        d.at,
        `dhcp-boot for clients tagged ${tags.join(", ")}: a host or network tag together with other tags has no bootfleet equivalent`,
        "set dhcp.filename on that host or network (and a group with match.arch for an architecture) by hand",
      );
      return;
    }
    if (positive.some((t) => meanings.get(t)?.kind === "ipxe")) {
      if (BOOT_FILE_NAMES.classify(line.file) === "other")
        report.warn(
          d.at,
          `a running iPXE got ${line.file} from this line; bootfleet hands it its own per-machine script instead`,
          "put what that script did in the image and its kernel_args",
        );
      report.note(
        d,
        "mapped by design: a running iPXE is handed bootfleet's per-machine script (http://<server>/boot/<mac>.ipxe)",
      );
      return;
    }
    clientLines.push(line);
  }

  /** The pxe-service lines for PXE ROMs (the menu entries a ROM boots), with their architecture. */
  #readService(d: DnsmasqDirective): { d: DnsmasqDirective; arch: number; file: string; server?: string }[] {
    const fields = valueFields(d);
    const arch = pxeServiceArch(fields[0]?.text ?? "");
    const file = pxeServiceFile(fields[2]?.text);
    const tags = tagsOf(d);
    const forIpxe = tags.some((t) => !t.startsWith("!") && this.#tags.get(t)?.kind === "ipxe");
    if (forIpxe) {
      this.#report.note(
        d,
        "mapped by design: a running iPXE is handed bootfleet's per-machine script (http://<server>/boot/<mac>.ipxe)",
      );
      return [];
    }
    // Its tags must hold for a PXE ROM of the service's architecture (a
    // network tag only in a file of one network, where it holds for all).
    const clientTags = tags.every(
      (t) =>
        (!t.startsWith("!") && this.#tags.get(t)?.kind === "network" && this.#draft.networks.length <= 1) ||
        (this.#tags.has(t.replace(/^!/, "")) && arch !== undefined && this.#holds(t, arch)),
    );
    if (arch === undefined || file === undefined || !clientTags) {
      this.#report.note(
        d,
        arch === undefined
          ? "not mapped: a client architecture bootfleet has no boot files for"
          : file === undefined
            ? "not mapped: a boot-service type or local boot, not a file; bootfleet answers boot-server requests itself"
            : `not mapped: for clients tagged ${tags.join(", ")}; set dhcp.filename by hand where it is meant`,
      );
      return [];
    }
    const server = serverField(fields[3]?.text);
    if (server !== undefined && parseIpv4(server) === null) {
      this.#report.error(
        fields[3]!.at,
        `pxe-service: '${server}' is not an IPv4 address`,
        "the last field is the boot server's address",
      );
      return [];
    }
    return [{ d, arch, file, ...(server ? { server } : {}) }];
  }

  /**
   * What each client architecture gets, as dnsmasq decides it: the first
   * pxe-service for its architecture, else the winning dhcp-boot line.
   */
  #resolveByArch(
    lines: readonly BootLine[],
    services: readonly { d: DnsmasqDirective; arch: number; file: string; server?: string }[],
  ): void {
    const codes = new Set<number>();
    for (const l of lines)
      for (const t of l.tags) {
        const m = this.#tags.get(t.replace(/^!/, ""));
        if (m?.kind === "arch") for (const c of m.codes) codes.add(c);
        const vendorArch = m?.kind === "vendor" ? pxeVendorArch(m.value) : undefined;
        if (vendorArch !== undefined) codes.add(vendorArch);
      }
    for (const s of services) codes.add(s.arch);
    const winner = (code: number | undefined): BootLine | undefined => {
      const holding = lines.filter((l) => l.tags.every((t) => this.#holds(t, code)));
      return holding.filter((l) => l.tags.length > 0).at(-1) ?? holding.at(-1);
    };
    type Choice = { d: DnsmasqDirective; file: string; server: string | undefined; why: string };
    const choose = (code: number | undefined): Choice | undefined => {
      const boot = winner(code);
      const service = code === undefined ? undefined : services.find((s) => s.arch === code);
      if (service && boot && boot.file !== service.file) {
        this.#report.error(
          service.d.at,
          `pxe-service gives architecture ${code} clients ${service.file}, but ${boot.d.raw} (line ${boot.d.at.line}) gives them ${boot.file}: which one a PXE ROM loads depends on the ROM`,
          "keep one of the two lines for these clients",
        );
        return undefined;
      }
      if (service)
        return {
          d: service.d,
          file: service.file,
          server: service.server ?? boot?.server,
          why: "pxe-service",
        };
      return boot ? { d: boot.d, file: boot.file, server: boot.server, why: "dhcp-boot" } : undefined;
    };
    const fallback = choose(undefined);
    const used = new Set<DnsmasqDirective>();
    if (fallback && BOOT_FILE_NAMES.classify(fallback.file) === "other") {
      this.#applyChoice(fallback, this.#draft.defaults, "for clients of any other architecture");
      used.add(fallback.d);
    }
    const defaultFile = used.size ? fallback?.file : undefined;
    const byFile = new Map<string, { choice: Choice; codes: number[] }>();
    for (const code of [...codes].sort((a, b) => a - b)) {
      const c = choose(code);
      if (!c) continue;
      used.add(c.d);
      if (c.file === defaultFile && c.server === fallback?.server) continue;
      if (defaultFile === undefined && BOOT_FILE_NAMES.classify(c.file) !== "other") continue;
      const key = `${c.file}\u0000${c.server ?? ""}`;
      const entry = byFile.get(key) ?? { choice: c, codes: [] };
      entry.codes.push(code);
      byFile.set(key, entry);
    }
    for (const { choice, codes: archCodes } of byFile.values()) {
      const group = archGroup(this.#draft, archCodes, choice.d.at);
      this.#applyChoice(
        choice,
        group,
        `for architecture ${archCodes.join(", ")} (${archGroupName(archCodes)})`,
      );
    }
    for (const l of lines)
      if (!used.has(l.d))
        this.#report.note(
          l.d,
          BOOT_FILE_NAMES.classify(l.file) !== "other"
            ? "mapped by design: bootfleet hands out its own iPXE binaries and per-machine scripts (BIOS -> undionly.kpxe, UEFI -> ipxe.efi, iPXE -> http://<server>/boot/<mac>.ipxe)"
            : "not mapped: another line wins for every client this one is for (dnsmasq takes the last line whose tags all hold, tagged before untagged)",
        );
  }

  /** Whether a tag (or its negation) holds for a PXE ROM (not iPXE) of architecture `code`. */
  #holds(tag: string, code: number | undefined): boolean {
    const negated = tag.startsWith("!");
    const m = this.#tags.get(negated ? tag.slice(1) : tag);
    let holds = false;
    if (m?.kind === "arch") holds = code !== undefined && m.codes.includes(code);
    else if (m?.kind === "vendor") {
      const arch = pxeVendorArch(m.value);
      holds = arch !== undefined ? arch === code : /^PXEClient/i.test(m.value);
    }
    return negated ? !holds : holds;
  }

  #applyChoice(
    c: { d: DnsmasqDirective; file: string; server: string | undefined; why: string },
    layer: LayerDraft,
    whom: string,
  ): void {
    const fields = valueFields(c.d);
    this.#apply(
      {
        d: c.d,
        tags: [],
        file: c.file,
        server: c.server,
        serverName: c.why === "dhcp-boot" ? fields[1]?.text : undefined,
      },
      layer,
      `${c.why} ${whom}`,
    );
  }

  #apply(line: BootLine, layer: LayerDraft, why: string): void {
    const { d, file, server, serverName } = line;
    const c = valueComments(d);
    layer.set(["dhcp", "filename"], file, {
      before: c.before,
      inline: `${this.#file}:${d.at.line}${why ? ` ${why}` : ""}${c.inline !== undefined ? `:${c.inline}` : ""}`,
    });
    if (server) {
      layer.set(["dhcp", "next_server"], server, { inline: "the boot server's address" });
      this.#draft.proposeServerAddress(server, ADDRESS_RANK.tftpServer, `${d.name} in ${this.#file}`, d.at);
    }
    if (serverName)
      layer.notes.push({
        at: d.at,
        why: `dhcp-boot's server name '${serverName}' is not mapped: bootfleet fills the sname field itself`,
      });
  }
}
