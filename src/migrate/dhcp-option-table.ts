/**
 * DHCP options by name and code (RFC 2132, RFC 4578 for PXE, and the names
 * dhcpd, dnsmasq and Kea give them), with their value types, so that an
 * import can turn `option log-servers 10.0.0.11;` into the config's
 * `dhcp.options: { "7": "0x0a00000b" }` and an export can turn it back.
 *
 * In the config a custom option's value is text, or bytes as "0x..." hex
 * (src/boot/dhcp-option-value.ts reads both).
 */

export type DhcpOptionType = "ip" | "ips" | "text" | "u8" | "u16" | "u32" | "i32" | "flag" | "bytes";

export interface DhcpOptionInfo {
  readonly code: number;
  /** dhcpd.conf's name (dhcp-options(5)); Kea uses the same names for these codes. */
  readonly name: string;
  readonly type: DhcpOptionType;
  /** dnsmasq's name (`dnsmasq --help dhcp`), when it differs or exists. */
  readonly dnsmasq?: string | undefined;
}

const TABLE: readonly DhcpOptionInfo[] = [
  { code: 1, name: "subnet-mask", type: "ip", dnsmasq: "netmask" },
  { code: 2, name: "time-offset", type: "i32", dnsmasq: "time-offset" },
  { code: 3, name: "routers", type: "ips", dnsmasq: "router" },
  { code: 4, name: "time-servers", type: "ips" },
  { code: 6, name: "domain-name-servers", type: "ips", dnsmasq: "dns-server" },
  { code: 7, name: "log-servers", type: "ips", dnsmasq: "log-server" },
  { code: 9, name: "lpr-servers", type: "ips", dnsmasq: "lpr-server" },
  { code: 12, name: "host-name", type: "text", dnsmasq: "hostname" },
  { code: 13, name: "boot-size", type: "u16", dnsmasq: "boot-file-size" },
  { code: 15, name: "domain-name", type: "text", dnsmasq: "domain-name" },
  { code: 16, name: "swap-server", type: "ip", dnsmasq: "swap-server" },
  { code: 17, name: "root-path", type: "text", dnsmasq: "root-path" },
  { code: 18, name: "extensions-path", type: "text", dnsmasq: "extension-path" },
  { code: 19, name: "ip-forwarding", type: "flag", dnsmasq: "ip-forward-enable" },
  { code: 23, name: "default-ip-ttl", type: "u8", dnsmasq: "default-ttl" },
  { code: 26, name: "interface-mtu", type: "u16", dnsmasq: "mtu" },
  { code: 28, name: "broadcast-address", type: "ip", dnsmasq: "broadcast" },
  { code: 40, name: "nis-domain", type: "text", dnsmasq: "nis-domain" },
  { code: 41, name: "nis-servers", type: "ips", dnsmasq: "nis-server" },
  { code: 42, name: "ntp-servers", type: "ips", dnsmasq: "ntp-server" },
  { code: 44, name: "netbios-name-servers", type: "ips", dnsmasq: "netbios-ns" },
  { code: 46, name: "netbios-node-type", type: "u8", dnsmasq: "netbios-nodetype" },
  { code: 51, name: "dhcp-lease-time", type: "u32", dnsmasq: "lease-time" },
  { code: 54, name: "dhcp-server-identifier", type: "ip", dnsmasq: "server-identifier" },
  { code: 60, name: "vendor-class-identifier", type: "text", dnsmasq: "vendor-class" },
  { code: 64, name: "nisplus-domain", type: "text", dnsmasq: "nis+-domain" },
  { code: 65, name: "nisplus-servers", type: "ips", dnsmasq: "nis+-server" },
  { code: 66, name: "tftp-server-name", type: "text", dnsmasq: "tftp-server" },
  { code: 67, name: "bootfile-name", type: "text", dnsmasq: "bootfile-name" },
  { code: 69, name: "smtp-server", type: "ips", dnsmasq: "smtp-server" },
  { code: 70, name: "pop-server", type: "ips" },
  { code: 71, name: "nntp-server", type: "ips" },
  { code: 72, name: "www-server", type: "ips" },
  { code: 119, name: "domain-search", type: "bytes", dnsmasq: "domain-search" },
];

const BY_CODE = new Map(TABLE.map((o) => [o.code, o]));
const BY_NAME = new Map<string, DhcpOptionInfo>();
for (const o of TABLE) {
  BY_NAME.set(o.name, o);
  if (o.dnsmasq) BY_NAME.set(`dnsmasq:${o.dnsmasq}`, o);
}

export const DHCP_OPTION_TABLE = {
  byCode(code: number): DhcpOptionInfo | undefined {
    return BY_CODE.get(code);
  },
  /** dhcpd.conf and Kea name. */
  byName(name: string): DhcpOptionInfo | undefined {
    return BY_NAME.get(name.toLowerCase());
  },
  /** dnsmasq's `option:NAME`. */
  byDnsmasqName(name: string): DhcpOptionInfo | undefined {
    return BY_NAME.get(`dnsmasq:${name.toLowerCase()}`);
  },
  /** dhcpd's own type names (`option x code 128 = string;`). */
  typeOfDhcpdDeclaration(type: string): DhcpOptionType | undefined {
    const t = type.toLowerCase();
    if (t === "text") return "text";
    if (t === "string") return "bytes";
    if (t === "ip-address") return "ip";
    if (t === "boolean") return "flag";
    return undefined;
  },
} as const;

export class OptionValueError extends Error {
  override readonly name = "OptionValueError";
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * The config's text for an option value given as items (a dhcpd comma list,
 * a dnsmasq value list). Text stays text; everything else becomes "0x" hex.
 */
export function optionValueForConfig(type: DhcpOptionType, items: readonly string[]): string {
  if (type === "text") return items.join(",");
  return `0x${optionBytes(type, items).toString("hex")}`;
}

export function optionBytes(type: DhcpOptionType, items: readonly string[]): Buffer {
  const one = (): string => {
    if (items.length !== 1) throw new OptionValueError(`expected one value, got ${items.length}`);
    return items[0]!;
  };
  const int = (text: string, min: number, max: number): number => {
    if (!/^-?\d+$/.test(text)) throw new OptionValueError(`'${text}' is not a number`);
    const n = Number(text);
    if (n < min || n > max) throw new OptionValueError(`${n} is outside ${min}..${max}`);
    return n;
  };
  switch (type) {
    case "ip":
    case "ips": {
      if (type === "ip") one();
      const out = Buffer.alloc(items.length * 4);
      items.forEach((ip, i) => {
        if (!IPV4.test(ip)) throw new OptionValueError(`'${ip}' is not an IPv4 address`);
        for (const [j, p] of ip.split(".").entries()) out.writeUInt8(Number(p), i * 4 + j);
      });
      return out;
    }
    case "u8":
      return Buffer.from([int(one(), 0, 255)]);
    case "u16": {
      const b = Buffer.alloc(2);
      b.writeUInt16BE(int(one(), 0, 0xffff));
      return b;
    }
    case "u32": {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(int(one(), 0, 0xffffffff));
      return b;
    }
    case "i32": {
      const b = Buffer.alloc(4);
      b.writeInt32BE(int(one(), -0x80000000, 0x7fffffff));
      return b;
    }
    case "flag": {
      const v = one().toLowerCase();
      if (["true", "on", "1"].includes(v)) return Buffer.from([1]);
      if (["false", "off", "0"].includes(v)) return Buffer.from([0]);
      throw new OptionValueError(`'${v}' is not true or false`);
    }
    case "text":
      return Buffer.from(items.join(","), "utf8");
    case "bytes": {
      const v = one();
      if (/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2})*$/.test(v))
        return Buffer.from(v.split(":").map((x) => Number.parseInt(x, 16)));
      return Buffer.from(v, "utf8");
    }
  }
}

/** The bytes of a config value: "0x..." hex, colon hex pairs, or text (as src/boot/dhcp-option-value.ts reads it). */
export function configValueBytes(value: string): Buffer {
  if (/^0x([0-9a-fA-F]{2})+$/.test(value)) return Buffer.from(value.slice(2), "hex");
  if (/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})+$/.test(value)) return Buffer.from(value.replaceAll(":", ""), "hex");
  return Buffer.from(value, "utf8");
}

/** True when a config value is bytes written as hex rather than text. */
export function isHexConfigValue(value: string): boolean {
  return /^0x([0-9a-fA-F]{2})+$/.test(value) || /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})+$/.test(value);
}

/** Bytes back to the items an option's type is written as, or null when they do not fit the type. */
export function optionItems(type: DhcpOptionType, bytes: Buffer): string[] | null {
  switch (type) {
    case "ip":
    case "ips": {
      if (bytes.length === 0 || bytes.length % 4 !== 0 || (type === "ip" && bytes.length !== 4)) return null;
      const out: string[] = [];
      for (let i = 0; i < bytes.length; i += 4) out.push([...bytes.subarray(i, i + 4)].join("."));
      return out;
    }
    case "u8":
      return bytes.length === 1 ? [String(bytes[0])] : null;
    case "u16":
      return bytes.length === 2 ? [String(bytes.readUInt16BE())] : null;
    case "u32":
      return bytes.length === 4 ? [String(bytes.readUInt32BE())] : null;
    case "i32":
      return bytes.length === 4 ? [String(bytes.readInt32BE())] : null;
    case "flag":
      return bytes.length === 1 && bytes[0]! <= 1 ? [bytes[0] ? "true" : "false"] : null;
    case "text":
      return [bytes.toString("utf8")];
    case "bytes":
      return null;
  }
}
