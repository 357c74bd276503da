/**
 * Layer resolution: the effective config of one machine. Layers apply in a
 * fixed order, later wins, and every value keeps the layer it came from:
 *
 *   builtin -> defaults (+ layers/base) -> network (by subnet)
 *     -> groups, in declared order -> host -> address -> api
 *
 * where "api" is what an administrator set for the machine through the API
 * (today its image; see machine-overrides.ts): the newest decision wins over
 * the file, and `bootfleet explain` names who set it and when.
 *
 * which is the diskless scripts' base < network < lab < host < IP (see
 * layer-tree.ts). `settings`, `files` and `dhcp.options` merge key by key;
 * `kernel_args` accumulate. A layer never changes the ones before it, so
 * what one machine resolves cannot leak into another's.
 *
 * Settings and files come out marked `secret`: a `secret:` a layer wrote
 * holds for the later layers too, until one writes another; where none was
 * written, a value is secret when it or one it replaced is secret by default
 * (secret-defaults.ts: by name, by mode). So a host cannot publish a
 * password its group hid by only writing a new value.
 */
import type {
  FleetConfig,
  Group,
  Host,
  LayerKind,
  LayerSpec,
  LoaderName,
  MachineFacts,
  Network,
  Origin,
  ResolvedMachine,
  Resolver,
  RootMode,
  SourceLocation,
  Valued,
} from "./model.js";
import { type MachineOverrideSource, overrideOriginName } from "./machine-overrides.js";
import { cidrContains, compileGlob, normalizeMac, parseIpv4 } from "./net-address.js";
import { secretByMode, secretByName } from "./secret-defaults.js";

interface AppliedLayer {
  readonly spec: LayerSpec;
  readonly origin: Origin;
}

/** What the layers decide, apart from who the machine is. */
type Layered = Omit<
  ResolvedMachine,
  "facts" | "mac" | "hostname" | "ip" | "host" | "network" | "groups" | "known"
>;

const BUILTIN: Origin = { layer: "builtin", name: "built-in default" };

/** Distinct layer stacks kept merged at most (hosts with their own layer each count one). */
const MERGED_CACHE = 4096;

export class FleetResolver implements Resolver {
  readonly #config: FleetConfig;
  readonly #hostByMac = new Map<string, Host>();
  readonly #hostByName = new Map<string, Host>();
  readonly #hostByIp = new Map<string, Host>();
  readonly #globs = new Map<string, RegExp>();
  readonly #overrides: MachineOverrideSource | undefined;
  /** Layer stack (kinds and names) -> its merge; see #layered. */
  readonly #merged = new Map<string, Layered>();

  constructor(config: FleetConfig, overrides?: MachineOverrideSource) {
    this.#config = config;
    this.#overrides = overrides;
    for (const h of config.hosts) {
      if (h.mac) this.#hostByMac.set(h.mac, h);
      this.#hostByName.set(h.name.toLowerCase(), h);
      if (h.ip) this.#hostByIp.set(h.ip, h);
    }
  }

  get config(): FleetConfig {
    return this.#config;
  }

  findHost(query: string): Host | undefined {
    const mac = normalizeMac(query);
    if (mac) return this.#hostByMac.get(mac);
    if (parseIpv4(query) !== null) return this.#hostByIp.get(query);
    const q = query.toLowerCase();
    return this.#hostByName.get(q) ?? this.#hostByName.get(q.split(".")[0]!);
  }

  /** The network an address (or, for relayed packets, the relay's address) belongs to. */
  networkFor(ip: string | undefined): Network | undefined {
    const n = ip === undefined ? null : parseIpv4(ip);
    if (n === null) return undefined;
    return this.#config.networks.find((net) => cidrContains(net.subnet, n));
  }

  resolve(facts: MachineFacts): ResolvedMachine {
    const mac = normalizeMac(facts.mac) ?? facts.mac.toLowerCase();
    const host =
      this.#hostByMac.get(mac) ??
      (facts.hostname ? this.#hostByName.get(facts.hostname.toLowerCase().split(".")[0]!) : undefined);
    // Hosts are named without their domain: lab3-12.example.edu is lab3-12.
    const hostname = host?.name ?? facts.hostname?.split(".")[0];
    const ip = host?.ip ?? facts.ip;
    const network =
      this.networkFor(ip) ??
      this.networkFor(facts.relay) ??
      (this.#config.networks.length === 1 ? this.#config.networks[0] : undefined);
    const groups = this.#config.groups.filter((g) =>
      this.#matches(g, { mac, hostname, ip, host, arch: facts.arch }),
    );
    const address = ip ? this.#config.addresses.find((a) => a.ip === ip) : undefined;

    const layers: AppliedLayer[] = [
      { spec: this.#config.defaults, origin: origin("defaults", "defaults", this.#config.defaults.at) },
    ];
    if (network) layers.push({ spec: network, origin: origin("network", network.subnet.text, network.at) });
    for (const g of groups) layers.push({ spec: g, origin: origin("group", g.name, g.at) });
    if (host) layers.push({ spec: host, origin: origin("host", host.name, host.at) });
    if (address) layers.push({ spec: address, origin: origin("address", address.ip, address.at) });
    const override = this.#overrides?.get(mac);
    if (override)
      layers.push({
        spec: { image: override.image },
        origin: origin("api", overrideOriginName(override), undefined),
      });
    const l = this.#layered(layers, override === undefined);
    // Spelled out rather than spread: one object shape for every machine.
    return freeze({
      facts,
      mac,
      hostname,
      ip,
      host,
      network,
      groups: groups.map((g) => g.name),
      known: host !== undefined,
      image: l.image,
      boot_unknown: l.boot_unknown,
      loader: l.loader,
      kernel_args: l.kernel_args,
      console: l.console,
      menu: l.menu,
      settings: l.settings,
      files: l.files,
      dhcp: l.dhcp,
      nbd: l.nbd,
      root: l.root,
      servers: l.servers,
    });
  }

  /**
   * The merge of `layers`, memoised when no API override is among them: the
   * layers are then objects of this frozen config, named by their kind and
   * name, and a pool of machines that matches no host (a DHCP flood from
   * thousands of MACs, a lab of unlisted PCs) shares one merge per network
   * and group set instead of one per packet.
   */
  #layered(layers: readonly AppliedLayer[], memoise: boolean): Layered {
    if (!memoise) return this.#merge(layers);
    let key = "";
    for (const { origin } of layers) key += `${origin.layer}\u0000${origin.name}\u0000`;
    let merged = this.#merged.get(key);
    if (merged === undefined) {
      merged = freeze(this.#merge(layers));
      if (this.#merged.size >= MERGED_CACHE) this.#merged.clear();
      this.#merged.set(key, merged);
    }
    return merged;
  }

  #matches(
    g: Group,
    m: {
      mac: string;
      hostname: string | undefined;
      ip: string | undefined;
      host: Host | undefined;
      arch: number | undefined;
    },
  ): boolean {
    if (g.match.arch) {
      // An architecture narrows the group: a request without option 93 or
      // with another one is not in it, whatever else the group names.
      if (m.arch === undefined || !g.match.arch.includes(m.arch)) return false;
      const { hostname, mac, ip, hosts } = g.match;
      if (!hostname && !mac && !ip && !hosts && !m.host?.groups?.includes(g.name)) return true;
    }
    if (m.host?.groups?.includes(g.name)) return true;
    if (m.host && g.match.hosts?.includes(m.host.name)) return true;
    if (m.hostname && g.match.hostname?.some((p) => this.#glob(p).test(m.hostname!))) return true;
    if (m.mac && g.match.mac?.some((p) => this.#glob(p).test(m.mac))) return true;
    const n = m.ip ? parseIpv4(m.ip) : null;
    if (n !== null && g.match.ip?.some((c) => cidrContains(c, n))) return true;
    return false;
  }

  #glob(pattern: string): RegExp {
    let re = this.#globs.get(pattern);
    if (!re) {
      const compiled = compileGlob(pattern, true);
      // The loader refused bad patterns; a pattern that fails here matches nothing.
      re = typeof compiled === "string" ? /$^/ : compiled;
      this.#globs.set(pattern, re);
    }
    return re;
  }

  #merge(layers: readonly AppliedLayer[]): Layered {
    let image: Valued<string> | undefined;
    let bootUnknown: Valued<boolean> = { value: true, origin: BUILTIN };
    let loader: Valued<LoaderName> = { value: "ipxe", origin: BUILTIN };
    let consoleArg: Valued<string> | undefined;
    let servers: Valued<readonly string[]> | undefined;
    let menu: ResolvedMachine["menu"];
    let cow: Valued<boolean> = { value: false, origin: BUILTIN };
    let cowKeep: Valued<boolean> = { value: false, origin: BUILTIN };
    let root: Valued<RootMode> = { value: "nbd", origin: BUILTIN };
    const kernelArgs: Valued<string>[] = [];
    const settings: Record<string, Valued<string>> = {};
    // Per "settings.KEY" and "files.PATH": the last `secret:` a layer wrote, and what is secret so far.
    const marks = new Map<string, boolean>();
    const secretSoFar = new Set<string>();
    const secretOf = (key: string, written: boolean | undefined, byDefault: boolean): boolean => {
      if (written !== undefined) marks.set(key, written);
      const secret = marks.get(key) ?? (secretSoFar.has(key) || byDefault);
      if (secret) secretSoFar.add(key);
      return secret;
    };
    const files: Record<string, Valued<import("./model.js").LayerFile>> = {};
    const dhcp: Record<string, Valued<unknown>> = {};
    const dhcpOptions: Record<string, string> = {};
    let dhcpOptionsOrigin: Origin | undefined;

    for (const { spec, origin: layerOrigin } of layers) {
      // The exact key's location when the loader recorded it, else the layer's.
      const k = (key: string): Origin => {
        const at = spec.at_keys?.[key];
        return at ? { ...layerOrigin, at } : layerOrigin;
      };
      const o = layerOrigin;
      if (spec.image !== undefined) image = { value: spec.image, origin: k("image") };
      if (spec.boot_unknown !== undefined)
        bootUnknown = { value: spec.boot_unknown, origin: k("boot_unknown") };
      if (spec.loader !== undefined) loader = { value: spec.loader, origin: k("loader") };
      if (spec.console !== undefined) consoleArg = { value: spec.console, origin: k("console") };
      if (spec.servers !== undefined) servers = { value: spec.servers, origin: k("servers") };
      if (spec.menu !== undefined) menu = { value: spec.menu, origin: k("menu") };
      if (spec.kernel_args !== undefined)
        kernelArgs.push({ value: spec.kernel_args, origin: k("kernel_args") });
      if (spec.nbd?.cow !== undefined) cow = { value: spec.nbd.cow, origin: k("nbd.cow") };
      if (spec.nbd?.cow_keep !== undefined) cowKeep = { value: spec.nbd.cow_keep, origin: k("nbd.cow_keep") };
      if (spec.root !== undefined) root = { value: spec.root, origin: k("root") };
      for (const [key, v] of Object.entries(spec.settings ?? {})) {
        const secret = secretOf(`settings.${key}`, spec.secret_settings?.[key], secretByName(key));
        settings[key] = { value: v, origin: k(`settings.${key}`), ...(secret ? { secret } : {}) };
      }
      for (const [path, f] of Object.entries(spec.files ?? {})) {
        // A file from a layers/ folder names the file it came from.
        const fo =
          f.sourcePath && !spec.at_keys?.[`files.${path}`]
            ? { ...o, at: { file: f.sourcePath, line: 1, column: 1 } }
            : k(`files.${path}`);
        const secret = secretOf(`files.${path}`, f.secret, secretByMode(f.mode));
        files[path] = { value: f, origin: fo, ...(secret ? { secret } : {}) };
      }
      for (const [key, v] of Object.entries(spec.dhcp ?? {})) {
        if (key === "options") {
          Object.assign(dhcpOptions, v);
          dhcpOptionsOrigin = k("dhcp.options");
        } else if (v !== undefined) dhcp[key] = { value: v, origin: k(`dhcp.${key}`) };
      }
    }
    if (dhcpOptionsOrigin) dhcp.options = { value: dhcpOptions, origin: dhcpOptionsOrigin };
    const imageSpec = image ? this.#config.images[image.value] : undefined;
    if (imageSpec?.nbd?.cow !== undefined && cow.origin.layer === "builtin")
      cow = { value: imageSpec.nbd.cow, origin: origin("defaults", `image ${imageSpec.name}`, imageSpec.at) };
    // An image small enough for RAM (a kiosk's) can say so once, for every machine booting it.
    if (imageSpec?.root !== undefined && root.origin.layer === "builtin")
      root = { value: imageSpec.root, origin: origin("defaults", `image ${imageSpec.name}`, imageSpec.at) };

    return {
      image,
      boot_unknown: bootUnknown,
      loader,
      kernel_args: kernelArgs,
      console: consoleArg,
      menu,
      settings,
      files,
      dhcp: dhcp as ResolvedMachine["dhcp"],
      nbd: { cow, cow_keep: cowKeep },
      root,
      servers,
    };
  }
}

function origin(layer: LayerKind, name: string, at: SourceLocation | undefined): Origin {
  return { layer, name, at };
}

function freeze<T>(o: T): T {
  return Object.freeze(o);
}
