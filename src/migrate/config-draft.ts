/**
 * The config an import is building: the fleet model's shape (DESIGN.md's
 * YAML keys), plus the comments that go with it. Importers write into one
 * draft, so `bootfleet import dhcpd.conf lts.conf pxelinux.cfg/default`
 * merges three files into one fleet; `renderDraft` turns it into YAML.
 *
 * Nothing an input says is dropped: what maps goes into a key (with the
 * input's own comment beside it), what does not becomes a Note placed where
 * it belonged (the host, group or network it was written in).
 */
import type { SourceLocation } from "../config/model.js";

/** A comment block in the output: where it came from, the original text, and why it is a comment. */
export interface Note {
  readonly at?: SourceLocation | undefined;
  /** The original lines, verbatim (may span several lines). */
  readonly source?: string | undefined;
  readonly why: string;
}

export interface ValueComments {
  /** Comment lines before the key (the input's own-line comments). */
  readonly before: string[];
  /** Comment at the end of the value's line (the input's trailing comment). */
  readonly inline: string[];
}

/** One layer (defaults, network, group, host, address): LayerSpec's keys as plain YAML data. */
export class LayerDraft {
  /** Nested plain data: image, boot_unknown, loader, kernel_args, settings{}, dhcp{options{}}, ... */
  readonly values: Record<string, unknown> = {};
  readonly notes: Note[] = [];
  /** "dhcp.filename" -> comments. */
  readonly comments = new Map<string, ValueComments>();
  /** Comments that go before this entity's key in the output. */
  readonly header: string[] = [];

  set(
    path: readonly string[],
    value: unknown,
    comments?: { before?: readonly string[]; inline?: string },
  ): void {
    let o = this.values;
    for (const k of path.slice(0, -1)) {
      const next = o[k];
      if (next === undefined || typeof next !== "object" || next === null || Array.isArray(next)) o[k] = {};
      o = o[k] as Record<string, unknown>;
    }
    o[path[path.length - 1]!] = value;
    if (comments) this.comment(path, comments);
  }

  get(path: readonly string[]): unknown {
    let o: unknown = this.values;
    for (const k of path) {
      if (o === undefined || o === null || typeof o !== "object") return undefined;
      o = (o as Record<string, unknown>)[k];
    }
    return o;
  }

  delete(path: readonly string[]): void {
    const parent = this.get(path.slice(0, -1));
    if (parent && typeof parent === "object")
      delete (parent as Record<string, unknown>)[path[path.length - 1]!];
    this.comments.delete(path.join("\u0000"));
  }

  comment(path: readonly string[], c: { before?: readonly string[]; inline?: string }): void {
    const key = path.join("\u0000");
    let entry = this.comments.get(key);
    if (!entry) {
      entry = { before: [], inline: [] };
      this.comments.set(key, entry);
    }
    if (c.before) entry.before.push(...c.before);
    if (c.inline) entry.inline.push(c.inline);
  }

  note(note: Note): void {
    this.notes.push(note);
  }

  get empty(): boolean {
    return Object.keys(this.values).length === 0;
  }

  /** Takes the values of `from` that this layer does not set (deep), with their comments. */
  fillFrom(from: LayerDraft): void {
    const walk = (o: Record<string, unknown>, path: string[]) => {
      for (const [k, v] of Object.entries(o)) {
        const p = [...path, k];
        if (v && typeof v === "object" && !Array.isArray(v)) walk(v as Record<string, unknown>, p);
        else if (this.get(p) === undefined) {
          const c = from.comments.get(p.join("\u0000"));
          this.set(p, v, c ? { before: c.before, inline: c.inline.join(" /") || undefined } : undefined);
        }
      }
    };
    walk(from.values, []);
  }
}

export interface PoolDraft {
  first: number;
  last: number;
  readonly at?: SourceLocation | undefined;
  readonly comments: string[];
}

export class NetworkDraft extends LayerDraft {
  readonly subnet: string;
  readonly pools: PoolDraft[] = [];
  readonly at: SourceLocation | undefined;

  constructor(subnet: string, at: SourceLocation | undefined) {
    super();
    this.subnet = subnet;
    this.at = at;
  }
}

export interface MatchDraft {
  readonly hosts: string[];
  readonly mac: string[];
  readonly ip: string[];
  readonly hostname: string[];
}

export class GroupDraft extends LayerDraft {
  readonly name: string;
  readonly match: MatchDraft = { hosts: [], mac: [], ip: [], hostname: [] };
  readonly at: SourceLocation | undefined;

  constructor(name: string, at: SourceLocation | undefined) {
    super();
    this.name = name;
    this.at = at;
  }
}

export class HostDraft extends LayerDraft {
  name: string;
  mac: string | undefined;
  ip: string | undefined;
  readonly at: SourceLocation | undefined;
  readonly macComments: string[] = [];
  readonly ipComments: string[] = [];

  constructor(name: string, at: SourceLocation | undefined) {
    super();
    this.name = name;
    this.at = at;
  }

  /** Another declaration of the same machine (from another file): its values fill in what this one lacks. */
  absorb(from: HostDraft): void {
    if (!this.mac && from.mac) this.mac = from.mac;
    if (!this.ip && from.ip) this.ip = from.ip;
    this.macComments.push(...from.macComments);
    this.ipComments.push(...from.ipComments);
    this.header.push(...from.header);
    this.fillFrom(from);
    this.notes.push(...from.notes);
  }
}

export class AddressDraft extends LayerDraft {
  readonly ip: string;

  constructor(ip: string) {
    super();
    this.ip = ip;
  }
}

export interface ImageDraft {
  readonly name: string;
  description?: string | undefined;
  kernel_args?: string | undefined;
  readonly notes: Note[];
  readonly header: string[];
}

interface AddressCandidate {
  readonly address: string;
  /** Higher wins: the explicit option, then what names the DHCP/TFTP server, then hints. */
  readonly rank: number;
  readonly why: string;
  readonly at?: SourceLocation | undefined;
}

/** Ranks of the evidence for `server.address`. */
export const ADDRESS_RANK = {
  /** --server-address. */
  explicit: 100,
  /** dhcpd server-identifier: the DHCP server's own address, which bootfleet replaces. */
  serverIdentifier: 50,
  /** dnsmasq listen-address: where the DHCP/TFTP server listened. */
  listenAddress: 45,
  /** next-server / dnsmasq dhcp-boot's server address: the TFTP server. */
  tftpServer: 40,
  /** the NBD or NFS server in a kernel command line. */
  rootServer: 30,
  /** lts.conf SERVER: LTSP's default for every service. */
  ltsServer: 20,
} as const;

export class ConfigDraft {
  readonly sources: string[] = [];
  /** Notes about the whole file (global statements with no home in the model). */
  readonly notes: Note[] = [];
  readonly addressCandidates: AddressCandidate[] = [];
  interfaces: string[] = [];
  readonly services: {
    dhcp: Record<string, unknown>;
    tftp: Record<string, unknown>;
  } = { dhcp: {}, tftp: {} };
  readonly serviceComments = new Map<string, ValueComments>();
  readonly defaults = new LayerDraft();
  readonly networks: NetworkDraft[] = [];
  readonly groups = new Map<string, GroupDraft>();
  readonly hosts = new Map<string, HostDraft>();
  readonly addresses = new Map<string, AddressDraft>();
  readonly images = new Map<string, ImageDraft>();

  proposeServerAddress(address: string, rank: number, why: string, at?: SourceLocation): void {
    this.addressCandidates.push({ address, rank, why, at });
  }

  setService(
    service: "dhcp" | "tftp",
    key: string,
    value: unknown,
    c?: { before?: readonly string[]; inline?: string },
  ): void {
    this.services[service][key] = value;
    if (!c) return;
    const k = `${service}.${key}`;
    let entry = this.serviceComments.get(k);
    if (!entry) {
      entry = { before: [], inline: [] };
      this.serviceComments.set(k, entry);
    }
    if (c.before) entry.before.push(...c.before);
    if (c.inline) entry.inline.push(c.inline);
  }

  network(subnet: string, at?: SourceLocation): NetworkDraft {
    let n = this.networks.find((x) => x.subnet === subnet);
    if (!n) {
      n = new NetworkDraft(subnet, at);
      this.networks.push(n);
    }
    return n;
  }

  /** The group of that name, created on first use; insertion order is the output (and precedence) order. */
  group(name: string, at?: SourceLocation): GroupDraft {
    let g = this.groups.get(name);
    if (!g) {
      g = new GroupDraft(name, at);
      this.groups.set(name, g);
    }
    return g;
  }

  /** Host names compare like DNS names: case-insensitively. */
  findHost(name: string): HostDraft | undefined {
    const lower = name.toLowerCase();
    for (const h of this.hosts.values()) if (h.name.toLowerCase() === lower) return h;
    return undefined;
  }

  findHostByMac(mac: string): HostDraft | undefined {
    for (const h of this.hosts.values()) if (h.mac === mac) return h;
    return undefined;
  }

  addHost(host: HostDraft): void {
    this.hosts.set(host.name, host);
  }

  /** A free host name: `name`, else `name-2`, `name-3`, ... */
  freeHostName(name: string): string {
    if (!this.findHost(name)) return name;
    for (let i = 2; ; i++) if (!this.findHost(`${name}-${i}`)) return `${name}-${i}`;
  }

  address(ip: string): AddressDraft {
    let a = this.addresses.get(ip);
    if (!a) {
      a = new AddressDraft(ip);
      this.addresses.set(ip, a);
    }
    return a;
  }

  image(name: string): ImageDraft {
    let i = this.images.get(name);
    if (!i) {
      i = { name, notes: [], header: [] };
      this.images.set(name, i);
    }
    return i;
  }
}
