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
import type { RootMode, SourceLocation } from "../config/model.js";
import { HostDirectory, type HostKey } from "./host-directory.js";
import { NameAllocator } from "./name-allocator.js";

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
      let next = ownValue(o, k);
      if (next === undefined || typeof next !== "object" || next === null || Array.isArray(next))
        setOwnValue(o, k, (next = {}));
      o = next as Record<string, unknown>;
    }
    setOwnValue(o, path[path.length - 1]!, value);
    if (comments) this.comment(path, comments);
  }

  get(path: readonly string[]): unknown {
    let o: unknown = this.values;
    for (const k of path) {
      if (o === undefined || o === null || typeof o !== "object") return undefined;
      o = ownValue(o as Record<string, unknown>, k);
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

  /** Takes the values of `from` that this layer does not set (deep), with their comments unless told not to. */
  fillFrom(from: LayerDraft, withComments = true): void {
    const walk = (o: Record<string, unknown>, path: string[]) => {
      for (const [k, v] of Object.entries(o)) {
        const p = [...path, k];
        if (v && typeof v === "object" && !Array.isArray(v)) walk(v as Record<string, unknown>, p);
        else if (this.get(p) === undefined) {
          const c = withComments ? from.comments.get(p.join("\u0000")) : undefined;
          this.set(p, v, c ? { before: c.before, inline: c.inline.join(" /") || undefined } : undefined);
        }
      }
    };
    walk(from.values, []);
  }
}

/**
 * Keys come from the inputs (an lts.conf setting may be called `constructor`
 * or `__proto__`): only a layer's own properties are read, and every key is
 * written as an own property, never through the prototype's setters.
 */
function ownValue(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function setOwnValue(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
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

export type MatchKind = "hosts" | "mac" | "ip" | "hostname";

/** A group's match lists, each value once (a group of 25,000 hosts adds each member in constant time). */
export class MatchDraft {
  readonly hosts: readonly string[] = [];
  readonly mac: readonly string[] = [];
  readonly ip: readonly string[] = [];
  readonly hostname: readonly string[] = [];
  readonly #seen: Readonly<Record<MatchKind, Set<string>>> = {
    hosts: new Set(),
    mac: new Set(),
    ip: new Set(),
    hostname: new Set(),
  };

  /** PXE client architectures (option 93) the group is narrowed to. */
  readonly arch: readonly number[] = [];

  addArch(code: number): void {
    if (!this.arch.includes(code)) (this.arch as number[]).push(code);
  }

  add(kind: MatchKind, value: string): void {
    if (this.#seen[kind].has(value)) return;
    this.#seen[kind].add(value);
    (this[kind] as string[]).push(value);
  }
}

export class GroupDraft extends LayerDraft {
  readonly name: string;
  readonly match = new MatchDraft();
  readonly at: SourceLocation | undefined;

  constructor(name: string, at: SourceLocation | undefined) {
    super();
    this.name = name;
    this.at = at;
  }
}

export class HostDraft extends LayerDraft {
  readonly name: string;
  readonly at: SourceLocation | undefined;
  readonly macComments: string[] = [];
  readonly ipComments: string[] = [];
  #mac: string | undefined;
  #ip: string | undefined;
  /** The draft's host directory once the host is added, told when the MAC or address changes. */
  #directory: HostDirectory | undefined;

  constructor(name: string, at: SourceLocation | undefined) {
    super();
    this.name = name;
    this.at = at;
  }

  get mac(): string | undefined {
    return this.#mac;
  }

  set mac(mac: string | undefined) {
    this.#setKey("mac", this.#mac, mac);
    this.#mac = mac;
  }

  get ip(): string | undefined {
    return this.#ip;
  }

  set ip(ip: string | undefined) {
    this.#setKey("ip", this.#ip, ip);
    this.#ip = ip;
  }

  /** Called by the directory the host is added to. */
  listenForKeys(directory: HostDirectory): void {
    this.#directory = directory;
  }

  #setKey(key: HostKey, from: string | undefined, to: string | undefined): void {
    if (from !== to) this.#directory?.keyChanged(this, key, from, to);
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
  /** Where the image's root lives when no layer says (the source booted it over NFS: `nfs`). */
  root?: RootMode | undefined;
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
  readonly #interfaces = new Set<string>();
  readonly services: {
    dhcp: Record<string, unknown>;
    tftp: Record<string, unknown>;
  } = { dhcp: {}, tftp: {} };
  readonly serviceComments = new Map<string, ValueComments>();
  readonly defaults = new LayerDraft();
  readonly networks: NetworkDraft[] = [];
  readonly #networkBySubnet = new Map<string, NetworkDraft>();
  readonly groups = new Map<string, GroupDraft>();
  readonly #groupNames = new NameAllocator((name) => this.groups.has(name));
  readonly #hosts = new HostDirectory();
  readonly addresses = new Map<string, AddressDraft>();
  readonly images = new Map<string, ImageDraft>();
  readonly #imageNames = new NameAllocator((name) => this.images.has(name));

  /** The interfaces to serve on, each once, in the order the inputs named them. */
  get interfaces(): readonly string[] {
    return [...this.#interfaces];
  }

  addInterface(name: string): void {
    this.#interfaces.add(name);
  }

  /** By name, in the order they were added. */
  get hosts(): ReadonlyMap<string, HostDraft> {
    return this.#hosts.all;
  }

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
    let n = this.#networkBySubnet.get(subnet);
    if (!n) {
      n = new NetworkDraft(subnet, at);
      this.networks.push(n);
      this.#networkBySubnet.set(subnet, n);
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

  /** A free group name: `name`, else `name-2`, `name-3`, ... */
  freeGroupName(name: string): string {
    return this.#groupNames.free(name);
  }

  /** Host names compare like DNS names: case-insensitively. */
  findHost(name: string): HostDraft | undefined {
    return this.#hosts.byName(name);
  }

  /** The first host declared with this MAC. */
  findHostByMac(mac: string): HostDraft | undefined {
    return this.#hosts.byKey("mac", mac);
  }

  /** The first host declared with this address. */
  findHostByIp(ip: string): HostDraft | undefined {
    return this.#hosts.byKey("ip", ip);
  }

  /** Adds a host whose name no other host has (findHost, freeHostName). */
  addHost(host: HostDraft): void {
    this.#hosts.add(host);
  }

  /** Adds a host known only by its MAC (host-directory.ts): the first host declared with that MAC replaces it. */
  addStandInHost(host: HostDraft): void {
    this.#hosts.addStandIn(host);
  }

  /** The stand-in host for this MAC, while no declared host has replaced it. */
  findStandInHost(mac: string): HostDraft | undefined {
    return this.#hosts.standIn(mac);
  }

  /** A free host name: `name`, else `name-2`, `name-3`, ... */
  freeHostName(name: string): string {
    return this.#hosts.freeName(name);
  }

  address(ip: string): AddressDraft {
    let a = this.addresses.get(ip);
    if (!a) {
      a = new AddressDraft(ip);
      this.addresses.set(ip, a);
    }
    return a;
  }

  /** A free image name: `name`, else `name-2`, `name-3`, ... */
  freeImageName(name: string): string {
    return this.#imageNames.free(name);
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
