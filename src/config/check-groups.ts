/**
 * `groups:`: what a group matches (hostname and MAC globs, an OUI, IP
 * subnets, named hosts), and the lab groups a layers/ folder makes on its
 * own: layers/groups/<name> or layers/labs/<name> with no group of that
 * name declared matches hostnames `<name>-*` (labs are hostname prefixes
 * before '-').
 */
import type { LayerContext } from "./check-context.js";
import { checkLayer } from "./check-layer.js";
import { compact } from "./compact.js";
import { didYouMean } from "./config-error.js";
import type { RawConfig } from "./config-schema.js";
import { type LayerTree, treeLocation, withTreeFiles } from "./layer-tree.js";
import type { Cidr, Group, GroupMatch } from "./model.js";
import { compileGlob, parseCidr } from "./net-address.js";
import type { KeyPath } from "./source-map.js";

export function checkGroups(raw: RawConfig["groups"], tree: LayerTree, ctx: LayerContext): Group[] {
  const { problems, map } = ctx;
  const groups: Group[] = [];
  const groupNames = Object.keys(raw);
  for (const [name, g] of Object.entries(raw)) {
    const path = ["groups", name];
    const spec = g ?? {};
    const m = spec.match ?? {};
    const match: GroupMatch = compact({
      hostname: checkGlobs(ctx, [...path, "match", "hostname"], m.hostname),
      mac: checkGlobs(ctx, [...path, "match", "mac"], m.mac?.map(macGlob)),
      ip: m.ip
        ?.map((text, j) => {
          const c = parseCidr(text.includes("/") ? text : `${text}/32`);
          if (!c)
            problems.report(
              [...path, "match", "ip", j],
              `'${text}' is not an address or subnet`,
              "e.g. 198.18.0.0/25",
            );
          return c;
        })
        .filter((c): c is Cidr => c !== null),
      hosts: m.hosts,
      arch: m.arch,
    });
    groups.push({
      ...withTreeFiles(checkLayer(ctx, spec, path), tree.groups.get(name)),
      name,
      match,
      at: map.locate(path, true),
    });
  }
  for (const [name, files] of tree.groups) {
    if (groupNames.includes(name)) continue;
    groups.push({
      name,
      match: { hostname: [`${name}-*`] },
      files,
      at: treeLocation(files, tree.root),
    });
  }
  return groups;
}

/** A group's `match.hosts` must name declared hosts. */
export function checkGroupMembers(
  groups: readonly Group[],
  hosts: RawConfig["hosts"],
  ctx: LayerContext,
): void {
  for (const g of groups)
    for (const member of g.match.hosts ?? [])
      if (!(member in hosts)) {
        const guess = didYouMean(member, Object.keys(hosts));
        ctx.problems.report(
          ["groups", g.name, "match", "hosts"],
          `host '${member}' does not exist`,
          guess ? `did you mean '${guess}'?` : "declare it under hosts:",
        );
      }
}

/** An OUI like `b8:27:eb` matches every MAC that starts with it. */
function macGlob(text: string): string {
  const t = text.trim().toLowerCase().replaceAll("-", ":");
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){2}$/.test(t) ? `${t}:*` : t;
}

/** Hostnames and MACs are matched without regard to case. */
function checkGlobs(
  ctx: LayerContext,
  path: KeyPath,
  globs: readonly string[] | undefined,
): string[] | undefined {
  if (!globs) return undefined;
  globs.forEach((g, i) => {
    const r = compileGlob(g, true);
    if (typeof r === "string")
      ctx.problems.report(
        globs.length > 1 ? [...path, i] : path,
        `'${g}' is not a valid pattern: ${r}`,
        "patterns use * ? and [a-z]",
      );
  });
  return [...globs];
}
