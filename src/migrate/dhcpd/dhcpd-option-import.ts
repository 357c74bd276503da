/**
 * `option NAME VALUE;` statements: the options a layer has a key for
 * (routers, DNS, NTP, domain, root path) go there; every other option,
 * known by name (dhcp-options(5)), declared in the file, or written as
 * `option-N`, goes under dhcp.options by code. subnet-mask and
 * broadcast-address are what bootfleet sends from each network's subnet
 * anyway: they are kept only where they say something else.
 */
import { formatIpv4, parseIpv4 } from "../../config/net-address.js";
import { briefList } from "../brief-list.js";
import type { ConfigDraft } from "../config-draft.js";
import {
  DHCP_OPTION_TABLE,
  type DhcpOptionType,
  OptionValueError,
  optionValueForConfig,
} from "../dhcp-option-table.js";
import type { DhcpdImportReport } from "./dhcpd-import-report.js";
import { DHCPD_KEYWORD_TABLE } from "./dhcpd-keyword-table.js";
import type { DhcpdOptionDeclarations } from "./dhcpd-option-declarations.js";
import { type DhcpdScope, globalScope } from "./dhcpd-scope.js";
import { type DhcpdStatement, pointAfter, valueComments, valueItems } from "./dhcpd-statement.js";

/** A global subnet-mask (1) or broadcast-address (28), decided once every network is known. */
interface GlobalDerivedOption {
  readonly st: DhcpdStatement;
  readonly code: 1 | 28;
  readonly value: string;
}

/** iPXE's encapsulated options (iPXE's "dhcpd" how-to, option 175). */
const IPXE_ENCAPSULATED = 175;

export class DhcpdOptionImport {
  readonly #report: DhcpdImportReport;
  readonly #draft: ConfigDraft;
  readonly #declarations: DhcpdOptionDeclarations;
  readonly #globalDerived: GlobalDerivedOption[] = [];

  constructor(report: DhcpdImportReport, draft: ConfigDraft, declarations: DhcpdOptionDeclarations) {
    this.#report = report;
    this.#draft = draft;
    this.#declarations = declarations;
  }

  option(st: DhcpdStatement, scope: DhcpdScope): void {
    const report = this.#report;
    const h = st.head;
    const nameTok = h[1];
    if (!nameTok) {
      report.error(
        pointAfter(st),
        "option without a name",
        "write `option NAME VALUE;`, e.g. option routers 10.0.0.1;",
      );
      report.note(scope, st, "malformed");
      return;
    }
    const name = nameTok.text.toLowerCase();
    if (h[2]?.text.toLowerCase() === "code") {
      const decl = this.#declarations.get(name);
      if (!decl && this.#declarations.isDeclared(name)) {
        report.note(
          scope,
          st,
          `declares option ${nameTok.text} of an option space; bootfleet has no option spaces`,
        );
        return;
      }
      if (!decl) {
        report.error(
          h[2].at,
          `cannot read the declaration of option ${nameTok.text}`,
          "write it as `option NAME code N = TYPE;` with N in 1..254 and TYPE text, string, ip-address, ...",
        );
        report.note(scope, st, "malformed option declaration");
        return;
      }
      report.note(
        scope,
        st,
        `declares option ${nameTok.text} as code ${decl.code}; its values are imported by code, under dhcp.options`,
      );
      return;
    }
    if (name.includes(".")) {
      // An option of a space reaches clients only inside the option that
      // encapsulates the space (dhcp-options(5), "Encapsulation").
      const space = name.slice(0, name.indexOf("."));
      const code = this.#declarations.encapsulatingCode(space);
      if (code !== undefined)
        report.warn(
          nameTok.at,
          `option ${nameTok.text} is sent inside option ${code} (the ${space} space); bootfleet has no option spaces and does not send it`,
          code === IPXE_ENCAPSULATED
            ? "iPXE's settings: bootfleet's own iPXE script sets what it needs"
            : `write option ${code}'s bytes under dhcp.options if clients need them`,
        );
      report.note(scope, st, `not mapped: an option of the ${space} space; bootfleet has no option spaces`);
      return;
    }
    if (name === "space") {
      report.note(
        scope,
        st,
        "not mapped: bootfleet has no option spaces; write encapsulated options as hex under dhcp.options",
      );
      return;
    }
    const valueTokens = h.slice(2);
    if (valueTokens.length === 0) {
      report.error(
        pointAfter(st),
        `option ${nameTok.text} has no value`,
        `write a value before ';', e.g. ${exampleFor(name)}`,
      );
      report.note(scope, st, "not mapped: it has no value");
      return;
    }
    const items = valueItems(valueTokens);
    const c = valueComments(st);
    const layerOption = DHCPD_KEYWORD_TABLE.layerOption(name);
    if (layerOption?.value === "addresses") {
      const bad = items.find((i) => parseIpv4(i) === null);
      if (bad === undefined) {
        scope.layer.set(layerOption.key, items, c);
        return;
      }
      report.warn(
        valueTokens[0]!.at,
        `option ${name}: '${bad}' is not an IPv4 address (dhcpd looks names up in DNS)`,
        "write the address in the imported config",
      );
      report.note(scope, st, `not mapped: '${bad}' is a DNS name; bootfleet needs addresses`);
      return;
    }
    if (layerOption?.value === "text") {
      scope.layer.set(layerOption.key, items.join(","), c);
      return;
    }
    // The host's name is read from it where the host is declared.
    if (name === "host-name" && scope.kind === "host") return;
    if (name === "subnet-mask" || name === "broadcast-address") {
      const code = name === "subnet-mask" ? 1 : 28;
      if (scope.network) {
        const derived = code === 1 ? maskOf(scope.network.subnet) : broadcastOf(scope.network.subnet);
        if (items[0] === derived) {
          report.note(
            scope,
            st,
            `mapped by design: bootfleet sends ${derived} from the network's subnet ${scope.network.subnet}`,
          );
          return;
        }
      } else if (scope.kind === "global" && items.length === 1 && parseIpv4(items[0]!) !== null) {
        // Whether every network derives the same is known once all are read.
        this.#globalDerived.push({ st, code, value: items[0]! });
        return;
      }
    }
    // By code: declared (`option foo code 128 = string;`), `option-128`, or a known name.
    let code: number | undefined;
    let type: DhcpOptionType | undefined;
    const decl = this.#declarations.get(name);
    const byNumber = /^option-(\d{1,3})$/.exec(name);
    const known = DHCP_OPTION_TABLE.byName(name);
    if (decl) ({ code, type } = decl);
    else if (byNumber) {
      code = Number(byNumber[1]);
      type = valueTokens.length === 1 && valueTokens[0]!.kind === "string" ? "text" : "bytes";
    } else if (known) ({ code, type } = known);
    if (code === undefined || type === undefined || code < 1 || code > 254) {
      report.warn(
        nameTok.at,
        `option ${nameTok.text} is not a DHCP option bootfleet knows`,
        "declare it in dhcpd.conf (`option NAME code N = TYPE;`) or add it by code under dhcp.options",
      );
      report.note(scope, st, `not mapped: unknown option '${nameTok.text}'`);
      return;
    }
    // A string-typed option written as text ("DPORT=1067") stays text.
    if (type === "bytes" && valueTokens.length === 1 && valueTokens[0]!.kind === "string") type = "text";
    let value: string;
    try {
      value = optionValueForConfig(type, items);
    } catch (e) {
      if (!(e instanceof OptionValueError)) throw e;
      report.error(
        valueTokens[0]!.at,
        `option ${nameTok.text}: ${e.message}`,
        `option ${code} holds ${describeType(type)}`,
      );
      report.note(scope, st, "not mapped: malformed value");
      return;
    }
    const label = `option ${nameTok.text}${type === "text" ? "" : ` ${items.join(", ")}`}${decl || byNumber ? "" : ` (code ${code})`}`;
    scope.layer.set(["dhcp", "options", String(code)], value, {
      before: c.before,
      inline: c.inline !== undefined ? `${label}:${c.inline}` : label,
    });
  }

  /** Global subnet-mask / broadcast-address: a comment when every network's own says the same, else dhcp.options. */
  resolveGlobalDerived(): void {
    const networks = this.#draft.networks;
    const subnets = briefList(networks.map((n) => n.subnet));
    // What the networks derive, per option code: one value when they all agree.
    const derived = new Map<number, ReadonlySet<string>>();
    const derivedBy = (code: number): ReadonlySet<string> => {
      let values = derived.get(code);
      if (!values) {
        values = new Set(networks.map((n) => (code === 1 ? maskOf(n.subnet) : broadcastOf(n.subnet))));
        derived.set(code, values);
      }
      return values;
    };
    for (const { st, code, value } of this.#globalDerived) {
      const values = derivedBy(code);
      if (values.size === 1 && values.has(value)) {
        this.#report.note(
          globalScope(this.#draft),
          st,
          `mapped by design: bootfleet sends ${value} from each network's subnet (${subnets})`,
        );
        continue;
      }
      const c = valueComments(st);
      this.#draft.defaults.set(["dhcp", "options", String(code)], optionValueForConfig("ip", [value]), {
        before: c.before,
        inline: `option ${code === 1 ? "subnet-mask" : "broadcast-address"} ${value}${c.inline !== undefined ? `:${c.inline}` : ""}`,
      });
    }
  }
}

function describeType(type: DhcpOptionType): string {
  return {
    ip: "one IPv4 address",
    ips: "IPv4 addresses, separated by commas",
    text: "text",
    u8: "a number 0..255",
    u16: "a number 0..65535",
    u32: "a number 0..4294967295",
    i32: "a signed 32-bit number",
    flag: "true or false",
    bytes: 'colon-separated hex (e4:45:74) or a "string"',
  }[type];
}

function exampleFor(name: string): string {
  const info = DHCP_OPTION_TABLE.byName(name);
  if (name === "subnet-mask") return "option subnet-mask 255.255.255.0;";
  if (info?.type === "ip" || info?.type === "ips") return `option ${name} 10.0.0.1;`;
  return `option ${name} "value";`;
}

function maskOf(cidr: string): string {
  const prefix = Number(cidr.split("/")[1]);
  return formatIpv4(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
}

function broadcastOf(cidr: string): string {
  const [addr, len] = cidr.split("/");
  const prefix = Number(len);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return formatIpv4((parseIpv4(addr!)! | (~mask >>> 0)) >>> 0);
}
