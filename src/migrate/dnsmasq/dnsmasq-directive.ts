/**
 * A dnsmasq.conf directive (`name` or `name=value,value,...`) with its
 * comments and the columns of its fields, and the ways the importer reads
 * one: which fields are values and which are tag expressions.
 */
import type { SourceLocation } from "../../config/model.js";

export interface DnsmasqField {
  /** Unquoted. */
  readonly text: string;
  readonly at: SourceLocation;
}

export interface DnsmasqDirective {
  readonly name: string;
  readonly fields: readonly DnsmasqField[];
  readonly at: SourceLocation;
  /** The line as written, without its comment and surrounding whitespace. */
  readonly raw: string;
  /** Own-line comments just above it, without the `#`. */
  readonly comments: readonly string[];
  /** The comment on its line, without the `#`. */
  readonly trailing?: string | undefined;
}

/** The directive's own comments, to go beside the value it maps to. */
export function valueComments(d: DnsmasqDirective): { before: readonly string[]; inline?: string } {
  return d.trailing !== undefined ? { before: d.comments, inline: d.trailing } : { before: d.comments };
}

/** The directive with its line's comment: how a host's or network's header quotes it. */
export function directiveLine(file: string, d: DnsmasqDirective): string {
  return `${file}:${d.at.line}: ${d.raw}${d.trailing !== undefined ? ` #${d.trailing}` : ""}`;
}

/** A tag expression (set:, tag:, net:), not a value. */
export function isTagField(text: string): boolean {
  return /^(set|tag|net):/.test(text);
}

/** The fields that are values, without the tag expressions. */
export function valueFields(d: DnsmasqDirective): DnsmasqField[] {
  return d.fields.filter((f) => !isTagField(f.text));
}

/**
 * The tags the directive is for (tag:NAME, NAME keeping a leading '!').
 * `net:NAME` and `net:#NAME` are dnsmasq's older spelling of `tag:NAME` and
 * `tag:!NAME` (dnsmasq(8), "tag:" replaced "net:" in 2.52), still read by it.
 */
export function tagsOf(d: DnsmasqDirective): string[] {
  const tags: string[] = [];
  for (const f of d.fields) {
    if (f.text.startsWith("tag:")) tags.push(f.text.slice(4));
    else if (f.text.startsWith("net:") && d.name !== "dhcp-range" && d.name !== "dhcp-host")
      tags.push(f.text.slice(4).replace(/^#/, "!"));
  }
  return tags;
}
