/**
 * `dhcp-option=[tag:T,]CODE|option:NAME,VALUE...` (and dhcp-option-force):
 * the options a layer has a key for (routers, DNS, NTP, domain, root path,
 * boot file) go there; every other option goes under dhcp.options by code.
 * Untagged options go to the defaults, options for a tag that stands for
 * one host or network to its layer; other tags have no bootfleet
 * equivalent and are kept as comments.
 */
import { parseIpv4 } from "../../config/net-address.js";
import type { ConfigDraft } from "../config-draft.js";
import {
  DHCP_OPTION_TABLE,
  type DhcpOptionInfo,
  OptionValueError,
  optionValueForConfig,
} from "../dhcp-option-table.js";
import { DNSMASQ_DIRECTIVE_TABLE } from "./dnsmasq-directive-table.js";
import { type DnsmasqDirective, tagsOf, valueComments, valueFields } from "./dnsmasq-directive.js";
import type { DnsmasqImportReport } from "./dnsmasq-import-report.js";
import type { DnsmasqTags } from "./dnsmasq-tags.js";

export class DnsmasqOptionImport {
  readonly #draft: ConfigDraft;
  readonly #report: DnsmasqImportReport;
  readonly #tags: DnsmasqTags;

  constructor(draft: ConfigDraft, report: DnsmasqImportReport, tags: DnsmasqTags) {
    this.#draft = draft;
    this.#report = report;
    this.#tags = tags;
  }

  option(d: DnsmasqDirective): void {
    const report = this.#report;
    const tags = tagsOf(d);
    const fields = valueFields(d);
    const optField = fields[0];
    if (!optField) {
      report.error(
        d.at,
        `${d.name} has no option`,
        "write it as dhcp-option=17,10.0.0.1:/root or dhcp-option=option:root-path,...",
      );
      return;
    }
    if (/^(encap|vi-encap|vendor):/.test(optField.text)) {
      report.note(d, "not mapped: encapsulated options; write them as hex under dhcp.options");
      return;
    }
    let info: DhcpOptionInfo | undefined;
    let code: number;
    if (optField.text.startsWith("option:")) {
      info = DHCP_OPTION_TABLE.byDnsmasqName(optField.text.slice(7));
      if (!info) {
        report.warn(
          optField.at,
          `${optField.text} is not an option name bootfleet knows`,
          "write it by number, e.g. dhcp-option=17,...",
        );
        report.note(d, `not mapped: unknown option name ${optField.text}`);
        return;
      }
      code = info.code;
    } else {
      code = Number(optField.text);
      if (!/^\d{1,3}$/.test(optField.text) || code < 1 || code > 254) {
        report.error(
          optField.at,
          `${d.name}: '${optField.text}' is not an option number or option:NAME`,
          "e.g. dhcp-option=3,10.0.0.1",
        );
        return;
      }
      info = DHCP_OPTION_TABLE.byCode(code);
    }
    const values = fields.slice(1).map((f) => f.text);
    const layer = this.#tags.layerFor(tags, this.#draft);
    if (!layer) {
      report.note(
        d,
        `not mapped: for clients tagged ${tags.join(", ")}; bootfleet has no tags (set it on the group or host it is for)`,
      );
      return;
    }
    const c = valueComments(d);
    const layerOption = DNSMASQ_DIRECTIVE_TABLE.layerOption(code);
    if (layerOption?.value === "addresses") {
      const bad = values.find((v) => parseIpv4(v) === null);
      if (bad === undefined) layer.set(layerOption.key, values, c);
      else if (bad === "0.0.0.0")
        report.note(
          d,
          "mapped by design: 0.0.0.0 is dnsmasq's 'this server'; bootfleet sends its own address where it must",
          layer.notes,
        );
      else
        report.error(
          fields[1 + values.indexOf(bad)]!.at,
          `${d.name} ${code}: '${bad}' is not an IPv4 address`,
        );
      return;
    }
    if (layerOption?.value === "text") {
      layer.set(layerOption.key, values.join(","), c);
      return;
    }
    const type =
      info?.type ??
      (values.length === 1 && /^([0-9a-fA-F]{2}:)+[0-9a-fA-F]{2}$/.test(values[0]!) ? "bytes" : "text");
    let value: string;
    try {
      value = optionValueForConfig(type, values);
    } catch (e) {
      if (!(e instanceof OptionValueError)) throw e;
      report.error(fields[1]?.at ?? optField.at, `${d.name} ${code}: ${e.message}`);
      return;
    }
    layer.set(["dhcp", "options", String(code)], value, {
      before: c.before,
      inline: `${d.name}=${optField.text}${c.inline !== undefined ? `:${c.inline}` : ""}`,
    });
    if (d.name === "dhcp-option-force")
      report.note(d, "bootfleet sends dhcp.options whether or not the client asks for them", layer.notes);
  }
}
