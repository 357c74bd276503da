/**
 * dhcpd.conf statements (dhcpd-conf-parser.ts) into the config draft.
 *
 * Scopes map onto layers: global -> defaults (and services.dhcp),
 * shared-network -> each of its subnets, subnet -> a network, group -> a
 * group whose members are its hosts, host -> a host. dhcpd's scope order
 * (global < shared-network < subnet < group < host) is bootfleet's layer
 * order (defaults < network < group < host), so a host resolves to what
 * dhcpd gave it.
 *
 * `if` chains on the vendor class (PXEClient / Etherboot), the user class
 * (gPXE / iPXE) and the client architecture (option 93) are how people
 * built the PXE -> gPXE -> pxelinux chain by hand (seeds 000 and 002).
 * bootfleet builds that chain itself, so one branch's boot file is kept as
 * the layer's `dhcp.filename` and the chain is kept as a comment.
 */
import {
  describeBadMac,
  formatIpv4,
  normalizeMac,
  parseIpv4,
  netmaskPrefix,
} from "../../config/net-address.js";
import type { SourceLocation } from "../../config/model.js";
import {
  ADDRESS_RANK,
  type ConfigDraft,
  type GroupDraft,
  HostDraft,
  LayerDraft,
  type NetworkDraft,
  type Note,
} from "../config-draft.js";
import {
  DHCP_OPTION_TABLE,
  type DhcpOptionType,
  OptionValueError,
  optionValueForConfig,
} from "../dhcp-option-table.js";
import type { DhcpdParseResult } from "./dhcpd-conf-parser.js";
import { type DhcpdStatement, headText } from "./dhcpd-statement.js";
import { type DhcpdToken, tokenText } from "./dhcpd-tokenizer.js";
import { BOOT_FILE_NAMES } from "../boot-file-names.js";
import type { ImportProblem } from "../import-problem.js";

interface SharedNetwork {
  readonly name: string;
  readonly layer: LayerDraft;
  readonly networks: NetworkDraft[];
}

interface Scope {
  readonly kind: "global" | "shared-network" | "subnet" | "group" | "host" | "pool";
  /** Where parameters written in this scope go. */
  readonly layer: LayerDraft;
  /** Where statements that do not map go. */
  readonly notes: Note[];
  readonly groups: readonly GroupDraft[];
  readonly network?: NetworkDraft | undefined;
  readonly shared?: SharedNetwork | undefined;
  readonly host?: HostDraft | undefined;
}

interface OptionDeclaration {
  readonly code: number;
  readonly type: DhcpOptionType;
}

/** Why a statement is kept as a comment rather than mapped, by keyword. */
const NOT_MAPPED: Record<string, string> = {
  "ddns-update-style": "bootfleet does no dynamic DNS updates",
  "ddns-updates": "bootfleet does no dynamic DNS updates",
  "ddns-domainname": "bootfleet does no dynamic DNS updates",
  "ddns-hostname": "bootfleet does no dynamic DNS updates",
  "get-lease-hostnames": "bootfleet does not look up lease addresses in DNS",
  "max-lease-time":
    "bootfleet leases for services.dhcp.lease_time (or a layer's dhcp.lease_time) whatever a client asks",
  "min-lease-time":
    "bootfleet leases for services.dhcp.lease_time (or a layer's dhcp.lease_time) whatever a client asks",
  "log-facility": "bootfleet logs through its own logger (pino)",
  "one-lease-per-client": "bootfleet keeps one lease per MAC",
  "ping-check": "bootfleet does not ping an address before offering it",
  "update-static-leases": "bootfleet does no dynamic DNS updates",
  "lease-file-name": "bootfleet keeps leases in its store (services: store)",
  "pid-file-name": "bootfleet has no PID file",
  "local-port": "set services.dhcp.port (seed 000's port 1067 trick)",
  "server-name": "bootfleet fills the sname field itself",
  failover: "bootfleet has no dhcpd failover protocol; see store: postgres for several servers",
  class: "bootfleet has no classes; groups match by hostname, MAC (OUI globs) or address",
  subclass: "bootfleet has no classes; groups match by hostname, MAC (OUI globs) or address",
  key: "bootfleet does no dynamic DNS updates",
  zone: "bootfleet does no dynamic DNS updates",
};

export function importDhcpdConf(
  parsed: DhcpdParseResult,
  draft: ConfigDraft,
  problems: ImportProblem[],
): void {
  new DhcpdImporter(parsed, draft, problems).run();
}

class DhcpdImporter {
  readonly #parsed: DhcpdParseResult;
  readonly #draft: ConfigDraft;
  readonly #problems: ImportProblem[];
  readonly #declared = new Map<string, OptionDeclaration>();
  /** Host names this file declared (a second `host x` in one file is dhcpd's "already exists"). */
  readonly #ownHosts = new Set<string>();
  #anonGroups = 0;
  /** Global subnet-mask / broadcast-address, decided once the networks are known. */
  readonly #derived: { st: DhcpdStatement; code: 1 | 28; value: string }[] = [];
  #sawRange = false;

  constructor(parsed: DhcpdParseResult, draft: ConfigDraft, problems: ImportProblem[]) {
    this.#parsed = parsed;
    this.#draft = draft;
    this.#problems = problems;
  }

  run(): void {
    const global: Scope = {
      kind: "global",
      layer: this.#draft.defaults,
      notes: this.#draft.notes,
      groups: [],
    };
    // Option declarations are global in dhcpd, and may come after their first use.
    this.#collectDeclarations(this.#parsed.statements);
    for (const st of this.#parsed.statements) this.#statement(st, global);
    this.#keepComments(this.#parsed.closingComments, this.#draft.notes, "at the end of the file");
    this.#resolveDerived();
    if (this.#draft.services.dhcp.mode !== undefined) return;
    if (this.#sawRange)
      this.#draft.setService("dhcp", "mode", "full", {
        before: [
          `${this.#parsed.file}: dhcpd handed out addresses (range). To keep that DHCP server instead, set mode: proxy`,
          "and add the output of `bootfleet export dhcpd` to its dhcpd.conf.",
        ],
      });
    else if (this.#ownHosts.size > 0 || this.#draft.networks.length > 0)
      this.#draft.setService("dhcp", "mode", "proxy", {
        before: [
          `${this.#parsed.file} has no range: dhcpd gave out only the hosts' fixed addresses. bootfleet's full mode`,
          "needs a pool, so it starts beside your DHCP server (proxy); add a pool and mode: full to replace it,",
          "or keep dhcpd and add the output of `bootfleet export dhcpd` to it.",
        ],
      });
  }

  // ---- helpers --------------------------------------------------------

  #error(at: SourceLocation, message: string, hint?: string): void {
    this.#problems.push({ severity: "error", at, message, hint });
  }

  #warn(at: SourceLocation, message: string, hint?: string): void {
    this.#problems.push({ severity: "warning", at, message, hint });
  }

  /** The statement as written, with the comments around it. */
  #source(st: DhcpdStatement): string {
    const lines = st.comments.map((c) => `#${c}`);
    let text = this.#parsed.text.slice(st.offset, st.end);
    if (st.trailing !== undefined && !st.block) text += ` #${st.trailing}`;
    lines.push(text);
    return lines.join("\n");
  }

  #note(scope: Scope, st: DhcpdStatement, why: string): void {
    scope.notes.push({ at: st.at, source: this.#source(st), why });
  }

  #keepComments(comments: readonly string[] | undefined, sink: Note[], where: string): void {
    if (!comments || comments.length === 0) return;
    sink.push({ source: comments.map((c) => `#${c}`).join("\n"), why: `comments ${where}, kept` });
  }

  #comments(st: DhcpdStatement): { before: readonly string[]; inline?: string } {
    return st.trailing !== undefined ? { before: st.comments, inline: st.trailing } : { before: st.comments };
  }

  /** The words after the keyword(s), as values: strings unquoted, split at commas. */
  #items(tokens: readonly DhcpdToken[]): string[] {
    const items: string[] = [];
    let cur: string[] = [];
    for (const t of tokens) {
      if (t.kind === "punct" && t.text === ",") {
        items.push(cur.join(" "));
        cur = [];
      } else cur.push(t.text);
    }
    if (cur.length) items.push(cur.join(" "));
    return items;
  }

  /** Where an argument should have been: just after the last word of the head. */
  #after(st: DhcpdStatement): SourceLocation {
    const last = st.head[st.head.length - 1]!;
    return { ...last.at, column: last.at.column + (last.end - last.offset) };
  }

  #collectDeclarations(sts: readonly DhcpdStatement[]): void {
    for (const st of sts) {
      const h = st.head;
      if (h[0]?.text.toLowerCase() === "option" && h[2]?.text.toLowerCase() === "code" && h.length >= 6) {
        const code = Number(h[3]!.text);
        const typeWords = h.slice(5).map((t) => t.text.toLowerCase());
        const type =
          DHCP_OPTION_TABLE.typeOfDhcpdDeclaration(typeWords.join(" ")) ?? declarationType(typeWords);
        if (Number.isInteger(code) && code >= 1 && code <= 254 && type)
          this.#declared.set(h[1]!.text.toLowerCase(), { code, type });
      }
      if (st.block) this.#collectDeclarations(st.block);
    }
  }

  // ---- statements -----------------------------------------------------

  #statement(st: DhcpdStatement, scope: Scope): void {
    const kw = st.head[0]?.text.toLowerCase() ?? "";
    if (st.block) {
      switch (kw) {
        case "host": {
          this.#host(st, scope);
          return;
        }
        case "group": {
          this.#group(st, scope);
          return;
        }
        case "subnet": {
          this.#subnet(st, scope);
          return;
        }
        case "shared-network": {
          this.#sharedNetwork(st, scope);
          return;
        }
        case "pool": {
          this.#pool(st, scope);
          return;
        }
        case "if": {
          this.#ifChain(st, scope);
          return;
        }
        default: {
          this.#note(
            scope,
            st,
            `not mapped: ${NOT_MAPPED[kw] ?? `bootfleet has no '${st.head[0]?.text ?? "{"}' block`}`,
          );
          return;
        }
      }
    }
    switch (kw) {
      case "option": {
        this.#option(st, scope);
        return;
      }
      case "filename": {
        this.#filename(st, scope);
        return;
      }
      case "next-server": {
        this.#nextServer(st, scope);
        return;
      }
      case "server-identifier": {
        this.#serverIdentifier(st, scope);
        return;
      }
      case "default-lease-time": {
        this.#leaseTime(st, scope);
        return;
      }
      case "authoritative":
      case "not": {
        this.#authoritative(st, scope);
        return;
      }
      case "boot-unknown-clients": {
        this.#bootUnknown(st, scope);
        return;
      }
      case "use-host-decl-names": {
        this.#note(
          scope,
          st,
          "mapped by design: bootfleet always hands a declared host its name (option 12); an `option host-name` wins",
        );
        return;
      }
      case "allow":
      case "deny":
      case "ignore": {
        this.#allowDeny(st, scope);
        return;
      }
      case "hardware": {
        this.#hardware(st, scope);
        return;
      }
      case "fixed-address": {
        this.#fixedAddress(st, scope);
        return;
      }
      case "range":
      case "range6": {
        this.#range(st, scope);
        return;
      }
      case "include":
        this.#warn(
          st.at,
          `include ${st.head[1] ? tokenText(st.head[1]) : ""} is not followed`,
          "import the included file too: bootfleet import FILE...",
        );
        {
          this.#note(scope, st, "not followed: pass the included file to `bootfleet import` as well");
          return;
        }
      default: {
        this.#note(
          scope,
          st,
          `not mapped: ${NOT_MAPPED[kw] ?? `bootfleet has no equivalent of '${st.head[0]?.text ?? ""}'`}`,
        );
        return;
      }
    }
  }

  #option(st: DhcpdStatement, scope: Scope): void {
    const h = st.head;
    const nameTok = h[1];
    if (!nameTok) {
      this.#error(
        this.#after(st),
        "option without a name",
        "write `option NAME VALUE;`, e.g. option routers 10.0.0.1;",
      );
      this.#note(scope, st, "malformed");
      return;
    }
    const name = nameTok.text.toLowerCase();
    if (h[2]?.text.toLowerCase() === "code") {
      const decl = this.#declared.get(name);
      if (!decl) {
        this.#error(
          h[2].at,
          `cannot read the declaration of option ${nameTok.text}`,
          "write it as `option NAME code N = TYPE;` with N in 1..254 and TYPE text, string, ip-address, ...",
        );
        this.#note(scope, st, "malformed option declaration");
        return;
      }
      this.#note(
        scope,
        st,
        `declares option ${nameTok.text} as code ${decl.code}; its values are imported by code, under dhcp.options`,
      );
      return;
    }
    if (name === "space") {
      this.#note(
        scope,
        st,
        "not mapped: bootfleet has no option spaces; write encapsulated options as hex under dhcp.options",
      );
      return;
    }
    const valueTokens = h.slice(2);
    if (valueTokens.length === 0) {
      this.#error(
        this.#after(st),
        `option ${nameTok.text} has no value`,
        `write a value before ';', e.g. ${exampleFor(name)}`,
      );
      this.#note(scope, st, "not mapped: it has no value");
      return;
    }
    const items = this.#items(valueTokens);
    const c = this.#comments(st);
    const ips = (what: string): string[] | undefined => {
      const bad = items.find((i) => parseIpv4(i) === null);
      if (bad === undefined) return items;
      this.#warn(
        valueTokens[0]!.at,
        `${what}: '${bad}' is not an IPv4 address (dhcpd looks names up in DNS)`,
        "write the address in the imported config",
      );
      this.#note(scope, st, `not mapped: '${bad}' is a DNS name; bootfleet needs addresses`);
      return undefined;
    };
    switch (name) {
      case "routers": {
        const v = ips("option routers");
        if (v) scope.layer.set(["dhcp", "routers"], v, c);
        return;
      }
      case "domain-name-servers": {
        const v = ips("option domain-name-servers");
        if (v) scope.layer.set(["dhcp", "dns"], v, c);
        return;
      }
      case "ntp-servers": {
        const v = ips("option ntp-servers");
        if (v) scope.layer.set(["dhcp", "ntp"], v, c);
        return;
      }
      case "domain-name": {
        scope.layer.set(["dhcp", "domain"], items.join(","), c);
        return;
      }
      case "root-path": {
        scope.layer.set(["dhcp", "root_path"], items.join(","), c);
        return;
      }
      case "host-name":
        if (scope.kind === "host") return; // taken as the host's name in #host
        break;
      case "subnet-mask":
      case "broadcast-address": {
        const code = name === "subnet-mask" ? 1 : 28;
        if (scope.network) {
          const derived = code === 1 ? maskOf(scope.network.subnet) : broadcastOf(scope.network.subnet);
          if (items[0] === derived) {
            this.#note(
              scope,
              st,
              `mapped by design: bootfleet sends ${derived} from the network's subnet ${scope.network.subnet}`,
            );
            return;
          }
        } else if (scope.kind === "global") {
          this.#derived.push({ st, code, value: items[0]! });
          return;
        }
        break;
      }
    }
    // By code: declared (`option foo code 128 = string;`), `option-128`, or a known name.
    let code: number | undefined;
    let type: DhcpOptionType | undefined;
    const decl = this.#declared.get(name);
    const byNumber = /^option-(\d{1,3})$/.exec(name);
    const known = DHCP_OPTION_TABLE.byName(name);
    if (decl) ({ code, type } = decl);
    else if (byNumber) {
      code = Number(byNumber[1]);
      type = valueTokens.length === 1 && valueTokens[0]!.kind === "string" ? "text" : "bytes";
    } else if (known) ({ code, type } = known);
    if (code === undefined || type === undefined || code < 1 || code > 254) {
      this.#warn(
        nameTok.at,
        `option ${nameTok.text} is not a DHCP option bootfleet knows`,
        "declare it in dhcpd.conf (`option NAME code N = TYPE;`) or add it by code under dhcp.options",
      );
      this.#note(scope, st, `not mapped: unknown option '${nameTok.text}'`);
      return;
    }
    // A string-typed option written as text ("DPORT=1067") stays text.
    if (type === "bytes" && valueTokens.length === 1 && valueTokens[0]!.kind === "string") type = "text";
    let value: string;
    try {
      value = optionValueForConfig(type, items);
    } catch (e) {
      if (!(e instanceof OptionValueError)) throw e;
      this.#error(
        valueTokens[0]!.at,
        `option ${nameTok.text}: ${e.message}`,
        `option ${code} holds ${describeType(type)}`,
      );
      this.#note(scope, st, "not mapped: malformed value");
      return;
    }
    const label = `option ${nameTok.text}${type === "text" ? "" : ` ${items.join(", ")}`}${decl || byNumber ? "" : ` (code ${code})`}`;
    scope.layer.set(["dhcp", "options", String(code)], value, {
      before: c.before,
      inline: c.inline !== undefined ? `${label}:${c.inline}` : label,
    });
  }

  #resolveDerived(): void {
    const networks = this.#draft.networks;
    for (const { st, code, value } of this.#derived) {
      const derived = networks.map((n) => (code === 1 ? maskOf(n.subnet) : broadcastOf(n.subnet)));
      const global: Scope = {
        kind: "global",
        layer: this.#draft.defaults,
        notes: this.#draft.notes,
        groups: [],
      };
      if (networks.length > 0 && derived.every((d) => d === value)) {
        this.#note(
          global,
          st,
          `mapped by design: bootfleet sends ${value} from each network's subnet (${networks.map((n) => n.subnet).join(", ")})`,
        );
        continue;
      }
      const c = this.#comments(st);
      this.#draft.defaults.set(["dhcp", "options", String(code)], optionValueForConfig("ip", [value]), {
        before: c.before,
        inline: `option ${code === 1 ? "subnet-mask" : "broadcast-address"} ${value}${c.inline !== undefined ? `:${c.inline}` : ""}`,
      });
    }
  }

  #oneValue(st: DhcpdStatement, what: string, example: string): DhcpdToken | undefined {
    const v = st.head[1];
    if (!v) {
      this.#error(this.#after(st), `${what} has no value`, `write it as ${example}`);
      return undefined;
    }
    return v;
  }

  #filename(st: DhcpdStatement, scope: Scope): void {
    const v = this.#oneValue(st, "filename", 'filename "pxelinux.0";');
    if (!v) {
      this.#note(scope, st, "not mapped: it has no value");
      return;
    }
    scope.layer.set(["dhcp", "filename"], v.text, this.#comments(st));
  }

  #nextServer(st: DhcpdStatement, scope: Scope): void {
    const v = this.#oneValue(st, "next-server", "next-server 10.0.0.11;");
    if (!v) {
      this.#note(scope, st, "not mapped: it has no value");
      return;
    }
    if (parseIpv4(v.text) === null) {
      this.#warn(
        v.at,
        `next-server '${v.text}' is not an IPv4 address (dhcpd looks names up in DNS)`,
        "write the TFTP server's address",
      );
      this.#note(scope, st, "not mapped: a DNS name; bootfleet needs the address");
      return;
    }
    scope.layer.set(["dhcp", "next_server"], v.text, this.#comments(st));
    this.#draft.proposeServerAddress(
      v.text,
      ADDRESS_RANK.tftpServer,
      `next-server in ${this.#parsed.file}`,
      st.at,
    );
  }

  #serverIdentifier(st: DhcpdStatement, scope: Scope): void {
    const v = this.#oneValue(st, "server-identifier", "server-identifier 10.0.0.1;");
    if (!v) {
      this.#note(scope, st, "not mapped: it has no value");
      return;
    }
    if (parseIpv4(v.text) === null) {
      this.#note(scope, st, "not mapped: a DNS name; bootfleet needs the address");
      return;
    }
    this.#draft.proposeServerAddress(
      v.text,
      ADDRESS_RANK.serverIdentifier,
      `server-identifier in ${this.#parsed.file}`,
      st.at,
    );
    this.#note(
      scope,
      st,
      "mapped to server.address: bootfleet identifies itself (option 54) with the address clients reach",
    );
  }

  #leaseTime(st: DhcpdStatement, scope: Scope): void {
    const v = this.#oneValue(st, "default-lease-time", "default-lease-time 3600;");
    if (!v) {
      this.#note(scope, st, "not mapped: it has no value");
      return;
    }
    const n = Number(v.text);
    if (!/^\d+$/.test(v.text) || n <= 0) {
      this.#error(
        v.at,
        `default-lease-time '${v.text}' is not a number of seconds`,
        "e.g. default-lease-time 28800;",
      );
      this.#note(scope, st, "not mapped: malformed value");
      return;
    }
    if (scope.kind === "global") this.#draft.setService("dhcp", "lease_time", n, this.#comments(st));
    else scope.layer.set(["dhcp", "lease_time"], n, this.#comments(st));
  }

  #authoritative(st: DhcpdStatement, scope: Scope): void {
    const words = st.head.map((t) => t.text.toLowerCase());
    const value =
      words.join(" ") === "authoritative"
        ? true
        : words.join(" ") === "not authoritative"
          ? false
          : undefined;
    if (value === undefined) {
      this.#note(scope, st, "not mapped: bootfleet has no equivalent");
      return;
    }
    if (scope.kind !== "global") {
      this.#note(
        scope,
        st,
        "not mapped: bootfleet is authoritative (or not) for all its networks: services.dhcp.authoritative",
      );
      return;
    }
    this.#draft.setService("dhcp", "authoritative", value, this.#comments(st));
  }

  #bootUnknown(st: DhcpdStatement, scope: Scope): void {
    const v = this.#oneValue(st, "boot-unknown-clients", "boot-unknown-clients false;");
    if (!v) {
      this.#note(scope, st, "not mapped: it has no value");
      return;
    }
    const flag = parseFlag(v.text);
    if (flag === undefined) {
      this.#error(
        v.at,
        `boot-unknown-clients '${v.text}' is not true or false`,
        "write true, false, on or off",
      );
      this.#note(scope, st, "not mapped: malformed value");
      return;
    }
    scope.layer.set(["boot_unknown"], flag, this.#comments(st));
  }

  #allowDeny(st: DhcpdStatement, scope: Scope): void {
    const what = st.head
      .slice(1)
      .map((t) => t.text.toLowerCase())
      .join(" ");
    const verb = st.head[0]!.text.toLowerCase();
    if (what === "booting" || what === "bootp") {
      this.#note(
        scope,
        st,
        verb === "allow"
          ? "mapped by design: bootfleet answers BOOTP and DHCP boot requests (boot_unknown decides for undeclared machines)"
          : "not mapped: to refuse booting, set boot_unknown: false and declare the machines that may boot",
      );
      return;
    }
    if (what === "unknown-clients" && verb !== "allow") {
      this.#note(
        scope,
        st,
        "not mapped: bootfleet gives addresses to unknown machines in full mode; boot_unknown: false stops them booting",
      );
      return;
    }
    this.#note(scope, st, "not mapped: bootfleet has no equivalent");
  }

  #hardware(st: DhcpdStatement, scope: Scope): void {
    if (scope.kind !== "host" || !scope.host) {
      this.#note(scope, st, "not mapped: hardware belongs in a host");
      return;
    }
    const type = st.head[1];
    const addr = st.head[2];
    if (!type || !addr) {
      this.#error(
        this.#after(st),
        "hardware needs a type and an address",
        "write it as `hardware ethernet aa:bb:cc:dd:ee:ff;`",
      );
      this.#note(scope, st, "not mapped: malformed");
      return;
    }
    if (type.text.toLowerCase() !== "ethernet") {
      this.#note(
        scope,
        st,
        `not mapped: bootfleet boots Ethernet machines; '${type.text}' hardware is not supported`,
      );
      return;
    }
    const text = st.head
      .slice(2)
      .map((t) => t.text)
      .join("");
    const mac = normalizeMac(text);
    if (!mac) {
      this.#error(
        addr.at,
        `'${text}' is not a MAC address: ${describeBadMac(text)}`,
        "write it as six hex octets, e.g. 00:c0:4f:ad:5c:bc",
      );
      this.#note(scope, st, "not mapped: malformed MAC address");
      return;
    }
    scope.host.mac = mac;
    const c = this.#comments(st);
    scope.host.macComments.push(...c.before, ...(c.inline !== undefined ? [c.inline] : []));
  }

  #fixedAddress(st: DhcpdStatement, scope: Scope): void {
    if (scope.kind !== "host" || !scope.host) {
      this.#note(scope, st, "not mapped: fixed-address belongs in a host");
      return;
    }
    const items = this.#items(st.head.slice(1));
    if (items.length === 0) {
      this.#error(this.#after(st), "fixed-address has no address", "write it as `fixed-address 10.0.0.12;`");
      this.#note(scope, st, "not mapped: it has no value");
      return;
    }
    const first = items[0]!;
    if (parseIpv4(first) === null) {
      this.#warn(
        st.head[1]!.at,
        `fixed-address '${first}' is a DNS name; dhcpd looks it up when it starts`,
        `add ip: with the address of ${first} to the host`,
      );
      this.#note(scope, st, `not mapped: '${first}' is a DNS name; write the host's address as ip:`);
      return;
    }
    scope.host.ip = first;
    const c = this.#comments(st);
    scope.host.ipComments.push(...c.before, ...(c.inline !== undefined ? [c.inline] : []));
    if (items.length > 1) this.#note(scope, st, `only ${first} is mapped: a bootfleet host has one address`);
  }

  #range(st: DhcpdStatement, scope: Scope): void {
    if (st.head[0]!.text.toLowerCase() === "range6") {
      this.#note(scope, st, "not mapped: bootfleet serves IPv4");
      return;
    }
    const words = st.head.slice(1).map((t) => t.text);
    const dynamicBootp = words[0]?.toLowerCase() === "dynamic-bootp";
    const addrs = dynamicBootp ? words.slice(1) : words;
    if (addrs.length === 0) {
      this.#error(this.#after(st), "range has no addresses", "write it as `range 10.0.0.100 10.0.0.150;`");
      this.#note(scope, st, "not mapped: it has no addresses");
      return;
    }
    const first = parseIpv4(addrs[0]!);
    const last = addrs.length > 1 ? parseIpv4(addrs[1]!) : first;
    const badIdx = first === null ? 0 : last === null ? 1 : -1;
    if (badIdx >= 0 || addrs.length > 2) {
      const tok = st.head[(dynamicBootp ? 2 : 1) + Math.max(badIdx, 0)] ?? st.head[1]!;
      this.#error(
        tok.at,
        `range: '${addrs[Math.max(badIdx, 0)]}' is not an IPv4 address`,
        "write it as `range FIRST LAST;`",
      );
      this.#note(scope, st, "not mapped: malformed range");
      return;
    }
    const network = scope.network;
    if (!network) {
      this.#note(scope, st, "not mapped: a range belongs in a subnet (or a pool in one)");
      return;
    }
    this.#sawRange = true;
    const [lo, hi] = first! <= last! ? [first!, last!] : [last!, first!];
    const c = this.#comments(st);
    network.pools.push({
      first: lo,
      last: hi,
      at: st.at,
      comments: [
        ...c.before,
        ...(c.inline !== undefined ? [c.inline] : []),
        ...(dynamicBootp ? [headTextOf(st)] : []),
      ],
    });
  }

  // ---- blocks ---------------------------------------------------------

  #host(st: DhcpdStatement, scope: Scope): void {
    const nameTok = st.head[1];
    if (!nameTok) {
      this.#error(this.#after(st), "host without a name", "write it as `host NAME { ... }`");
      this.#note(scope, st, "not mapped: host without a name");
      return;
    }
    if (scope.kind === "host") {
      this.#note(scope, st, "not mapped: a host inside a host");
      return;
    }
    const declName = nameTok.text;
    const hostNameSt = st.block?.find(
      (s) => s.head[0]?.text.toLowerCase() === "option" && s.head[1]?.text.toLowerCase() === "host-name",
    );
    const given = hostNameSt?.head[2]?.text;
    let name = given ?? declName;
    const host = new HostDraft(name, st.at);
    host.header.push(
      ...st.comments,
      `${this.#parsed.file}:${st.at.line}: host ${declName}${st.trailing !== undefined ? ` #${st.trailing}` : ""}`,
    );
    if (given && given !== declName)
      host.header.push(`named after its option host-name "${given}" (dhcpd's declaration name: ${declName})`);
    if (hostNameSt)
      host.header.push(
        ...hostNameSt.comments,
        ...(hostNameSt.trailing !== undefined ? [hostNameSt.trailing] : []),
      );
    const clean = toHostname(name);
    if (clean !== name) {
      this.#warn(
        nameTok.at,
        `'${name}' is not a valid hostname; imported as '${clean}'`,
        "letters, digits and '-' (RFC 1123)",
      );
      host.header.push(`renamed from '${name}': hostnames are letters, digits and '-' (RFC 1123)`);
      name = clean;
    }
    if (this.#ownHosts.has(name.toLowerCase())) {
      const free = this.#draft.freeHostName(name);
      this.#warn(
        nameTok.at,
        `host ${name} is declared twice; the second is imported as ${free}`,
        'dhcpd itself refuses this file ("host ... already exists"): give each host its own name',
      );
      host.header.push(
        `second 'host ${name}' in ${this.#parsed.file} (dhcpd refuses it: "already exists"), renamed to ${free}`,
      );
      name = free;
    }
    host.name = name;
    const inner: Scope = { ...scope, kind: "host", layer: host, notes: host.notes, host };
    for (const s of st.block ?? []) this.#statement(s, inner);
    this.#keepComments(st.closingComments, host.notes, `at the end of host ${declName}`);
    this.#ownHosts.add(name.toLowerCase());
    if (host.mac) {
      const other = this.#draft.findHostByMac(host.mac);
      if (other) {
        this.#warn(
          st.at,
          `host ${name} has the MAC ${host.mac} of host ${other.name}, declared before it; dhcpd gives that MAC host ${other.name}'s entry`,
          `give ${name} its own MAC; it is imported without one`,
        );
        host.notes.push({
          why: `not mapped: hardware ethernet ${host.mac} is already host ${other.name}'s, which dhcpd matches first; a bootfleet MAC belongs to one host`,
        });
        host.mac = undefined;
      }
    }
    const existing = this.#draft.findHost(name);
    if (existing) existing.absorb(host);
    else this.#draft.addHost(host);
    for (const g of scope.groups) if (!g.match.hosts.includes(name)) g.match.hosts.push(name);
  }

  #group(st: DhcpdStatement, scope: Scope): void {
    if (scope.kind === "host") {
      this.#note(scope, st, "not mapped: a group inside a host");
      return;
    }
    const nameTok = st.head[1];
    let name: string;
    if (nameTok) name = nameTok.text;
    else {
      this.#anonGroups++;
      name = `group-${this.#anonGroups}`;
    }
    while (this.#draft.groups.has(name)) name = `${name}-${this.#parsed.file.replace(/.*\//, "")}`;
    const group = this.#draft.group(name, st.at);
    group.header.push(
      ...st.comments,
      `${this.#parsed.file}:${st.at.line}: ${nameTok ? `group ${nameTok.text}` : "group (no name in dhcpd.conf)"}${st.trailing !== undefined ? ` #${st.trailing}` : ""}`,
    );
    const inner: Scope = {
      ...scope,
      kind: "group",
      layer: group,
      notes: group.notes,
      groups: [...scope.groups, group],
    };
    for (const s of st.block ?? []) this.#statement(s, inner);
    this.#keepComments(st.closingComments, group.notes, `inside group ${name}`);
    if (group.match.hosts.length > 0) return;
    // A group with no hosts matches nothing: keep what it said, as comments.
    this.#draft.groups.delete(name);
    if (!group.empty) {
      this.#warn(
        st.at,
        `group ${name} declares no hosts; its parameters are kept as comments`,
        "a bootfleet group needs members: add match: to it",
      );
    }
    scope.notes.push({
      at: st.at,
      source: this.#source(st),
      why: group.empty
        ? "not mapped: a group with no hosts and no parameters"
        : "not mapped: a group with no hosts matches no machine",
    });
  }

  #subnet(st: DhcpdStatement, scope: Scope): void {
    const h = st.head;
    const addr = h[1];
    const netmaskKw = h[2];
    const mask = h[3];
    const ip = addr ? parseIpv4(addr.text) : null;
    const prefix = mask ? netmaskPrefix(mask.text) : null;
    if (!addr || ip === null || netmaskKw?.text.toLowerCase() !== "netmask" || !mask || prefix === null) {
      const where = !addr ? this.#after(st) : ip === null ? addr.at : !mask ? this.#after(st) : mask.at;
      const what =
        !addr || ip === null
          ? `subnet needs a network address${addr ? `, not '${addr.text}'` : ""}`
          : !mask || netmaskKw?.text.toLowerCase() !== "netmask"
            ? "subnet needs `netmask MASK` after its address"
            : `'${mask.text}' is not a netmask`;
      this.#error(where, what, "write it as `subnet 10.0.0.0 netmask 255.255.255.0 { ... }`");
      // Still read what is inside (hosts, groups), so that all errors show at once.
      const detached = new LayerDraft();
      const inner: Scope = {
        ...scope,
        kind: "subnet",
        layer: detached,
        notes: scope.notes,
        network: undefined,
      };
      for (const s of st.block ?? []) this.#statement(s, inner);
      scope.notes.push({
        at: st.at,
        source: headTextOf(st),
        why: `not mapped: malformed subnet; what it set is not imported${describeValues(detached)}`,
      });
      scope.notes.push(...detached.notes);
      return;
    }
    const network = ip & (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
    if (network >>> 0 !== ip)
      this.#warn(
        addr.at,
        `subnet ${addr.text} has host bits set for netmask ${mask.text}`,
        `the network is ${formatIpv4(network >>> 0)}`,
      );
    const cidr = `${formatIpv4(network >>> 0)}/${prefix}`;
    const net = this.#draft.network(cidr, st.at);
    net.header.push(
      ...st.comments,
      `${this.#parsed.file}:${st.at.line}: subnet ${addr.text} netmask ${mask.text}${st.trailing !== undefined ? ` #${st.trailing}` : ""}`,
    );
    if (scope.shared) {
      scope.shared.networks.push(net);
    }
    if (scope.kind === "group")
      scope.notes.push({
        at: st.at,
        why: `subnet ${cidr} is declared inside this group; it became networks: ${cidr}, and the group's parameters apply to its hosts only`,
      });
    const inner: Scope = { ...scope, kind: "subnet", layer: net, notes: net.notes, network: net };
    for (const s of st.block ?? []) this.#statement(s, inner);
    this.#keepComments(st.closingComments, net.notes, `at the end of subnet ${cidr}`);
  }

  #sharedNetwork(st: DhcpdStatement, scope: Scope): void {
    const name = st.head[1]?.text ?? "(unnamed)";
    const shared: SharedNetwork = { name, layer: new LayerDraft(), networks: [] };
    const inner: Scope = {
      ...scope,
      kind: "shared-network",
      layer: shared.layer,
      notes: shared.layer.notes,
      shared,
    };
    for (const s of st.block ?? []) this.#statement(s, inner);
    const header = [
      ...st.comments,
      `${this.#parsed.file}:${st.at.line}: in shared-network ${name}${st.trailing !== undefined ? ` #${st.trailing}` : ""}`,
    ];
    if (shared.networks.length === 0) {
      scope.notes.push({
        at: st.at,
        source: headTextOf(st),
        why: `not mapped: shared-network ${name} holds no valid subnet, so what it set has no network to go to${describeValues(shared.layer)}`,
      });
      scope.notes.push(...shared.layer.notes);
      return;
    }
    // The shared-network's parameters sit between global and subnet: each subnet gets them unless it sets its own.
    for (const net of shared.networks) {
      net.header.unshift(...header);
      net.fillFrom(shared.layer);
    }
    shared.networks[0]!.notes.unshift(...shared.layer.notes);
    this.#keepComments(st.closingComments, shared.networks[0]!.notes, `at the end of shared-network ${name}`);
  }

  #pool(st: DhcpdStatement, scope: Scope): void {
    const network = scope.network;
    if (!network) {
      this.#note(scope, st, "not mapped: a pool belongs in a subnet");
      return;
    }
    const inner: Scope = { ...scope, kind: "pool", layer: new LayerDraft(), notes: network.notes };
    for (const s of st.block ?? []) {
      const kw = s.head[0]?.text.toLowerCase();
      if (kw === "range") this.#range(s, inner);
      else
        this.#note(inner, s, "not mapped: bootfleet has one pool per network, without parameters of its own");
    }
  }

  // ---- if chains ------------------------------------------------------

  #ifChain(st: DhcpdStatement, scope: Scope): void {
    const leaves = this.#leaves(st, []);
    const ranked = leaves
      .map((leaf) => ({ leaf, rank: leafRank(leaf), file: leafFilename(leaf) }))
      .filter(
        (x) =>
          x.rank >= 0 && x.file !== undefined && BOOT_FILE_NAMES.classify(x.file.head[1]!.text) === "other",
      );
    ranked.sort((a, b) => b.rank - a.rank);
    const chosen = ranked[0];
    const source = this.#source({ ...st, end: st.end });
    if (!chosen) {
      const own = leaves.some((l) => {
        const f = leafFilename(l);
        return f !== undefined && BOOT_FILE_NAMES.classify(f.head[1]!.text) !== "other";
      });
      scope.notes.push({
        at: st.at,
        source,
        why: own
          ? "mapped by design: this is the chain bootfleet builds itself (BIOS -> undionly.kpxe, UEFI -> ipxe.efi, iPXE -> http://<server>/boot/<mac>.ipxe)"
          : leaves.some((l) => l.conds.some((c) => c.kind === "unknown"))
            ? "not mapped: bootfleet cannot tell what these conditions select; set dhcp.filename on the group or host it is for"
            : "not mapped: no branch sets a boot file",
      });
      return;
    }
    const { leaf } = chosen;
    const file = chosen.file!;
    const condText = describeConds(leaf.conds);
    scope.layer.set(["dhcp", "filename"], file.head[1]!.text, {
      before: file.comments,
      inline: `${this.#parsed.file}:${file.at.line}, for ${condText}${file.trailing !== undefined ? ` -${file.trailing}` : ""}`,
    });
    for (const s of leaf.statements) {
      if (s === file) continue;
      const kw = s.head[0]?.text.toLowerCase();
      if (kw === "next-server" || kw === "option") this.#statement(s, scope);
    }
    const others = leaves.filter((l) => l !== leaf);
    scope.notes.push({
      at: st.at,
      source,
      why: [
        `mapped: the boot file ${file.head[1]!.text} that ${condText} got${leaf.statements.some((s) => s.head[0]?.text.toLowerCase() === "next-server") ? ", and its next-server" : ""} (see dhcp above).`,
        "bootfleet builds the PXE chain itself: BIOS ROMs get undionly.kpxe, UEFI ROMs ipxe.efi, and a running iPXE its",
        "per-machine script; dhcp.filename replaces that first stage for PXE ROMs.",
        ...(others.length
          ? [`The other branch(es) (${others.map((l) => describeConds(l.conds)).join("; ")}) are not mapped.`]
          : []),
      ].join("\n"),
    });
  }

  #leaves(st: DhcpdStatement, prefix: readonly Cond[]): Leaf[] {
    const out: Leaf[] = [];
    const negated: Cond[] = [];
    for (const branch of [st, ...(st.elseBranches ?? [])]) {
      const words = branch.head.map((t) => t.text.toLowerCase());
      const isElse = words[0] === "else" && words[1] !== "if";
      const condTokens =
        words[0] === "if" || words[0] === "elsif"
          ? branch.head.slice(1)
          : words[0] === "else"
            ? branch.head.slice(2)
            : [];
      const cond = isElse ? undefined : this.#condition(condTokens);
      const conds = [...prefix, ...negated, ...(cond ? [cond] : [])];
      const plain = (branch.block ?? []).filter((s) => !(s.block && s.head[0]?.text.toLowerCase() === "if"));
      const nested = (branch.block ?? []).filter((s) => s.block && s.head[0]?.text.toLowerCase() === "if");
      if (nested.length === 0) out.push({ conds, statements: plain, branch });
      else {
        if (plain.length) out.push({ conds, statements: plain, branch });
        for (const n of nested) out.push(...this.#leaves(n, conds));
      }
      if (cond) negated.push({ ...cond, negated: !cond.negated });
    }
    return out;
  }

  #condition(tokens: readonly DhcpdToken[]): Cond {
    const words = tokens.map((t) => t.text.toLowerCase());
    const text = tokens.map(tokenText).join(" ");
    const negated = words[0] === "not";
    const str = tokens.find((t) => t.kind === "string")?.text;
    if (words.includes("vendor-class-identifier") && str !== undefined)
      return { kind: "vendor", value: str, negated, text };
    if (words.includes("user-class") && str !== undefined)
      return { kind: "user-class", value: str, negated, text };
    // Option 93 under any name the file declared for it, or the usual ones.
    const archNames = new Set([
      "pxe-system-type",
      "client-architecture",
      "arch",
      "client-arch",
      "pxe-arch",
      "system-arch",
    ]);
    for (const [n, d] of this.#declared) if (d.code === 93) archNames.add(n);
    const optIdx = words.findIndex((w, i) => w === "option" && archNames.has(words[i + 1] ?? ""));
    if (optIdx >= 0) {
      const codes = tokens
        .filter(
          (t, i) => i > optIdx + 1 && t.kind === "word" && /^[0-9a-f:]+$/i.test(t.text) && t.text !== "or",
        )
        .map((t) => (t.text.includes(":") ? Number.parseInt(t.text.replaceAll(":", ""), 16) : Number(t.text)))
        .filter((n) => Number.isInteger(n));
      if (codes.length) return { kind: "arch", codes, negated, text };
    }
    if (words.includes("ipxe") || words.some((w) => w.startsWith("ipxe.") || w.startsWith("gpxe.")))
      return { kind: "user-class", value: "iPXE", negated, text };
    return { kind: "unknown", negated, text };
  }
}

interface Cond {
  readonly kind: "vendor" | "user-class" | "arch" | "unknown";
  readonly value?: string | undefined;
  readonly codes?: readonly number[] | undefined;
  readonly negated: boolean;
  readonly text: string;
}

interface Leaf {
  readonly conds: readonly Cond[];
  readonly statements: readonly DhcpdStatement[];
  readonly branch: DhcpdStatement;
}

/** Which branch's boot file stands for the machine: the one after the chain (iPXE/gPXE), then plain PXE, then the rest. */
function leafRank(leaf: Leaf): number {
  if (leaf.conds.some((c) => c.kind === "unknown" && !c.negated)) return -1;
  const pos = leaf.conds.filter((c) => !c.negated);
  if (pos.some((c) => c.kind === "user-class" && /^(g|i)pxe$/i.test(c.value ?? ""))) return 4;
  if (pos.some((c) => c.kind === "vendor" && /^pxeclient/i.test(c.value ?? ""))) return 3;
  if (pos.some((c) => c.kind === "arch" && c.codes?.includes(0))) return 3;
  if (pos.length === 0) return 2;
  return 1;
}

function leafFilename(leaf: Leaf): DhcpdStatement | undefined {
  return leaf.statements.find((s) => s.head[0]?.text.toLowerCase() === "filename" && s.head[1] !== undefined);
}

function describeConds(conds: readonly Cond[]): string {
  if (conds.length === 0) return "every client";
  return conds
    .map((c) => {
      const not = c.negated ? "not " : "";
      if (c.kind === "vendor") return `${not}vendor class ${c.value}`;
      if (c.kind === "user-class") return `${not}user class ${c.value}`;
      if (c.kind === "arch") return `${not}architecture ${c.codes?.join("/")}`;
      return `${not}(${c.text})`;
    })
    .join(", ");
}

function declarationType(words: readonly string[]): DhcpOptionType | undefined {
  const t = words.join(" ");
  if (t === "unsigned integer 8") return "u8";
  if (t === "unsigned integer 16") return "u16";
  if (t === "unsigned integer 32") return "u32";
  if (t === "signed integer 32" || t === "integer 32") return "i32";
  if (t === "array of ip-address") return "ips";
  return undefined;
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

function parseFlag(text: string): boolean | undefined {
  const t = text.toLowerCase();
  if (t === "true" || t === "on") return true;
  if (t === "false" || t === "off") return false;
  return undefined;
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

function headTextOf(st: DhcpdStatement): string {
  return `${headText(st)}${st.block ? " { ... }" : ";"}`;
}

/** RFC 1123 label characters; anything else becomes '-'. */
function toHostname(name: string): string {
  const t = name
    .replace(/[^A-Za-z0-9.-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .replace(/\.-|-\./g, ".");
  return t || "host";
}

/** ": dhcp.domain = x, ..." for a layer whose values could not be placed. */
function describeValues(layer: LayerDraft): string {
  const out: string[] = [];
  const walk = (o: Record<string, unknown>, path: string[]) => {
    for (const [k, v] of Object.entries(o)) {
      if (v && typeof v === "object" && !Array.isArray(v)) walk(v as Record<string, unknown>, [...path, k]);
      else out.push(`${[...path, k].join(".")} = ${Array.isArray(v) ? v.join(", ") : String(v)}`);
    }
  };
  walk(layer.values, []);
  return out.length ? `:\n${out.map((l) => `  ${l}`).join("\n")}` : "";
}
