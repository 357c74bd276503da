/**
 * Where a machine's first boot file comes from: `dhcp-boot` lines and
 * `pxe-service`. Untagged and host- or network-tagged dhcp-boot lines go on
 * their layer; lines for tags that tell clients apart (iPXE, architecture,
 * vendor class) are how people built the PXE -> iPXE chain by hand, which
 * bootfleet builds itself, so one of them (the one after the chain, then
 * plain PXE, then the rest, as for dhcpd's if chains) is kept as the
 * defaults' dhcp.filename. dhcp-boot lines are resolved after the whole
 * file is read, since a tag may be defined below its use.
 */
import { parseIpv4 } from "../../config/net-address.js";
import { BOOT_FILE_NAMES } from "../boot-file-names.js";
import { ADDRESS_RANK, type ConfigDraft, type LayerDraft } from "../config-draft.js";
import { type DnsmasqDirective, tagsOf, valueComments, valueFields } from "./dnsmasq-directive.js";
import type { DnsmasqImportReport } from "./dnsmasq-import-report.js";
import type { DnsmasqTagMeaning, DnsmasqTags } from "./dnsmasq-tags.js";

interface BootLine {
  readonly d: DnsmasqDirective;
  readonly tags: readonly string[];
}

/** A dhcp-boot line that may give its layer's boot file: the highest rank wins, the first of equals. */
interface BootCandidate {
  readonly d: DnsmasqDirective;
  readonly rank: number;
  readonly why: string;
}

/** A tag that stands for one host or network, and so for a layer. */
function isPlace(m: DnsmasqTagMeaning | undefined): boolean {
  return m?.kind === "host" || m?.kind === "network";
}

export class DnsmasqBootImport {
  readonly #file: string;
  readonly #draft: ConfigDraft;
  readonly #report: DnsmasqImportReport;
  readonly #tags: DnsmasqTags;
  readonly #bootLines: BootLine[] = [];

  constructor(file: string, draft: ConfigDraft, report: DnsmasqImportReport, tags: DnsmasqTags) {
    this.#file = file;
    this.#draft = draft;
    this.#report = report;
    this.#tags = tags;
  }

  /** `dhcp-boot=[tag:T,]FILE[,SERVERNAME[,SERVERADDRESS]]`, kept for resolveBoots. */
  dhcpBoot(d: DnsmasqDirective): void {
    this.#bootLines.push({ d, tags: tagsOf(d) });
  }

  /** `pxe-service=CSA,MENU TEXT,BASENAME[,SERVER]`: for x86PC, the boot file is BASENAME.0 (the PXE client adds ".0"). */
  pxeService(d: DnsmasqDirective): void {
    const fields = valueFields(d);
    const csa = fields[0]?.text;
    const basename = fields[2]?.text;
    const server = fields[3]?.text;
    const defaults = this.#draft.defaults;
    if (
      csa?.toLowerCase() === "x86pc" &&
      basename &&
      !/^\d+$/.test(basename) &&
      defaults.get(["dhcp", "filename"]) === undefined
    ) {
      defaults.set(["dhcp", "filename"], `${basename}.0`, {
        before: d.comments,
        inline: `pxe-service x86PC ${basename}: the PXE client adds ".0"${d.trailing !== undefined ? ` -${d.trailing}` : ""}`,
      });
      if (server && parseIpv4(server) !== null) {
        defaults.set(["dhcp", "next_server"], server, { inline: "pxe-service boot server" });
        this.#draft.proposeServerAddress(
          server,
          ADDRESS_RANK.tftpServer,
          `pxe-service in ${this.#file}`,
          d.at,
        );
      }
      return;
    }
    this.#report.note(
      d,
      "not mapped: bootfleet answers PXE boot-server requests itself (its proxy DHCP on port 4011 and its own menu)",
    );
  }

  /**
   * dhcp-boot lines: untagged ones for everyone, tagged ones by what the
   * tags mean. A tag that stands for a host or network puts the line on
   * that layer; tags that tell clients apart (iPXE, architecture, vendor
   * class, or their negation) make it one branch of a hand-built chain, of
   * which each layer keeps one (see the file's header).
   */
  resolveBoots(): void {
    const report = this.#report;
    const meanings = this.#tags;
    const draft = this.#draft;
    const candidates = new Map<LayerDraft, BootCandidate[]>();
    for (const { d, tags } of this.#bootLines) {
      const fields = valueFields(d);
      const file = fields[0]?.text;
      if (!file) {
        report.error(
          d.at,
          "dhcp-boot has no file name",
          "write it as dhcp-boot=pxelinux.0[,servername[,serveraddress]]",
        );
        continue;
      }
      const serverAddr = fields[2]?.text;
      if (serverAddr !== undefined && parseIpv4(serverAddr) === null) {
        report.error(
          fields[2]!.at,
          `dhcp-boot: '${serverAddr}' is not an IPv4 address`,
          "the third field is the TFTP server's address",
        );
        continue;
      }
      const positive = tags.filter((t) => !t.startsWith("!"));
      const places = positive.filter((t) => isPlace(meanings.get(t)));
      if (tags.length === 1 && places.length === 1) {
        this.#applyBoot(d, meanings.layerFor(tags, draft)!, file, serverAddr, fields[1]?.text, "");
        continue;
      }
      if (tags.some((t) => !meanings.has(t.replace(/^!/, "")))) {
        report.note(
          d,
          `not mapped: for clients tagged ${tags.join(", ")}, a tag this file does not define as iPXE, an architecture or a vendor class`,
        );
        continue;
      }
      if (places.length > 1) {
        report.note(
          d,
          `not mapped: for clients tagged ${places.join(" and ")} at once; bootfleet gives each host and network its own boot file`,
        );
        continue;
      }
      const excluded = tags.find((t) => t.startsWith("!") && isPlace(meanings.get(t.slice(1))));
      if (excluded !== undefined) {
        report.note(
          d,
          `not mapped: for every client but those tagged ${excluded.slice(1)}; bootfleet has no layer for that, set dhcp.filename on the hosts or networks it is for`,
        );
        continue;
      }
      if (BOOT_FILE_NAMES.classify(file) !== "other") {
        report.note(
          d,
          "mapped by design: bootfleet hands out its own iPXE binaries and per-machine scripts (BIOS -> undionly.kpxe, UEFI -> ipxe.efi, iPXE -> http://<server>/boot/<mac>.ipxe)",
        );
        continue;
      }
      const clients = positive.filter((t) => !places.includes(t)).map((t) => meanings.get(t));
      const rank = clients.some((m) => m?.kind === "ipxe")
        ? 4
        : clients.some(
              (m) =>
                (m?.kind === "arch" && m.code === 0) || (m?.kind === "vendor" && /^pxeclient/i.test(m.value)),
            )
          ? 3
          : clients.length === 0
            ? 2
            : 1;
      const layer = places.length === 1 ? meanings.layerFor(places, draft)! : draft.defaults;
      const list = candidates.get(layer) ?? [];
      if (list.length === 0) candidates.set(layer, list);
      list.push({ d, rank, why: tags.length ? `for clients tagged ${tags.join(", ")}` : "" });
    }
    for (const [layer, list] of candidates) {
      list.sort((a, b) => b.rank - a.rank);
      const chosen = list[0]!;
      const fields = valueFields(chosen.d);
      this.#applyBoot(chosen.d, layer, fields[0]!.text, fields[2]?.text, fields[1]?.text, chosen.why);
      for (const other of list.slice(1))
        report.note(
          other.d,
          `not mapped: bootfleet keeps one boot file per layer; ${chosen.d.raw} (line ${chosen.d.at.line}) was taken`,
          layer === draft.defaults ? draft.notes : layer.notes,
        );
    }
  }

  #applyBoot(
    d: DnsmasqDirective,
    layer: LayerDraft,
    file: string,
    serverAddr: string | undefined,
    serverName: string | undefined,
    why: string,
  ): void {
    const c = valueComments(d);
    layer.set(["dhcp", "filename"], file, {
      before: c.before,
      inline: `dhcp-boot${why ? ` ${why}` : ""}${c.inline !== undefined ? `:${c.inline}` : ""}`,
    });
    if (serverAddr) {
      layer.set(["dhcp", "next_server"], serverAddr, { inline: "dhcp-boot's server address" });
      this.#draft.proposeServerAddress(
        serverAddr,
        ADDRESS_RANK.tftpServer,
        `dhcp-boot in ${this.#file}`,
        d.at,
      );
    }
    if (serverName)
      layer.notes.push({
        at: d.at,
        why: `dhcp-boot's server name '${serverName}' is not mapped: bootfleet fills the sname field itself`,
      });
  }
}
