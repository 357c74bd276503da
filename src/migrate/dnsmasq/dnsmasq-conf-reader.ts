/**
 * dnsmasq.conf text to directives (dnsmasq(8): one long option per line,
 * `name` or `name=value,value,...`). A `#` starts a comment at the start of
 * a line or after whitespace, outside quotes: that is how dnsmasq reads it
 * (`a=b#c` keeps the `#`). Each directive keeps its own-line comments from
 * above it and the comment on its line, and each field its column.
 */
import type { DnsmasqDirective, DnsmasqField } from "./dnsmasq-directive.js";

export interface DnsmasqConf {
  readonly directives: readonly DnsmasqDirective[];
  /** Own-line comments after the last directive. */
  readonly closingComments: readonly string[];
}

export function readDnsmasqConf(text: string, file: string): DnsmasqConf {
  const directives: DnsmasqDirective[] = [];
  let pending: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    const lineNo = i + 1;
    const { body, comment } = splitComment(line);
    const t = body.trim();
    if (t === "") {
      if (comment !== undefined) pending.push(comment);
      continue;
    }
    const start = body.length - body.trimStart().length;
    const eq = t.indexOf("=");
    const name = (eq < 0 ? t : t.slice(0, eq)).trim();
    const fields: DnsmasqField[] = [];
    if (eq >= 0) {
      const col = start + eq + 2;
      for (const f of splitFields(t.slice(eq + 1))) {
        fields.push({
          text: unquote(f.text.trim()),
          at: { file, line: lineNo, column: col + f.offset + (f.text.length - f.text.trimStart().length) },
        });
      }
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
  }
  return { directives, closingComments: pending };
}

/** dnsmasq's comment rule: '#' at the start of a line or after whitespace, outside quotes. */
function splitComment(line: string): { body: string; comment: string | undefined } {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === "\\") i++;
    else if (c === "#" && !quoted && (i === 0 || /\s/.test(line[i - 1]!)))
      return { body: line.slice(0, i), comment: line.slice(i + 1) };
  }
  return { body: line, comment: undefined };
}

/** The value split at commas outside quotes, with each field's offset in it. */
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
