/**
 * lts.conf / ltsp.conf sections into the draft, as `settings` on layers:
 *
 *   [Default], [clients], [common]      -> defaults.settings
 *   [server]                            -> comments (server-side settings)
 *   [hostname]                          -> a host
 *   [MAC] / [IP] with HOSTNAME=         -> a host with that mac / ip
 *   [MAC] without HOSTNAME              -> the host with that MAC, else a group matching it
 *   [IP] without HOSTNAME               -> the host with that address, else addresses: <ip>
 *   [glob] ([b8:27:eb:*], [pc*], ...)   -> a group matching it
 *   [a|b] ([b8:27:eb:*|dc:a6:32:*])     -> a group matching any of them (ltsp.conf
 *                                          sections are shell `case` patterns, where
 *                                          `|` separates alternatives)
 *   a section named by LIKE= / INCLUDE= -> a group whose members are the sections naming it
 *
 * LTSP applies a LIKE'd section first and the section's own settings over
 * it; groups come before hosts, addresses and later groups in bootfleet's
 * layer order, which is the same thing.
 */
import { compileGlob, normalizeMac, parseIpv4 } from "../../config/net-address.js";
import {
  ADDRESS_RANK,
  type ConfigDraft,
  type GroupDraft,
  HostDraft,
  type LayerDraft,
} from "../config-draft.js";
import { briefList } from "../brief-list.js";
import type { ImportProblem } from "../import-problem.js";
import { NESTING_LIMIT } from "../nesting-limit.js";
import { toHostname } from "../to-hostname.js";
import { applyLtsBootSetting } from "./lts-boot-settings.js";
import type { LtsEntry, LtsParseResult, LtsSection } from "./lts-conf-parser.js";

type Selector =
  | { readonly kind: "defaults" }
  | { readonly kind: "server" }
  | { readonly kind: "host"; readonly name: string }
  | { readonly kind: "mac"; readonly mac: string }
  | { readonly kind: "ip"; readonly ip: string }
  | { readonly kind: "mac-glob"; readonly glob: string }
  | { readonly kind: "ip-glob"; readonly glob: string }
  | { readonly kind: "hostname-glob"; readonly glob: string }
  | { readonly kind: "bad-glob"; readonly reason: string }
  | { readonly kind: "any"; readonly parts: readonly Selector[] };

const REFERENCE_KEYS = new Set(["LIKE", "INCLUDE"]);

export function importLtsConf(parsed: LtsParseResult, draft: ConfigDraft, problems: ImportProblem[]): void {
  const file = parsed.file;
  const byName = new Map<string, LtsSection>();
  for (const s of parsed.sections) if (s.name) byName.set(s.name.toLowerCase(), s);

  // Sections other sections include become groups; who includes whom.
  const includedBy = new Map<LtsSection, LtsSection[]>();
  const includes = new Map<LtsSection, LtsReference[]>();
  for (const s of parsed.sections) {
    for (const e of s.entries) {
      if (!REFERENCE_KEYS.has(e.key.toUpperCase())) continue;
      for (const ref of e.value.split(/[\s,]+/).filter(Boolean)) {
        const target = byName.get(ref.replace(/^\[|\]$/g, "").toLowerCase());
        if (!target) {
          problems.push({
            severity: "warning",
            at: e.valueAt,
            message: `${e.key} names section [${ref}], which ${file} does not have`,
            hint: "add the section, or remove the reference",
          });
          continue;
        }
        if (target === s) continue;
        listIn(includedBy, target).push(s);
        listIn(includes, s).push({ target, entry: e });
      }
    }
  }

  // Groups for included sections, dependencies first (a section's includes before it).
  const groupOf = new Map<LtsSection, GroupDraft>();
  const visiting = new Set<LtsSection>();
  const placeGroup = (root: LtsSection) => {
    if (groupOf.has(root) || visiting.has(root)) return;
    // Depth first with a stack of our own: a chain of LIKEs thousands long must not overflow the call stack.
    const stack: { readonly s: LtsSection; readonly deps: readonly LtsReference[]; next: number }[] = [];
    const enter = (s: LtsSection) => {
      visiting.add(s);
      stack.push({ s, deps: includes.get(s) ?? [], next: 0 });
    };
    enter(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const ref = top.deps[top.next++];
      if (ref === undefined) {
        stack.pop();
        groupOf.set(top.s, draft.group(draft.freeGroupName(top.s.name), top.s.at));
        continue;
      }
      if (!includedBy.has(ref.target) || groupOf.has(ref.target) || visiting.has(ref.target)) continue;
      if (stack.length >= NESTING_LIMIT) {
        problems.push({
          severity: "error",
          at: ref.entry.valueAt,
          message: `${ref.entry.key} chain deeper than ${NESTING_LIMIT} sections, from [${root.name}] to [${ref.target.name}]`,
          hint: `bootfleet follows LIKE and INCLUDE ${NESTING_LIMIT} sections deep; include the settings directly`,
        });
        continue;
      }
      enter(ref.target);
    }
  };
  for (const s of parsed.sections) if (includedBy.has(s)) placeGroup(s);

  for (const section of parsed.sections) {
    const selector = selectorOf(section, parsed.format);
    if (section.name === "" && section.entries.length > 0)
      problems.push({
        severity: "warning",
        at: section.entries[0]!.at,
        message: "settings before any [section]; read as [Default]",
        hint: "put [Default] (lts.conf) or [clients] (ltsp.conf) above them",
      });
    const hostnameEntry = section.entries.find((e) => e.key.toUpperCase() === "HOSTNAME");
    const layer = groupOf.get(section) ?? layerFor(section, selector, hostnameEntry, draft, problems);
    const header = [
      ...section.comments,
      section.name ? `${file}:${section.at.line}: [${section.name}]` : `${file}: settings before any section`,
    ];
    if (selector.kind === "server")
      // ltsp.conf(5): KERNEL_PARAMETERS and DEFAULT_IMAGE under [server] are every client's.
      for (const e of section.entries) applyLtsBootSetting(e, draft.defaults, draft, problems, file);
    if (selector.kind === "server" || (selector.kind === "bad-glob" && !groupOf.has(section))) {
      if (selector.kind === "bad-glob")
        problems.push({
          severity: "warning",
          at: section.at,
          message: `[${section.name}] is not a pattern bootfleet can match: ${selector.reason}`,
          hint: "patterns use * ? and [a-z]; LTSP reads it as a name no machine has",
        });
      draft.notes.push({
        at: section.at,
        source: [
          ...section.comments.map((c) => `#${c}`),
          `[${section.name}]`,
          ...section.entries.flatMap((e) => [...e.comments.map((c) => `#${c}`), e.raw]),
          ...section.closingComments.map((c) => `#${c}`),
        ].join("\n"),
        why:
          selector.kind === "server"
            ? "not mapped: [server] settings are for the LTSP server itself, which bootfleet replaces (KERNEL_PARAMETERS and DEFAULT_IMAGE here are every client's: under defaults)"
            : `not mapped: [${section.name}] matches no machine (${selector.reason})`,
      });
      continue;
    }
    layer.header.push(...header);
    if (selector.kind === "defaults" && /^common$/i.test(section.name))
      layer.header.push("[common] applied to the LTSP server too; here it is the clients' defaults");
    for (const e of section.entries) applyEntry(e, section, layer, draft, problems, file);
    if (section.closingComments.length)
      layer.notes.push({
        source: section.closingComments.map((c) => `#${c}`).join("\n"),
        why: `comments at the end of [${section.name || "Default"}], kept`,
      });
  }

  // Each included section's group matches the sections that include it, directly or through others.
  for (const [target, group] of groupOf) {
    const members = includersOf(target, includedBy);
    const own = selectorOf(target, parsed.format);
    if (own.kind !== "host") addToMatch(group, own, draft, target);
    for (const m of members) {
      const selector = selectorOf(m, parsed.format);
      // A member that is itself included is a group, not a host of that name; its includers are members too.
      if (selector.kind === "host" && groupOf.has(m)) continue;
      addToMatch(group, selector, draft, m);
    }
    group.header.push(`included (LIKE/INCLUDE) by: ${briefList([...members].map((m) => `[${m.name}]`))}`);
  }
}

/** A LIKE= or INCLUDE= naming another section. */
interface LtsReference {
  readonly target: LtsSection;
  readonly entry: LtsEntry;
}

function listIn<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (!list) {
    list = [];
    map.set(key, list);
  }
  return list;
}

/**
 * The sections that include `target`, directly or through others, in the
 * order a depth-first walk meets them, at most NESTING_LIMIT levels up
 * (deeper chains are refused when the groups are placed).
 */
function includersOf(
  target: LtsSection,
  includedBy: ReadonlyMap<LtsSection, readonly LtsSection[]>,
): Set<LtsSection> {
  const members = new Set<LtsSection>();
  const stack: { readonly list: readonly LtsSection[]; next: number }[] = [
    { list: includedBy.get(target) ?? [], next: 0 },
  ];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const m = top.list[top.next++];
    if (m === undefined) {
      stack.pop();
      continue;
    }
    if (members.has(m)) continue;
    members.add(m);
    if (stack.length < NESTING_LIMIT) stack.push({ list: includedBy.get(m) ?? [], next: 0 });
  }
  return members;
}

function applyEntry(
  e: LtsEntry,
  section: LtsSection,
  layer: LayerDraft,
  draft: ConfigDraft,
  problems: ImportProblem[],
  file: string,
): void {
  const key = e.key.toUpperCase();
  if (REFERENCE_KEYS.has(key)) {
    layer.notes.push({
      at: e.at,
      source: e.raw,
      why: `mapped: [${section.name}] is a member of the group(s) named here`,
    });
    return;
  }
  if (key === "HOSTNAME" && layer instanceof HostDraft) {
    if (e.comments.length) layer.header.push(...e.comments);
    return;
  }
  if (applyLtsBootSetting(e, layer, draft, problems, file)) return;
  if (key === "SERVER" && parseIpv4(e.value) !== null)
    draft.proposeServerAddress(e.value, ADDRESS_RANK.ltsServer, `SERVER in ${file}`, e.at);
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(e.key)) {
    problems.push({
      severity: "warning",
      at: e.at,
      message: `'${e.key}' cannot be a setting name`,
      hint: "letters, digits and _",
    });
    layer.notes.push({ at: e.at, source: e.raw, why: "not mapped: not a valid setting name" });
    return;
  }
  const previous = layer.get(["settings", e.key]);
  if (previous !== undefined)
    layer.notes.push({
      at: e.at,
      why: `${e.key} is set again here; the later value wins, as in LTSP (it was '${String(previous)}')`,
    });
  layer.set(["settings", e.key], e.value, { before: e.comments });
}

function selectorOf(section: LtsSection, format: "lts" | "ltsp"): Selector {
  const name = section.name;
  const lower = name.toLowerCase();
  if (
    name === "" ||
    lower === "default" ||
    (format === "ltsp" && (lower === "clients" || lower === "common"))
  )
    return { kind: "defaults" };
  if (format === "ltsp" && lower === "server") return { kind: "server" };
  // ltsp.conf(5): "Shell case expressions can be used in MAC, IP, or hostname sections".
  if (format === "ltsp" && name.includes("|")) {
    const parts = name.split("|").map((p) => p.trim());
    if (parts.some((p) => p === "")) return { kind: "bad-glob", reason: "an empty alternative between '|'" };
    const selectors = parts.map((p) => selectorOf({ ...section, name: p }, format));
    const odd = selectors.find(
      (x) => x.kind !== "mac" && x.kind !== "ip" && x.kind !== "host" && !x.kind.endsWith("-glob"),
    );
    if (odd)
      return {
        kind: "bad-glob",
        reason: `'${parts[selectors.indexOf(odd)]}' is no MAC, address or name pattern`,
      };
    const bad = selectors.find((x) => x.kind === "bad-glob");
    if (bad) return bad;
    return { kind: "any", parts: selectors };
  }
  const mac = normalizeMac(name);
  if (mac) return { kind: "mac", mac };
  if (parseIpv4(name) !== null) return { kind: "ip", ip: name };
  if (/[*?[]/.test(name)) {
    const compiled = compileGlob(name, true);
    if (typeof compiled === "string") return { kind: "bad-glob", reason: compiled };
    if (/^[0-9a-fA-F:*?[\]-]+$/.test(name) && name.includes(":"))
      return { kind: "mac-glob", glob: name.toLowerCase() };
    if (/^[0-9.*?[\]-]+$/.test(name) && name.includes(".")) return { kind: "ip-glob", glob: name };
    return { kind: "hostname-glob", glob: name };
  }
  return { kind: "host", name };
}

/** The layer a section's settings go into (its includers' groups are made separately). */
function layerFor(
  section: LtsSection,
  selector: Selector,
  hostnameEntry: LtsEntry | undefined,
  draft: ConfigDraft,
  problems: ImportProblem[],
): LayerDraft {
  switch (selector.kind) {
    case "defaults":
    case "server":
    case "bad-glob":
      return draft.defaults;
    case "host": {
      if (toHostname(selector.name) === selector.name || draft.findHost(selector.name))
        return hostNamed(draft, selector.name, section, problems);
      // [crt_monitor]: LTSP matches it against the client's hostname as written, which no renamed
      // host would; a group matching that name keeps its settings off every other machine.
      const g = draft.group(draft.freeGroupName(toHostname(selector.name)), section.at);
      g.match.add("hostname", selector.name);
      g.header.push(
        `[${section.name}] is no valid hostname: a group matching a client of that name, as LTSP matched it; a profile section meant for INCLUDE= would be named there`,
      );
      return g;
    }
    case "mac": {
      if (hostnameEntry) {
        const h = hostNamed(draft, hostnameEntry.value, section, problems);
        const other = draft.findHostByMac(selector.mac);
        if (!h.mac && (!other || other === h)) h.mac = selector.mac;
        return h;
      }
      const known = draft.findHostByMac(selector.mac);
      if (known) return known;
      const g = draft.group(draft.freeGroupName(`mac-${selector.mac.replaceAll(":", "")}`), section.at);
      g.match.add("mac", selector.mac);
      g.header.push(
        `[${section.name}] names a MAC but no HOSTNAME: a group, so that the machine keeps the name DHCP gives it`,
      );
      return g;
    }
    case "ip": {
      if (hostnameEntry) {
        const h = hostNamed(draft, hostnameEntry.value, section, problems);
        if (!h.ip) h.ip = selector.ip;
        return h;
      }
      return draft.findHostByIp(selector.ip) ?? draft.address(selector.ip);
    }
    case "mac-glob":
    case "ip-glob":
    case "hostname-glob":
    case "any": {
      const name = selector.kind === "any" ? groupNameOf(section.name) : section.name;
      const g = draft.group(draft.freeGroupName(name), section.at);
      addToMatch(g, selector, draft, section);
      return g;
    }
  }
}

function hostNamed(
  draft: ConfigDraft,
  name: string,
  section: LtsSection,
  problems: ImportProblem[],
): HostDraft {
  const existing = draft.findHost(name);
  if (existing) return existing;
  const clean = toHostname(name);
  const h = new HostDraft(clean, section.at);
  if (clean !== name) {
    problems.push({
      severity: "warning",
      at: section.at,
      message: `'${name}' is not a valid hostname; imported as '${clean}'`,
      hint: "letters, digits and '-' (RFC 1123)",
    });
    h.header.push(`renamed from '${name}': hostnames are letters, digits and '-'`);
  }
  draft.addHost(h);
  return h;
}

function addToMatch(group: GroupDraft, selector: Selector, draft: ConfigDraft, section: LtsSection): void {
  switch (selector.kind) {
    case "host": {
      const host = hostCalled(draft, selector.name);
      if (host) group.match.add("hosts", host.name);
      else group.match.add("hostname", selector.name);
      return;
    }
    case "mac": {
      const named = section.entries.find((e) => e.key.toUpperCase() === "HOSTNAME");
      const host = draft.findHostByMac(selector.mac) ?? (named ? hostCalled(draft, named.value) : undefined);
      if (host) group.match.add("hosts", host.name);
      else group.match.add("mac", selector.mac);
      return;
    }
    case "ip":
      group.match.add("ip", selector.ip);
      return;
    case "mac-glob":
      group.match.add("mac", selector.glob);
      return;
    case "ip-glob": {
      const m = /^(\d+)\.(\d+)\.(\d+)\.\*$/.exec(selector.glob) ?? /^(\d+)\.(\d+)\.\*$/.exec(selector.glob);
      if (m) {
        const octets = m.slice(1, 4).filter((x) => x !== undefined);
        const prefix = octets.length * 8;
        group.match.add("ip", `${[...octets, ...Array(4 - octets.length).fill("0")].join(".")}/${prefix}`);
      } else {
        group.notes.push({
          at: section.at,
          why: `not mapped: [${section.name}] is an address pattern bootfleet cannot write as a subnet; add match: ip: ADDRESS/PREFIX`,
        });
      }
      return;
    }
    case "hostname-glob":
      group.match.add("hostname", selector.glob);
      return;
    case "any":
      for (const part of selector.parts) addToMatch(group, part, draft, section);
      return;
    case "bad-glob":
      group.notes.push({
        at: section.at,
        why: `not mapped: [${section.name}] is not a pattern bootfleet can match (${selector.reason})`,
      });
      return;
    case "defaults":
    case "server":
      group.notes.push({
        at: section.at,
        why: `[${section.name}] includes this section: its settings are every client's, so put them under defaults if wanted`,
      });
      return;
  }
}

/** A group's name from a section's: `b8:27:eb:*|dc:a6:32:*` -> `b8-27-eb-or-dc-a6-32`. */
function groupNameOf(section: string): string {
  const name = section
    .split("|")
    .map((p) => p.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, ""))
    .filter(Boolean)
    .join("-or-");
  return name || "pattern";
}

/** The host a section or HOSTNAME= names: as written, or as hostNamed cleaned it. */
function hostCalled(draft: ConfigDraft, name: string): HostDraft | undefined {
  return draft.findHost(name) ?? draft.findHost(toHostname(name));
}
