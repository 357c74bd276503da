/**
 * dnsmasq.conf (dnsmasq(8): one long option per line, `name=value`, `#`
 * comments) into the draft. The boot-related options map:
 *
 *   dhcp-range    -> networks (subnet, pool); `proxy` -> services.dhcp.mode: proxy
 *   dhcp-host     -> hosts (mac, ip, name)
 *   dhcp-boot     -> dhcp.filename, dhcp.next_server (tagged: the iPXE / BIOS branch, as for dhcpd)
 *   dhcp-option   -> dhcp.routers, dns, domain, root_path, ntp, options by code
 *   pxe-service   -> dhcp.filename for x86PC (the PXE client adds ".0")
 *   enable-tftp, tftp-root -> services.tftp
 *
 * A `#` starts a comment at the start of a line or after whitespace (that
 * is how dnsmasq reads it: `a=b#c` keeps the `#`). Everything else is kept
 * as a comment with the reason.
 */
import {
  describeBadMac,
  normalizeMac,
  parseIpv4,
  formatIpv4,
  netmaskPrefix,
} from "../../config/net-address.js";
import type { SourceLocation } from "../../config/model.js";
import { ADDRESS_RANK, type ConfigDraft, HostDraft, type LayerDraft, type Note } from "../config-draft.js";
import {
  DHCP_OPTION_TABLE,
  OptionValueError,
  optionValueForConfig,
  type DhcpOptionInfo,
} from "../dhcp-option-table.js";
import { BOOT_FILE_NAMES } from "../boot-file-names.js";
import type { ImportProblem } from "../import-problem.js";

interface Field {
  readonly text: string;
  readonly at: SourceLocation;
}

interface Directive {
  readonly name: string;
  readonly fields: readonly Field[];
  readonly at: SourceLocation;
  readonly raw: string;
  readonly comments: readonly string[];
  readonly trailing?: string | undefined;
}

type TagMeaning =
  | { readonly kind: "ipxe" }
  | { readonly kind: "arch"; readonly code: number }
  | { readonly kind: "vendor"; readonly value: string }
  | { readonly kind: "host"; readonly host: HostDraft }
  | { readonly kind: "network"; readonly subnet: string };

/** Options with no bearing on booting: DNS and the like. */
const DNS_OPTIONS = new Set([
  "port",
  "server",
  "address",
  "no-resolv",
  "no-hosts",
  "resolv-file",
  "domain-needed",
  "bogus-priv",
  "expand-hosts",
  "local",
  "cache-size",
  "addn-hosts",
  "cname",
  "mx-host",
  "srv-host",
  "txt-record",
  "ptr-record",
  "strict-order",
  "all-servers",
  "no-negcache",
  "dnssec",
  "trust-anchor",
]);

const JOINED_LINE = /(^|\s)(dhcp-[a-z-]+|pxe-service|pxe-prompt|tftp-root|enable-tftp|interface|domain)=\S/;

export function importDnsmasqConf(
  text: string,
  file: string,
  draft: ConfigDraft,
  problems: ImportProblem[],
): void {
  const directives: Directive[] = [];
  const closing: string[] = [];
  let pending: string[] = [];
  text.split("\n").forEach((rawLine, i) => {
    const line = rawLine.replace(/\r$/, "");
    const lineNo = i + 1;
    const { body, comment, bodyStart } = splitComment(line);
    const t = body.trim();
    if (t === "") {
      if (comment !== undefined) pending.push(comment);
      return;
    }
    const start = bodyStart + (body.length - body.trimStart().length);
    const eq = t.indexOf("=");
    const name = (eq < 0 ? t : t.slice(0, eq)).trim();
    const fields: Field[] = [];
    if (eq >= 0) {
      let col = start + eq + 2;
      for (const f of splitFields(t.slice(eq + 1))) {
        fields.push({
          text: unquote(f.text.trim()),
          at: { file, line: lineNo, column: col + f.offset + (f.text.length - f.text.trimStart().length) },
        });
      }
      col = 0;
    }
    directives.push({
      name,
      fields,
      at: { file, line: lineNo, column: start + 1 },
      raw: t,
      comments: pending,
      trailing: comment,
    });
    pending = [];
  });
  closing.push(...pending);
  new DnsmasqImporter(file, draft, problems).run(directives, closing);
}

class DnsmasqImporter {
  readonly #file: string;
  readonly #draft: ConfigDraft;
  readonly #problems: ImportProblem[];
  readonly #tags = new Map<string, TagMeaning>();
  readonly #boots: { d: Directive; tags: string[] }[] = [];

  constructor(file: string, draft: ConfigDraft, problems: ImportProblem[]) {
    this.#file = file;
    this.#draft = draft;
    this.#problems = problems;
  }

  run(directives: readonly Directive[], closing: readonly string[]): void {
    // Tags first: a dhcp-boot may name a tag defined further down.
    for (const d of directives) this.#defineTags(d);
    for (const d of directives) {
      if (d.trailing !== undefined && JOINED_LINE.test(d.trailing)) {
        const m = JOINED_LINE.exec(d.trailing)!;
        this.#problems.push({
          severity: "warning",
          at: { ...d.at, column: d.raw.length + d.at.column + 1 },
          message: `the comment after ${d.name} holds '${d.trailing.slice(m.index + m[1]!.length).trim()}', which dnsmasq ignores (lines joined?)`,
          hint: "if it is a setting, put it on its own line and import again",
        });
        this.#draft.notes.push({
          at: d.at,
          source: `${d.raw} #${d.trailing}`,
          why: "a comment holding what looks like another dnsmasq line: dnsmasq ignores it, and so does this import; put it on its own line to use it",
        });
      }
      this.#directive(d);
    }
    this.#resolveBoots();
    if (closing.length)
      this.#draft.notes.push({
        source: closing.map((c) => `#${c}`).join("\n"),
        why: `comments at the end of ${this.#file}, kept`,
      });
  }

  #error(at: SourceLocation, message: string, hint?: string): void {
    this.#problems.push({ severity: "error", at, message, hint });
  }

  #note(d: Directive, why: string, notes: Note[] = this.#draft.notes): void {
    notes.push({
      at: d.at,
      source: [
        ...d.comments.map((c) => `#${c}`),
        `${d.raw}${d.trailing !== undefined ? ` #${d.trailing}` : ""}`,
      ].join("\n"),
      why,
    });
  }

  #comments(d: Directive): { before: readonly string[]; inline?: string } {
    return d.trailing !== undefined ? { before: d.comments, inline: d.trailing } : { before: d.comments };
  }

  #defineTags(d: Directive): void {
    const set = d.fields.find((f) => f.text.startsWith("set:") || f.text.startsWith("net:"));
    if (!set) return;
    const tag = set.text.slice(4);
    const rest = d.fields.filter((f) => f !== set).map((f) => f.text);
    switch (d.name) {
      case "dhcp-userclass":
        if (rest.some((r) => /^(i|g)pxe$/i.test(r))) this.#tags.set(tag, { kind: "ipxe" });
        return;
      case "dhcp-vendorclass":
        if (rest[0]) this.#tags.set(tag, { kind: "vendor", value: rest[0] });
        return;
      case "dhcp-match": {
        const opt = rest[0]?.toLowerCase();
        if (opt === "175" || opt === "option:175") this.#tags.set(tag, { kind: "ipxe" });
        else if ((opt === "93" || opt === "option:client-arch") && rest[1] !== undefined)
          this.#tags.set(tag, { kind: "arch", code: Number(rest[1]) });
        else if (opt === "77" || opt === "option:user-class") {
          if (rest.slice(1).some((r) => /^(i|g)pxe$/i.test(r))) this.#tags.set(tag, { kind: "ipxe" });
        } else if ((opt === "60" || opt === "option:vendor-class") && rest[1])
          this.#tags.set(tag, { kind: "vendor", value: rest[1] });
        return;
      }
    }
  }

  #directive(d: Directive): void {
    switch (d.name) {
      case "dhcp-range": {
        this.#range(d);
        return;
      }
      case "dhcp-host": {
        this.#host(d);
        return;
      }
      case "dhcp-boot":
        this.#boots.push({
          d,
          tags: d.fields.filter((f) => f.text.startsWith("tag:")).map((f) => f.text.slice(4)),
        });
        return;
      case "dhcp-option":
      case "dhcp-option-force": {
        this.#option(d);
        return;
      }
      case "pxe-service": {
        this.#pxeService(d);
        return;
      }
      case "enable-tftp":
        this.#draft.setService("tftp", "enabled", true, this.#comments(d));
        if (d.fields.length)
          this.#note(
            d,
            "the interface list is not mapped: bootfleet's TFTP listens where services.tftp says",
          );
        return;
      case "tftp-root": {
        const root = d.fields[0]?.text;
        if (!root) {
          this.#error(d.at, "tftp-root has no folder", "write it as tftp-root=/srv/tftp");
          return;
        }
        this.#draft.setService("tftp", "root", root, this.#comments(d));
        return;
      }
      case "interface":
        for (const f of d.fields)
          if (!this.#draft.interfaces.includes(f.text)) this.#draft.interfaces.push(f.text);
        return;
      case "listen-address":
        for (const f of d.fields)
          if (parseIpv4(f.text) !== null && f.text !== "127.0.0.1")
            this.#draft.proposeServerAddress(
              f.text,
              ADDRESS_RANK.listenAddress,
              `listen-address in ${this.#file}`,
              f.at,
            );
        {
          this.#note(d, "mapped to server.address when it is not loopback");
          return;
        }
      case "domain": {
        const v = d.fields[0]?.text;
        if (!v) {
          this.#error(d.at, "domain has no value", "write it as domain=example.org");
          return;
        }
        if (d.fields.length > 1) {
          this.#note(d, "not mapped: a domain for one range only; set dhcp.domain on that network");
          return;
        }
        this.#draft.defaults.set(["dhcp", "domain"], v, this.#comments(d));
        return;
      }
      case "dhcp-authoritative":
        this.#draft.setService("dhcp", "authoritative", true, this.#comments(d));
        return;
      case "dhcp-lease-max": {
        this.#note(d, "not mapped: set max_leases on the network");
        return;
      }
      case "dhcp-userclass":
      case "dhcp-vendorclass":
      case "dhcp-match":
      case "dhcp-mac":
      case "tag-if": {
        const set = d.fields.find((f) => f.text.startsWith("set:"))?.text.slice(4);
        const meaning = set ? this.#tags.get(set) : undefined;
        this.#note(
          d,
          meaning
            ? `read: tag ${set} means ${describeTag(meaning)}; bootfleet tells these clients apart itself`
            : "not mapped: bootfleet has no tags; groups match by hostname, MAC or address",
        );
        return;
      }
      case "conf-file":
      case "conf-dir":
        this.#problems.push({
          severity: "warning",
          at: d.at,
          message: `${d.name} is not followed`,
          hint: "import those files too: bootfleet import FILE...",
        });
        {
          this.#note(d, "not followed: pass those files to `bootfleet import` as well");
          return;
        }
      default:
        if (DNS_OPTIONS.has(d.name)) {
          this.#note(d, "not mapped: bootfleet serves no DNS");
          return;
        }
        {
          this.#note(d, `not mapped: bootfleet has no equivalent of ${d.name}`);
          return;
        }
    }
  }

  #range(d: Directive): void {
    const fields = d.fields.filter((f) => !/^(set|tag|net):/.test(f.text));
    const setTag = d.fields.find((f) => f.text.startsWith("set:"))?.text.slice(4);
    const start = fields[0];
    if (!start) {
      this.#error(d.at, "dhcp-range has no addresses", "write it as dhcp-range=10.0.0.100,10.0.0.150,12h");
      return;
    }
    const first = parseIpv4(start.text);
    if (first === null) {
      if (start.text.includes(":")) {
        this.#note(d, "not mapped: bootfleet serves IPv4");
        return;
      }
      this.#error(
        start.at,
        `dhcp-range: '${start.text}' is not an IPv4 address`,
        "write it as dhcp-range=FIRST,LAST[,NETMASK][,LEASE]",
      );
      return;
    }
    const rest = fields.slice(1);
    const badAddress = rest.find((f) => /^\d+(\.\d+){1,}$/.test(f.text) && parseIpv4(f.text) === null);
    if (badAddress) {
      this.#error(
        badAddress.at,
        `dhcp-range: '${badAddress.text}' is not an IPv4 address`,
        "write it as dhcp-range=FIRST,LAST[,NETMASK][,LEASE]",
      );
      return;
    }
    const proxy = rest.some((f) => f.text === "proxy");
    const isStatic = rest.some((f) => f.text === "static");
    const endField = !proxy && !isStatic && rest[0] && parseIpv4(rest[0].text) !== null ? rest[0] : undefined;
    const afterEnd = rest.filter((f) => f !== endField && f.text !== "proxy" && f.text !== "static");
    const maskField = afterEnd.find((f) => parseIpv4(f.text) !== null);
    const leaseField = afterEnd.find((f) => /^(\d+[smhdw]?|infinite)$/.test(f.text));
    let prefix = 24;
    let assumed = true;
    if (maskField) {
      const p = netmaskPrefix(maskField.text);
      if (p === null) {
        this.#error(maskField.at, `dhcp-range: '${maskField.text}' is not a netmask`, "e.g. 255.255.255.0");
        return;
      }
      prefix = p;
      assumed = false;
    }
    const last = endField ? parseIpv4(endField.text)! : first;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const cidr = `${formatIpv4((first & mask) >>> 0)}/${prefix}`;
    const net = this.#draft.network(cidr, d.at);
    net.header.push(
      ...d.comments,
      `${this.#file}:${d.at.line}: ${d.raw}${d.trailing !== undefined ? ` #${d.trailing}` : ""}`,
    );
    if (assumed)
      net.header.push(
        `dnsmasq takes the netmask from the interface; ${cidr} (a /24) is assumed: correct it if the network is larger`,
      );
    if (setTag) this.#tags.set(setTag, { kind: "network", subnet: cidr });
    if (proxy) {
      this.#draft.setService("dhcp", "mode", "proxy", {
        inline: `dhcp-range=${start.text},proxy: another DHCP server hands out addresses`,
      });
    } else if (!isStatic) {
      if (endField && (last & mask) >>> 0 !== (first & mask) >>> 0) {
        this.#error(
          endField.at,
          `dhcp-range: ${endField.text} is not in the same network as ${start.text}`,
          "a range lies inside one network",
        );
        return;
      }
      net.pools.push({ first: Math.min(first, last), last: Math.max(first, last), at: d.at, comments: [] });
      if (this.#draft.services.dhcp.mode === undefined) this.#draft.setService("dhcp", "mode", "full");
    }
    if (leaseField && leaseField.text !== "infinite") {
      const seconds = leaseSeconds(leaseField.text);
      net.set(["dhcp", "lease_time"], seconds, { inline: `dhcp-range lease ${leaseField.text}` });
    }
  }

  #host(d: Directive): void {
    let mac: string | undefined;
    let ip: string | undefined;
    let name: string | undefined;
    const tags: string[] = [];
    const extra: string[] = [];
    for (const f of d.fields) {
      const t = f.text;
      if (/^(set|tag|net):/.test(t)) {
        if (t.startsWith("set:")) tags.push(t.slice(4));
        else extra.push(t);
        continue;
      }
      if (t.startsWith("id:") || t === "ignore" || t.startsWith("[")) {
        extra.push(t);
        continue;
      }
      if (/^(\d+[smhdw]?|infinite)$/.test(t)) {
        extra.push(t);
        continue;
      }
      if (/^([0-9a-fA-F*]{1,2}[:-]){2,}[0-9a-fA-F*]{1,2}$/.test(t) || /^\d+-([0-9a-fA-F]{2}:)+/.test(t)) {
        const hw = t.replace(/^1-/, "");
        const norm = normalizeMac(hw);
        if (!norm) {
          if (hw.includes("*")) {
            extra.push(t);
            continue;
          }
          this.#error(
            f.at,
            `dhcp-host: '${t}' is not a MAC address: ${describeBadMac(hw)}`,
            "write it as aa:bb:cc:dd:ee:ff",
          );
          return;
        }
        if (mac) extra.push(t);
        else mac = norm;
        continue;
      }
      if (/^[0-9.]+$/.test(t)) {
        if (parseIpv4(t) === null) {
          this.#error(f.at, `dhcp-host: '${t}' is not an IPv4 address`, "write it as 10.0.0.12");
          return;
        }
        ip = t;
        continue;
      }
      if (name === undefined) name = t;
      else extra.push(t);
    }
    if (d.fields.some((f) => f.text === "ignore")) {
      this.#note(
        d,
        "not mapped: dnsmasq ignores this machine; in bootfleet, leave it undeclared and set boot_unknown: false",
      );
      return;
    }
    if (!mac && !name) {
      this.#note(d, "not mapped: a dhcp-host without a MAC or a name (by client id only)");
      return;
    }
    const hostName = name ?? (ip ? `host-${ip.replaceAll(".", "-")}` : `host-${mac!.replaceAll(":", "")}`);
    let host = this.#draft.findHost(hostName) ?? (mac ? this.#draft.findHostByMac(mac) : undefined);
    if (!host) {
      host = new HostDraft(this.#draft.freeHostName(hostName), d.at);
      this.#draft.addHost(host);
    }
    host.header.push(
      ...d.comments,
      `${this.#file}:${d.at.line}: ${d.raw}${d.trailing !== undefined ? ` #${d.trailing}` : ""}`,
    );
    if (!name)
      host.header.push(
        `dnsmasq names this machine what it asks to be called; bootfleet hosts have names: ${host.name} was made up`,
      );
    if (mac && !host.mac) {
      if (this.#draft.findHostByMac(mac))
        host.notes.push({ why: `not mapped: MAC ${mac} is another host's` });
      else host.mac = mac;
    }
    if (ip && !host.ip) host.ip = ip;
    if (extra.length)
      host.notes.push({ at: d.at, why: `not mapped from this dhcp-host: ${extra.join(", ")}` });
    for (const t of tags) this.#tags.set(t, { kind: "host", host });
  }

  #option(d: Directive): void {
    const tags = d.fields.filter((f) => f.text.startsWith("tag:")).map((f) => f.text.slice(4));
    const fields = d.fields.filter((f) => !/^(tag|set|net):/.test(f.text));
    const optField = fields[0];
    if (!optField) {
      this.#error(
        d.at,
        `${d.name} has no option`,
        "write it as dhcp-option=17,10.0.0.1:/root or dhcp-option=option:root-path,...",
      );
      return;
    }
    if (/^(encap|vi-encap|vendor):/.test(optField.text)) {
      this.#note(d, "not mapped: encapsulated options; write them as hex under dhcp.options");
      return;
    }
    let info: DhcpOptionInfo | undefined;
    let code: number;
    if (optField.text.startsWith("option:")) {
      info = DHCP_OPTION_TABLE.byDnsmasqName(optField.text.slice(7));
      if (!info) {
        this.#problems.push({
          severity: "warning",
          at: optField.at,
          message: `${optField.text} is not an option name bootfleet knows`,
          hint: "write it by number, e.g. dhcp-option=17,...",
        });
        this.#note(d, `not mapped: unknown option name ${optField.text}`);
        return;
      }
      code = info.code;
    } else {
      code = Number(optField.text);
      if (!/^\d{1,3}$/.test(optField.text) || code < 1 || code > 254) {
        this.#error(
          optField.at,
          `${d.name}: '${optField.text}' is not an option number or option:NAME`,
          "e.g. dhcp-option=3,10.0.0.1",
        );
        return;
      }
      info = DHCP_OPTION_TABLE.byCode(code);
    }
    const values = fields.slice(1).map((f) => f.text);
    const layer = this.#layerForTags(tags, d);
    if (!layer) return;
    const c = this.#comments(d);
    const ips = (): string[] | undefined => {
      const bad = values.find((v) => parseIpv4(v) === null);
      if (bad === undefined) return values;
      if (bad === "0.0.0.0") {
        this.#note(
          d,
          "mapped by design: 0.0.0.0 is dnsmasq's 'this server'; bootfleet sends its own address where it must",
          layer.notes,
        );
        return undefined;
      }
      this.#error(fields[1 + values.indexOf(bad)]!.at, `${d.name} ${code}: '${bad}' is not an IPv4 address`);
      return undefined;
    };
    switch (code) {
      case 3: {
        const v = ips();
        if (v) layer.set(["dhcp", "routers"], v, c);
        return;
      }
      case 6: {
        const v = ips();
        if (v) layer.set(["dhcp", "dns"], v, c);
        return;
      }
      case 42: {
        const v = ips();
        if (v) layer.set(["dhcp", "ntp"], v, c);
        return;
      }
      case 15: {
        layer.set(["dhcp", "domain"], values.join(","), c);
        return;
      }
      case 17: {
        layer.set(["dhcp", "root_path"], values.join(","), c);
        return;
      }
      case 67: {
        layer.set(["dhcp", "filename"], values.join(","), c);
        return;
      }
    }
    const type =
      info?.type ??
      (values.length === 1 && /^([0-9a-fA-F]{2}:)+[0-9a-fA-F]{2}$/.test(values[0]!) ? "bytes" : "text");
    let value: string;
    try {
      value = optionValueForConfig(type, values);
    } catch (e) {
      if (!(e instanceof OptionValueError)) throw e;
      this.#error(fields[1]?.at ?? optField.at, `${d.name} ${code}: ${e.message}`);
      return;
    }
    layer.set(["dhcp", "options", String(code)], value, {
      before: c.before,
      inline: `${d.name}=${optField.text}${c.inline !== undefined ? `:${c.inline}` : ""}`,
    });
    if (d.name === "dhcp-option-force")
      this.#note(d, "bootfleet sends dhcp.options whether or not the client asks for them", layer.notes);
  }

  #layerForTags(tags: readonly string[], d: Directive): LayerDraft | undefined {
    if (tags.length === 0) return this.#draft.defaults;
    const meanings = tags.map((t) => this.#tags.get(t.replace(/^!/, "")));
    if (tags.length === 1 && !tags[0]!.startsWith("!")) {
      const m = meanings[0];
      if (m?.kind === "host") return m.host;
      if (m?.kind === "network") return this.#draft.network(m.subnet);
    }
    this.#note(
      d,
      `not mapped: for clients tagged ${tags.join(", ")}; bootfleet has no tags (set it on the group or host it is for)`,
    );
    return undefined;
  }

  #pxeService(d: Directive): void {
    const fields = d.fields.filter((f) => !/^(tag|set|net):/.test(f.text));
    const csa = fields[0]?.text;
    const basename = fields[2]?.text;
    const server = fields[3]?.text;
    if (
      csa?.toLowerCase() === "x86pc" &&
      basename &&
      !/^\d+$/.test(basename) &&
      this.#draft.defaults.get(["dhcp", "filename"]) === undefined
    ) {
      this.#draft.defaults.set(["dhcp", "filename"], `${basename}.0`, {
        before: d.comments,
        inline: `pxe-service x86PC ${basename}: the PXE client adds ".0"${d.trailing !== undefined ? ` -${d.trailing}` : ""}`,
      });
      if (server && parseIpv4(server) !== null) {
        this.#draft.defaults.set(["dhcp", "next_server"], server, { inline: "pxe-service boot server" });
        this.#draft.proposeServerAddress(
          server,
          ADDRESS_RANK.tftpServer,
          `pxe-service in ${this.#file}`,
          d.at,
        );
      }
      return;
    }
    this.#note(
      d,
      "not mapped: bootfleet answers PXE boot-server requests itself (its proxy DHCP on port 4011 and its own menu)",
    );
  }

  /** dhcp-boot lines: untagged ones for everyone, tagged ones by what the tag means. */
  #resolveBoots(): void {
    const global: { d: Directive; rank: number; why: string }[] = [];
    for (const { d, tags } of this.#boots) {
      const fields = d.fields.filter((f) => !/^(tag|set|net):/.test(f.text));
      const file = fields[0]?.text;
      if (!file) {
        this.#error(
          d.at,
          "dhcp-boot has no file name",
          "write it as dhcp-boot=pxelinux.0[,servername[,serveraddress]]",
        );
        continue;
      }
      const serverAddr = fields[2]?.text;
      if (serverAddr !== undefined && parseIpv4(serverAddr) === null) {
        this.#error(
          fields[2]!.at,
          `dhcp-boot: '${serverAddr}' is not an IPv4 address`,
          "the third field is the TFTP server's address",
        );
        continue;
      }
      const positive = tags.filter((t) => !t.startsWith("!")).map((t) => this.#tags.get(t));
      if (
        tags.length > 0 &&
        positive.length === 1 &&
        (positive[0]?.kind === "host" || positive[0]?.kind === "network")
      ) {
        const layer = this.#layerForTags(tags, d)!;
        this.#applyBoot(d, layer, file, serverAddr, fields[1]?.text, "");
        continue;
      }
      if (tags.some((t) => !this.#tags.has(t.replace(/^!/, "")))) {
        this.#note(
          d,
          `not mapped: for clients tagged ${tags.join(", ")}, a tag this file does not define as iPXE, an architecture or a vendor class`,
        );
        continue;
      }
      const kind = BOOT_FILE_NAMES.classify(file);
      if (kind !== "other") {
        this.#note(
          d,
          "mapped by design: bootfleet hands out its own iPXE binaries and per-machine scripts (BIOS -> undionly.kpxe, UEFI -> ipxe.efi, iPXE -> http://<server>/boot/<mac>.ipxe)",
        );
        continue;
      }
      const rank = positive.some((m) => m?.kind === "ipxe")
        ? 4
        : positive.some(
              (m) =>
                (m?.kind === "arch" && m.code === 0) || (m?.kind === "vendor" && /^pxeclient/i.test(m.value)),
            )
          ? 3
          : positive.length === 0
            ? 2
            : 1;
      global.push({ d, rank, why: tags.length ? `for clients tagged ${tags.join(", ")}` : "" });
    }
    global.sort((a, b) => b.rank - a.rank);
    const chosen = global[0];
    if (!chosen) return;
    const fields = chosen.d.fields.filter((f) => !/^(tag|set|net):/.test(f.text));
    this.#applyBoot(
      chosen.d,
      this.#draft.defaults,
      fields[0]!.text,
      fields[2]?.text,
      fields[1]?.text,
      chosen.why,
    );
    for (const other of global.slice(1))
      this.#note(
        other.d,
        `not mapped: bootfleet keeps one boot file per layer; ${chosen.d.raw} (line ${chosen.d.at.line}) was taken`,
      );
  }

  #applyBoot(
    d: Directive,
    layer: LayerDraft,
    file: string,
    serverAddr: string | undefined,
    serverName: string | undefined,
    why: string,
  ): void {
    const c = this.#comments(d);
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

function describeTag(m: TagMeaning): string {
  switch (m.kind) {
    case "ipxe":
      return "iPXE is running";
    case "arch":
      return `client architecture ${m.code}`;
    case "vendor":
      return `vendor class ${m.value}`;
    case "host":
      return `host ${m.host.name}`;
    case "network":
      return `network ${m.subnet}`;
  }
}

/** dnsmasq's comment rule: '#' at the start of a line or after whitespace, outside quotes. */
function splitComment(line: string): { body: string; comment: string | undefined; bodyStart: number } {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === "\\") i++;
    else if (c === "#" && !quoted && (i === 0 || /\s/.test(line[i - 1]!)))
      return { body: line.slice(0, i), comment: line.slice(i + 1), bodyStart: 0 };
  }
  return { body: line, comment: undefined, bodyStart: 0 };
}

function splitFields(value: string): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === "\\") i++;
    else if (c === "," && !quoted) {
      out.push({ text: value.slice(start, i), offset: start });
      start = i + 1;
    }
  }
  out.push({ text: value.slice(start), offset: start });
  return out;
}

function unquote(t: string): string {
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/\\(.)/g, "$1") : t;
}

function leaseSeconds(t: string): number {
  const n = Number.parseInt(t, 10);
  const unit = t.replace(/^\d+/, "");
  return n * ({ "": 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[unit] ?? 1);
}
