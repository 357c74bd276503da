/**
 * `group { ... }` blocks: a bootfleet group whose members are the hosts
 * declared inside it, with the group's parameters. A group with no hosts
 * matches no machine, so what it said is kept as comments. dhcpd groups
 * have no names; bootfleet's need one: group-1, group-2, ... unless the
 * file wrote one after the keyword.
 */
import { basename } from "node:path";
import type { ConfigDraft } from "../config-draft.js";
import type { DhcpdImportReport } from "./dhcpd-import-report.js";
import type { DhcpdScope, DhcpdWalk } from "./dhcpd-scope.js";
import type { DhcpdStatement } from "./dhcpd-statement.js";

export class DhcpdGroupImport {
  readonly #file: string;
  readonly #draft: ConfigDraft;
  readonly #report: DhcpdImportReport;
  #unnamed = 0;

  constructor(file: string, draft: ConfigDraft, report: DhcpdImportReport) {
    this.#file = file;
    this.#draft = draft;
    this.#report = report;
  }

  group(st: DhcpdStatement, scope: DhcpdScope, walk: DhcpdWalk): void {
    const report = this.#report;
    if (scope.kind === "host") {
      report.note(scope, st, "not mapped: a group inside a host");
      return;
    }
    const nameTok = st.head[1];
    let name: string;
    if (nameTok) name = nameTok.text;
    else {
      this.#unnamed++;
      name = `group-${this.#unnamed}`;
    }
    // A name already taken (another file's group-1, or a name written twice) gets this file's name added.
    if (this.#draft.groups.has(name)) name = this.#draft.freeGroupName(`${name}-${basename(this.#file)}`);
    const group = this.#draft.group(name, st.at);
    group.header.push(
      ...st.comments,
      `${this.#file}:${st.at.line}: ${nameTok ? `group ${nameTok.text}` : "group (no name in dhcpd.conf)"}${st.trailing !== undefined ? ` #${st.trailing}` : ""}`,
    );
    walk(st.block ?? [], {
      ...scope,
      kind: "group",
      layer: group,
      notes: group.notes,
      groups: [...scope.groups, group],
    });
    report.keepComments(st.closingComments, group.notes, `inside group ${name}`);
    if (group.match.hosts.length > 0) return;
    this.#draft.groups.delete(name);
    if (!group.empty) {
      report.warn(
        st.at,
        `group ${name} declares no hosts; its parameters are kept as comments`,
        "a bootfleet group needs members: add match: to it",
      );
    }
    scope.notes.push({
      at: st.at,
      source: report.source(st),
      why: group.empty
        ? "not mapped: a group with no hosts and no parameters"
        : "not mapped: a group with no hosts matches no machine",
    });
  }
}
