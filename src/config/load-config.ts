/**
 * Loads bootfleet.yaml: YAML syntax -> schema (types, defaults) -> semantic
 * checks -> a frozen FleetConfig. Every problem found is reported at once,
 * each with file:line:column, the key path and a hint (fastify's "validate
 * once at start, then freeze").
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { type ConfigProblem, ConfigError, didYouMean } from "./config-error.js";
import {
  configSchema,
  DEFAULT_IMAGES_KEEP,
  knownKeys,
  type RawConfig,
  type RawLayer,
} from "./config-schema.js";
import { broadcastKey, readLayerTree } from "./layer-tree.js";
import type {
  AddressLayer,
  AddressRange,
  Cidr,
  FleetConfig,
  Group,
  GroupMatch,
  Host,
  ImageSpec,
  LayerFile,
  LayerSpec,
  Network,
  SourceLocation,
} from "./model.js";
import {
  cidrContains,
  compileGlob,
  describeBadMac,
  formatIpv4,
  normalizeMac,
  parseCidr,
  parseIpv4,
  parseRange,
} from "./net-address.js";
import { type KeyPath, pathText, SourceMap } from "./source-map.js";

export interface LoadOptions {
  /** Image names that exist in the image store (besides those declared in `images:`). */
  readonly existingImages?: readonly string[] | undefined;
  /** Skip the check that referenced images exist (for `import` previews). */
  readonly skipImageCheck?: boolean | undefined;
}

export async function loadConfig(file: string, options: LoadOptions = {}): Promise<FleetConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError([
      {
        at: { file, line: 1, column: 1 },
        path: "",
        message: err.code === "ENOENT" ? "config file not found" : `cannot read config file: ${err.message}`,
        hint:
          err.code === "ENOENT"
            ? "pass the file with -c FILE, or start from examples/bootfleet.yaml"
            : "check the file's permissions",
      },
    ]);
  }
  // Errors name the file as the user wrote it, like a compiler does.
  return loadConfigFromString(text, file, options);
}

export function loadConfigFromString(text: string, file: string, options: LoadOptions = {}): FleetConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const map = new SourceMap(file, doc, lines);
  const problems: ConfigProblem[] = [];
  for (const e of doc.errors) {
    problems.push({
      at: map.at(e.pos[0]),
      path: "",
      message: `YAML syntax: ${e.message.split("\n")[0]}`,
      hint:
        e.code === "DUPLICATE_KEY"
          ? "each key may appear once in a mapping"
          : "check indentation and quoting",
    });
  }
  if (problems.length) throw new ConfigError(problems);

  const parsed = configSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...schemaProblem(issue, map));
    throw new ConfigError(problems);
  }
  const config = build(parsed.data, map, dirname(resolve(file)), options, problems);
  if (problems.length) throw new ConfigError(problems.sort(byPosition));
  return deepFreeze(config);
}

function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  return a.at.line - b.at.line || a.at.column - b.at.column;
}

function schemaProblem(issue: z.core.$ZodIssue, map: SourceMap): ConfigProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const guess = didYouMean(key, knownKeys);
      return {
        at: map.locate([...path, key], true),
        path: pathText([...path, key]),
        message: `unknown key '${key}'`,
        hint: guess ? `did you mean '${guess}'?` : "remove it, or see the config reference in README.md",
      };
    });
  }
  let message = issue.message;
  let hint: string | undefined;
  if (issue.code === "invalid_type") {
    message = `expected ${issue.expected}`;
    if (issue.expected === "number") hint = "write a plain number without quotes";
    if (issue.expected === "boolean") hint = "write true or false";
  } else if (issue.code === "invalid_value" && "values" in issue) {
    message = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  } else if (issue.code === "invalid_union") {
    message = "has the wrong shape";
    hint = describeUnion(path);
  } else if (issue.code === "too_small" || issue.code === "too_big") {
    message = issue.message.replace(/^Too (small|big): expected (\w+) to have /, "must have ");
  }
  return [{ at: map.locate(path), path: pathText(path), message, hint }];
}

function describeUnion(path: KeyPath): string | undefined {
  const top = path[0];
  if (top === "groups" || top === "hosts" || top === "addresses")
    return "each entry is a mapping of keys (image, settings, files, ...)";
  if (path.includes("files")) return "a file is a string (its content) or { content | source, mode }";
  if (top === "images")
    return "an image is a mapping (version, kernel_args, description, nbd) or empty; `keep` is a number";
  return "a single value or a list of values";
}

interface Ctx {
  readonly map: SourceMap;
  readonly dir: string;
  readonly problems: ConfigProblem[];
}

function report(ctx: Ctx, path: KeyPath, message: string, hint?: string, key = false): void {
  ctx.problems.push({ at: ctx.map.locate(path, key), path: pathText(path), message, hint });
}

function build(
  raw: RawConfig,
  map: SourceMap,
  dir: string,
  options: LoadOptions,
  problems: ConfigProblem[],
): FleetConfig {
  const ctx: Ctx = { map, dir, problems };

  const serverAddress = raw.server.address;
  if (parseIpv4(serverAddress) === null)
    report(
      ctx,
      ["server", "address"],
      `'${serverAddress}' is not an IPv4 address`,
      "the address clients reach, e.g. 198.18.0.1",
    );
  const dataDir = resolve(dir, raw.server.data_dir);

  // Images: declared ones, plus whatever the image store already holds.
  let keep = DEFAULT_IMAGES_KEEP;
  const images: Record<string, ImageSpec> = {};
  for (const [name, spec] of Object.entries(raw.images)) {
    if (name === "keep") {
      if (typeof spec !== "number" || spec < 1)
        report(
          ctx,
          ["images", "keep"],
          "must be a whole number of at least 1",
          "how many versions of each image to keep",
        );
      else keep = spec;
      continue;
    }
    if (typeof spec === "number") {
      report(ctx, ["images", name], "an image is a mapping, not a number", "only `images.keep` is a number");
      continue;
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
      report(
        ctx,
        ["images", name],
        `'${name}' is not a valid image name`,
        "use letters, digits, '.', '_' and '-'",
        true,
      );
    images[name] = { name, ...compact(spec ?? {}), at: map.locate(["images", name], true) } as ImageSpec;
  }
  const knownImages = new Set([...Object.keys(images), ...(options.existingImages ?? [])]);
  if (!options.skipImageCheck && existsSync(`${dataDir}/images`)) {
    try {
      for (const e of imageFolders(`${dataDir}/images`)) knownImages.add(e);
    } catch {}
  }
  const checkImage = (path: KeyPath, name: string | undefined) => {
    if (name === undefined || options.skipImageCheck) return;
    if (!knownImages.has(name)) {
      const guess = didYouMean(name, [...knownImages]);
      report(
        ctx,
        path,
        `image '${name}' does not exist`,
        guess
          ? `did you mean '${guess}'?`
          : `declare it under images:, or build it with 'bootfleet image build ${name} --from DIR'`,
      );
    }
  };

  const layer = (rawLayer: RawLayer | Partial<RawLayer>, path: KeyPath): LayerSpec => {
    checkImage([...path, "image"], rawLayer.image);
    for (const name of rawLayer.menu?.images ?? []) checkImage([...path, "menu", "images"], name);
    const files: Record<string, LayerFile> = {};
    for (const [target, entry] of Object.entries(rawLayer.files ?? {})) {
      const fp = [...path, "files", target];
      if (!target.startsWith("/") || target.split("/").includes("..")) {
        report(
          ctx,
          fp,
          `'${target}' must be an absolute path inside the client's root`,
          "e.g. /etc/motd",
          true,
        );
        continue;
      }
      const file = layerFile(ctx, fp, entry);
      if (file) files[target] = file;
    }
    const dhcp = rawLayer.dhcp ? checkDhcp(ctx, [...path, "dhcp"], rawLayer.dhcp) : undefined;
    for (const key of Object.keys(rawLayer.settings ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key))
        report(
          ctx,
          [...path, "settings", key],
          `'${key}' is not a valid setting name`,
          "lts.conf style: letters, digits and _",
          true,
        );
    }
    const atKeys: Record<string, SourceLocation> = {};
    for (const k of [
      "image",
      "boot_unknown",
      "loader",
      "kernel_args",
      "console",
      "menu",
      "routers",
      "dns",
      "domain",
    ] as const)
      if ((rawLayer as Record<string, unknown>)[k] !== undefined)
        atKeys[["routers", "dns", "domain"].includes(k) ? `dhcp.${k}` : k] = map.locate([...path, k]);
    for (const k of Object.keys(rawLayer.settings ?? {}))
      atKeys[`settings.${k}`] = map.locate([...path, "settings", k]);
    for (const k of Object.keys(rawLayer.files ?? {}))
      atKeys[`files.${k}`] = map.locate([...path, "files", k], true);
    for (const k of Object.keys(rawLayer.dhcp ?? {})) atKeys[`dhcp.${k}`] = map.locate([...path, "dhcp", k]);
    for (const k of Object.keys(rawLayer.nbd ?? {})) atKeys[`nbd.${k}`] = map.locate([...path, "nbd", k]);
    return compact({
      at_keys: atKeys,
      image: rawLayer.image,
      boot_unknown: rawLayer.boot_unknown,
      loader: rawLayer.loader,
      kernel_args: rawLayer.kernel_args,
      console: rawLayer.console,
      menu: rawLayer.menu,
      settings: rawLayer.settings,
      files: Object.keys(files).length ? files : undefined,
      dhcp,
      nbd: rawLayer.nbd,
    }) as LayerSpec;
  };

  // Networks.
  const networks: Network[] = [];
  raw.networks.forEach((n, i) => {
    const path = ["networks", i];
    const subnet = parseCidr(n.subnet);
    if (!subnet) {
      report(
        ctx,
        [...path, "subnet"],
        `'${n.subnet}' is not a subnet`,
        "write it as address/prefix, e.g. 198.18.0.0/24",
      );
      return;
    }
    if (formatIpv4(subnet.network) !== n.subnet.split("/")[0])
      report(ctx, [...path, "subnet"], `'${n.subnet}' has host bits set`, `did you mean '${subnet.text}'?`);
    const pool: AddressRange[] = [];
    for (const [j, text] of (n.pool ?? []).entries()) {
      const pp = [...path, "pool", j];
      const r = parseRange(text);
      if (!r) {
        report(
          ctx,
          pp,
          `'${text}' is not an address range`,
          "write it as first-last, e.g. 198.18.0.100-198.18.0.199",
        );
        continue;
      }
      if (!cidrContains(subnet, r.first) || !cidrContains(subnet, r.last)) {
        report(
          ctx,
          pp,
          `range ${text} is not inside ${subnet.text}`,
          "a pool must lie inside its network's subnet",
        );
        continue;
      }
      pool.push(r);
    }
    const base = layer(n, path);
    const dhcp = { ...(base.dhcp ?? {}) } as Record<string, unknown>;
    if (n.routers) dhcp.routers = checkAddresses(ctx, [...path, "routers"], n.routers);
    if (n.dns) dhcp.dns = checkAddresses(ctx, [...path, "dns"], n.dns);
    if (n.domain) dhcp.domain = n.domain;
    networks.push(
      compact({
        ...base,
        dhcp: Object.keys(dhcp).length ? dhcp : undefined,
        subnet,
        pool: pool.length ? pool : undefined,
        interface: n.interface,
        max_leases: n.max_leases,
        at: map.locate(path),
      }) as Network,
    );
  });
  for (let i = 0; i < networks.length; i++)
    for (let j = 0; j < i; j++) {
      const a = networks[j]!.subnet;
      const b = networks[i]!.subnet;
      if (cidrContains(a, b.network) || cidrContains(b, a.network))
        report(
          ctx,
          ["networks", i, "subnet"],
          `${b.text} overlaps ${a.text} (networks[${j}])`,
          "each network must be its own subnet",
        );
    }
  const inSomeNetwork = (ip: number) =>
    networks.length === 0 || networks.some((n) => cidrContains(n.subnet, ip));

  // Groups.
  const tree = readLayerTree(raw.layers, dir, problems);
  const groups: Group[] = [];
  const groupNames = Object.keys(raw.groups);
  for (const [name, g] of Object.entries(raw.groups)) {
    const path = ["groups", name];
    const spec = g ?? {};
    const m = spec.match ?? {};
    const match: GroupMatch = compact({
      hostname: checkGlobs(ctx, [...path, "match", "hostname"], m.hostname, true),
      mac: checkGlobs(ctx, [...path, "match", "mac"], m.mac?.map(macGlob), true),
      ip: m.ip
        ?.map((text, j) => {
          const c = parseCidr(text.includes("/") ? text : `${text}/32`);
          if (!c)
            report(
              ctx,
              [...path, "match", "ip", j],
              `'${text}' is not an address or subnet`,
              "e.g. 198.18.0.0/25",
            );
          return c;
        })
        .filter((c): c is Cidr => c !== null),
      hosts: m.hosts,
    });
    groups.push({
      ...withTree(layer(spec, path), tree.groups.get(name)),
      name,
      match,
      at: map.locate(path, true),
    });
  }
  // A layers/groups/<name> (or seed 003's labs/<name>) folder with no group
  // declared for it is the seed-003 "lab" layer: hostnames `<name>-*`.
  for (const [name, files] of tree.groups) {
    if (groupNames.includes(name)) continue;
    groups.push({
      name,
      match: { hostname: [`${name}-*`] },
      files,
      at: treeAt(files, tree.root),
    });
  }

  // Hosts.
  const hosts: Host[] = [];
  const byMac = new Map<string, string>();
  const byIp = new Map<string, string>();
  for (const [name, h] of Object.entries(raw.hosts)) {
    const path = ["hosts", name];
    const spec = h ?? {};
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)*$/.test(name))
      report(ctx, path, `'${name}' is not a valid hostname`, "letters, digits and '-' (RFC 1123)", true);
    let mac: string | undefined;
    if (spec.mac !== undefined) {
      const norm = normalizeMac(spec.mac);
      if (!norm)
        report(ctx, [...path, "mac"], `'${spec.mac}' is not a MAC address`, describeBadMac(spec.mac));
      else if (byMac.has(norm))
        report(
          ctx,
          [...path, "mac"],
          `MAC ${norm} is already used by host '${byMac.get(norm)}'`,
          "two hosts cannot share one MAC",
        );
      else {
        byMac.set(norm, name);
        mac = norm;
      }
    }
    let ip: string | undefined;
    if (spec.ip !== undefined) {
      const n = parseIpv4(spec.ip);
      if (n === null) report(ctx, [...path, "ip"], `'${spec.ip}' is not an IPv4 address`);
      else if (!inSomeNetwork(n))
        report(
          ctx,
          [...path, "ip"],
          `${spec.ip} is outside every network`,
          `networks: ${networks.map((x) => x.subnet.text).join(", ")}`,
        );
      else if (byIp.has(spec.ip))
        report(ctx, [...path, "ip"], `${spec.ip} is already the address of host '${byIp.get(spec.ip)}'`);
      else {
        const pool = networks.flatMap((x) => x.pool ?? []).find((r) => n >= r.first && n <= r.last);
        if (pool)
          report(
            ctx,
            [...path, "ip"],
            `fixed address ${spec.ip} lies inside the pool ${pool.start}-${pool.end}`,
            "move it outside the pool, or shrink the pool, so it is never leased to another machine",
          );
        byIp.set(spec.ip, name);
        ip = spec.ip;
      }
    }
    for (const g of spec.groups ?? []) {
      if (!groups.some((x) => x.name === g)) {
        const guess = didYouMean(
          g,
          groups.map((x) => x.name),
        );
        report(
          ctx,
          [...path, "groups"],
          `group '${g}' does not exist`,
          guess ? `did you mean '${guess}'?` : "declare it under groups:",
        );
      }
    }
    const base = withTree(layer(spec, path), tree.hosts.get(name));
    hosts.push(compact({ ...base, name, mac, ip, groups: spec.groups, at: map.locate(path, true) }) as Host);
  }
  for (const g of groups)
    for (const member of g.match.hosts ?? [])
      if (!(member in raw.hosts)) {
        const guess = didYouMean(member, Object.keys(raw.hosts));
        report(
          ctx,
          ["groups", g.name, "match", "hosts"],
          `host '${member}' does not exist`,
          guess ? `did you mean '${guess}'?` : "declare it under hosts:",
        );
      }

  // Address layers (seed 003's IP layer).
  const addresses: AddressLayer[] = [];
  for (const [ip, a] of Object.entries(raw.addresses)) {
    const path = ["addresses", ip];
    const n = parseIpv4(ip);
    if (n === null) {
      report(ctx, path, `'${ip}' is not an IPv4 address`, undefined, true);
      continue;
    }
    if (!inSomeNetwork(n)) report(ctx, path, `${ip} is outside every network`, undefined, true);
    addresses.push({
      ...withTree(layer(a ?? {}, path), tree.addresses.get(ip)),
      ip,
      at: map.locate(path, true),
    });
  }
  for (const [ip, files] of tree.addresses)
    if (!(ip in raw.addresses)) addresses.push({ ip, files, at: treeAt(files, tree.root) });
  // Tree-only hosts and networks are attached to what exists; a tree folder
  // naming nothing is a mistake worth reporting.
  for (const [name, files] of tree.hosts)
    if (!(name in raw.hosts)) hosts.push({ name, files, at: treeAt(files, tree.root) });
  const treeFor = (n: Network) =>
    tree.networks.get(n.subnet.text) ?? tree.networks.get(broadcastKey(n.subnet.text) ?? "");
  const networksOut = networks.map((n) => withTree(n, treeFor(n)) as Network);
  for (const [cidr, files] of tree.networks)
    if (!networks.some((n) => n.subnet.text === cidr || broadcastKey(n.subnet.text) === cidr))
      problems.push({
        at: treeAt(files, tree.root),
        path: "layers",
        message: `layer folder for network ${cidr} matches no network in the config`,
        hint: "name network folders after a configured subnet, e.g. networks/198.18.0.0_24",
      });

  if (raw.store.driver === "postgres" && !raw.store.url)
    report(ctx, ["store"], "the postgres driver needs a url", "e.g. url: postgres://bootfleet@db/bootfleet");
  if (raw.services.dhcp.mode === "full" && networks.length > 0 && !networks.some((n) => n.pool))
    report(
      ctx,
      ["services", "dhcp", "mode"],
      "full DHCP mode needs a pool in at least one network",
      "add pool: FIRST-LAST to a network, or use mode: proxy beside an existing DHCP server",
    );

  const defaultsPath = ["defaults"];
  const defaults = {
    ...withTree(layer(raw.defaults, defaultsPath), tree.base),
    at: map.locate(defaultsPath, true),
  };

  return {
    file: resolve(map.file),
    server: { address: serverAddress, interfaces: raw.server.interfaces, data_dir: dataDir },
    services: {
      ...raw.services,
      tftp: { ...raw.services.tftp, root: resolve(dataDir, raw.services.tftp.root) },
      api: compact({ token: raw.services.api.token ?? process.env.BOOTFLEET_API_TOKEN }),
    },
    store: compact(raw.store) as FleetConfig["store"],
    images,
    images_keep: keep,
    networks: networksOut,
    defaults,
    groups,
    hosts,
    addresses,
    layers_dir: tree.root,
  };
}

function withTree<T extends LayerSpec>(spec: T, files: Readonly<Record<string, LayerFile>> | undefined): T {
  if (!files) return spec;
  // Files written in the YAML win over the same path in the layer's folder.
  return { ...spec, files: { ...files, ...(spec.files ?? {}) } };
}

function treeAt(files: Readonly<Record<string, LayerFile>>, root: string | undefined): SourceLocation {
  const first = Object.values(files)[0];
  return { file: first?.sourcePath ?? root ?? "layers", line: 1, column: 1 };
}

function layerFile(
  ctx: Ctx,
  path: KeyPath,
  entry:
    | string
    | { content?: string | undefined; source?: string | undefined; mode?: string | number | undefined },
): LayerFile | null {
  if (typeof entry === "string") return { content: Buffer.from(entry, "utf8"), mode: 0o644 };
  let mode = 0o644;
  if (entry.mode !== undefined) {
    const m = typeof entry.mode === "number" ? String(entry.mode) : entry.mode;
    if (!/^0?[0-7]{3,4}$/.test(m))
      report(
        ctx,
        [...path, "mode"],
        `'${entry.mode}' is not a file mode`,
        'write it in octal, e.g. "0644" or "0755"',
      );
    else mode = Number.parseInt(m, 8);
  }
  if ((entry.content === undefined) === (entry.source === undefined)) {
    report(ctx, path, "a file needs exactly one of content or source");
    return null;
  }
  if (entry.content !== undefined) return { content: Buffer.from(entry.content, "utf8"), mode };
  const src = isAbsolute(entry.source!) ? entry.source! : resolve(ctx.dir, entry.source!);
  try {
    return { content: readFileSync(src), mode, sourcePath: src };
  } catch (e) {
    report(
      ctx,
      [...path, "source"],
      `cannot read ${src}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      "paths are relative to the config file's folder",
    );
    return null;
  }
}

function checkAddresses(ctx: Ctx, path: KeyPath, list: readonly string[]): string[] {
  list.forEach((a, i) => {
    if (parseIpv4(a) === null)
      report(ctx, list.length > 1 ? [...path, i] : path, `'${a}' is not an IPv4 address`);
  });
  return [...list];
}

function checkDhcp(
  ctx: Ctx,
  path: KeyPath,
  d: NonNullable<RawLayer["dhcp"]>,
): NonNullable<LayerSpec["dhcp"]> {
  if (d.routers) checkAddresses(ctx, [...path, "routers"], d.routers);
  if (d.dns) checkAddresses(ctx, [...path, "dns"], d.dns);
  if (d.ntp) checkAddresses(ctx, [...path, "ntp"], d.ntp);
  if (d.next_server !== undefined && parseIpv4(d.next_server) === null)
    report(ctx, [...path, "next_server"], `'${d.next_server}' is not an IPv4 address`);
  for (const code of Object.keys(d.options ?? {})) {
    const n = Number(code);
    if (!/^\d+$/.test(code) || n < 1 || n > 254)
      report(
        ctx,
        [...path, "options", code],
        `'${code}' is not a DHCP option code`,
        "options are keyed by their number, 1-254, e.g. 128",
        true,
      );
  }
  return compact(d) as NonNullable<LayerSpec["dhcp"]>;
}

/** An OUI like `b8:27:eb` matches every MAC that starts with it. */
function macGlob(text: string): string {
  const t = text.trim().toLowerCase().replaceAll("-", ":");
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){2}$/.test(t) ? `${t}:*` : t;
}

function checkGlobs(
  ctx: Ctx,
  path: KeyPath,
  globs: readonly string[] | undefined,
  ci: boolean,
): string[] | undefined {
  if (!globs) return undefined;
  globs.forEach((g, i) => {
    const r = compileGlob(g, ci);
    if (typeof r === "string")
      report(
        ctx,
        globs.length > 1 ? [...path, i] : path,
        `'${g}' is not a valid pattern: ${r}`,
        "patterns use * ? and [a-z]",
      );
  });
  return [...globs];
}

function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o) && !Buffer.isBuffer(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function imageFolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name);
}
