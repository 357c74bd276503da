/**
 * A finished draft as a YAML document (the `yaml` package's Document API,
 * so that comments sit on the keys they explain): the input's own comments
 * beside what they described, and every statement that did not map as a
 * comment block where it was written, with file:line and the reason.
 */
import {
  Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  Scalar,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import { formatIpv4 } from "../config/net-address.js";
import type { ConfigDraft, LayerDraft, Note } from "./config-draft.js";
import type { FinalizedServer } from "./finalize-draft.js";

type Path = readonly (string | number)[];

interface Attach {
  readonly path: Path;
  readonly before?: readonly string[] | undefined;
  readonly inline?: readonly string[] | undefined;
}

const LAYER_ORDER = [
  "image",
  "boot_unknown",
  "loader",
  "kernel_args",
  "console",
  "menu",
  "settings",
  "files",
  "dhcp",
  "nbd",
];

export function renderDraft(
  draft: ConfigDraft,
  server: FinalizedServer | undefined,
  header: readonly string[],
): Document {
  const attach: Attach[] = [];
  const data: Record<string, unknown> = {};

  data.server = {
    address: server?.address ?? "0.0.0.0",
    ...(draft.interfaces.length ? { interfaces: draft.interfaces } : {}),
  };
  if (server)
    attach.push({ path: ["server", "address"], inline: server.why.slice(0, 1), before: server.why.slice(1) });
  else
    attach.push({
      path: ["server", "address"],
      before: ["FIXME: no input named this server's address; set the address clients reach bootfleet at"],
    });

  const services: Record<string, unknown> = {};
  for (const svc of ["dhcp", "tftp"] as const) {
    const values = draft.services[svc];
    if (Object.keys(values).length === 0) continue;
    services[svc] = { ...values };
    for (const key of Object.keys(values)) {
      const c = draft.serviceComments.get(`${svc}.${key}`);
      if (c) attach.push({ path: ["services", svc, key], before: c.before, inline: c.inline });
    }
  }
  if (Object.keys(services).length) data.services = services;

  if (draft.images.size) {
    const images: Record<string, unknown> = {};
    for (const img of draft.images.values()) {
      const spec: Record<string, unknown> = {};
      if (img.description !== undefined) spec.description = img.description;
      if (img.kernel_args !== undefined) spec.kernel_args = img.kernel_args;
      if (img.root !== undefined) spec.root = img.root;
      images[img.name] = spec;
      attach.push({ path: ["images", img.name], before: [...img.header, ...img.notes.flatMap(noteLines)] });
    }
    data.images = images;
  }

  if (draft.networks.length) {
    data.networks = draft.networks.map((net, i) => {
      const out: Record<string, unknown> = { subnet: net.subnet };
      if (net.pools.length) out.pool = net.pools.map((p) => `${formatIpv4(p.first)}-${formatIpv4(p.last)}`);
      net.pools.forEach((p, j) => {
        if (p.comments.length) attach.push({ path: ["networks", i, "pool", j], before: p.comments });
      });
      Object.assign(out, orderLayer(net.values));
      attach.push({ path: ["networks", i], before: [...net.header, ...net.notes.flatMap(noteLines)] });
      layerComments(net, ["networks", i], attach);
      return out;
    });
  }

  if (!draft.defaults.empty || draft.defaults.notes.length) {
    data.defaults = orderLayer(draft.defaults.values);
    attach.push({
      path: ["defaults"],
      before: [...draft.defaults.header, ...draft.defaults.notes.flatMap(noteLines)],
    });
    layerComments(draft.defaults, ["defaults"], attach);
  }

  if (draft.groups.size) {
    const groups: Record<string, unknown> = {};
    for (const g of draft.groups.values()) {
      const match: Record<string, unknown> = {};
      if (g.match.hostname.length) match.hostname = g.match.hostname;
      if (g.match.mac.length) match.mac = g.match.mac;
      if (g.match.ip.length) match.ip = g.match.ip;
      if (g.match.hosts.length) match.hosts = g.match.hosts;
      if (g.match.arch.length) match.arch = g.match.arch;
      groups[g.name] = { ...(Object.keys(match).length ? { match } : {}), ...orderLayer(g.values) };
      attach.push({ path: ["groups", g.name], before: [...g.header, ...g.notes.flatMap(noteLines)] });
      layerComments(g, ["groups", g.name], attach);
    }
    data.groups = groups;
  }

  if (draft.hosts.size) {
    const hosts: Record<string, unknown> = {};
    for (const h of draft.hosts.values()) {
      const out: Record<string, unknown> = {};
      if (h.mac) out.mac = h.mac;
      if (h.ip) out.ip = h.ip;
      hosts[h.name] = { ...out, ...orderLayer(h.values) };
      attach.push({ path: ["hosts", h.name], before: [...h.header, ...h.notes.flatMap(noteLines)] });
      if (h.mac && h.macComments.length)
        attach.push({ path: ["hosts", h.name, "mac"], inline: h.macComments });
      if (h.ip && h.ipComments.length) attach.push({ path: ["hosts", h.name, "ip"], inline: h.ipComments });
      layerComments(h, ["hosts", h.name], attach);
    }
    data.hosts = hosts;
  }

  if (draft.addresses.size) {
    const addresses: Record<string, unknown> = {};
    for (const a of draft.addresses.values()) {
      addresses[a.ip] = orderLayer(a.values);
      attach.push({ path: ["addresses", a.ip], before: [...a.header, ...a.notes.flatMap(noteLines)] });
      layerComments(a, ["addresses", a.ip], attach);
    }
    data.addresses = addresses;
  }

  const doc = new Document(data);
  // Global notes in the order they were written: file by file, line by line.
  const fileIndex = (n: Note) => (n.at ? draft.sources.indexOf(n.at.file) : -1);
  const notes = draft.notes
    .map((n, i) => ({ n, i }))
    .sort((a, b) => {
      if (!a.n.at || !b.n.at || fileIndex(a.n) !== fileIndex(b.n)) return a.i - b.i;
      return a.n.at.line - b.n.at.line || a.i - b.i;
    })
    .map((x) => x.n);
  doc.commentBefore = commentText([...header, ...notes.flatMap((n) => ["", ...noteLines(n)])]);
  styleNodes(doc);
  const nodes = new NodeIndex(doc);
  for (const a of attach) applyComments(nodes, a);
  return doc;
}

/** Layer keys in a fixed order, empty sub-maps left out. */
function orderLayer(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of LAYER_ORDER) if (values[k] !== undefined) out[k] = values[k];
  for (const [k, v] of Object.entries(values)) if (!(k in out)) out[k] = v;
  return out;
}

function layerComments(layer: LayerDraft, prefix: Path, attach: Attach[]): void {
  for (const [key, c] of layer.comments) {
    const path = key.split("\u0000");
    if (layer.get(path) === undefined) continue;
    attach.push({ path: [...prefix, ...path], before: c.before, inline: c.inline });
  }
}

/** A note as comment lines: where, why, then the original text marked with '|'. */
export function noteLines(n: Note): string[] {
  const where = n.at ? `${n.at.file}:${n.at.line}: ` : "";
  const lines = n.why.split("\n").map((l, i) => (i === 0 ? `${where}${l}` : `  ${l}`));
  if (n.source !== undefined) for (const l of n.source.split("\n")) lines.push(`  | ${l.trimEnd()}`);
  return lines;
}

/** The yaml package writes '#' before each line; this adds the space after it (blank lines stay blank). */
function commentText(lines: readonly string[]): string {
  return lines.map((l) => (l === "" ? "" : l.startsWith(" ") ? l : ` ${l.replace(/\r/g, "")}`)).join("\n");
}

function styleNodes(doc: Document): void {
  const visit = (node: unknown, key: string | undefined) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : undefined;
        // MACs quoted, as DESIGN.md writes them: "52:54:00:12:34:56" is a number to YAML 1.1 readers.
        if (k === "mac" && isScalar(pair.value)) pair.value.type = Scalar.QUOTE_DOUBLE;
        visit(pair.value, k);
      }
    } else if (isSeq(node)) {
      const short = node.items.every((i) => isScalar(i)) && node.items.length <= 8;
      if (short && key !== "pool") node.flow = true;
      for (const i of node.items) visit(i, key);
    }
  };
  visit(doc.contents, undefined);
}

/**
 * The document's nodes by path. Every host, group and value gets its
 * comments by path; YAMLMap.get looks a key up by walking the map's pairs,
 * which for 25,000 hosts is 25,000 walks of 25,000 pairs, so each map's
 * pairs are indexed by key once, when a path first goes through it.
 */
class NodeIndex {
  readonly #doc: Document;
  readonly #pairs = new Map<YAMLMap, Map<string, Pair>>();

  constructor(doc: Document) {
    this.#doc = doc;
  }

  /** The node at `path` (the document's contents for []). */
  node(path: Path): unknown {
    let node: unknown = this.#doc.contents;
    for (const key of path) {
      if (isMap(node)) node = this.pair(node, key)?.value;
      else if (isSeq(node) && typeof key === "number") node = node.items[key];
      else return undefined;
    }
    return node;
  }

  /** The pair of `map` whose key reads as `key`. */
  pair(map: YAMLMap, key: string | number): Pair | undefined {
    let pairs = this.#pairs.get(map);
    if (!pairs) {
      pairs = new Map();
      for (const p of map.items) {
        const k = isScalar(p.key) ? String(p.key.value) : undefined;
        if (k !== undefined && !pairs.has(k)) pairs.set(k, p as Pair);
      }
      this.#pairs.set(map, pairs);
    }
    return pairs.get(String(key));
  }
}

function applyComments(nodes: NodeIndex, a: Attach): void {
  const before = (a.before ?? []).flatMap((l) => l.split("\n"));
  const inline = (a.inline ?? []).map((l) => l.replace(/\s+/g, " ").trim()).filter((l) => l !== "");
  if (before.length === 0 && inline.length === 0) return;
  const parentPath = a.path.slice(0, -1);
  const last = a.path[a.path.length - 1]!;
  const parent = nodes.node(parentPath);
  if (isSeq(parent) && typeof last === "number") {
    // A list item: comments go before it ("- ..."), or, in a flow list, before the list's key.
    const seq = parent as YAMLSeq;
    const item = seq.items[last] as Node | undefined;
    if (!item) return;
    if (seq.flow || isScalar(item)) {
      if (isScalar(item) && !seq.flow) {
        item.commentBefore = joinComment(item.commentBefore, commentText(before));
        if (inline.length) item.comment = joinComment(item.comment, ` ${inline.join(" / ")}`);
      } else applyComments(nodes, { path: parentPath, before: [...before, ...inline] });
      return;
    }
    item.commentBefore = joinComment(item.commentBefore, commentText([...before, ...inline]));
    return;
  }
  if (!isMap(parent)) return;
  const pair = nodes.pair(parent as YAMLMap, last) as Pair<Scalar, Node> | undefined;
  if (!pair) return;
  if (!isScalar(pair.key)) pair.key = new Scalar(pair.key);
  const key = pair.key as Scalar;
  const node = pair.value;
  if (node && isScalar(node)) {
    if (before.length) key.commentBefore = joinComment(key.commentBefore, commentText(before));
    if (inline.length) node.comment = joinComment(node.comment, ` ${inline.join(" / ")}`);
  } else {
    key.commentBefore = joinComment(key.commentBefore, commentText([...before, ...inline]));
  }
}

function joinComment(a: string | null | undefined, b: string): string {
  return a ? `${a}\n${b}` : b;
}
