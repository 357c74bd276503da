/**
 * dhcpd parameters that set one bootfleet key: server-identifier (the
 * server's address), default-lease-time, dhcp-cache-threshold, authoritative,
 * boot-unknown-clients,
 * and the allow / deny / ignore flags, which bootfleet mostly decides by
 * design (boot_unknown says whether undeclared machines boot).
 */
import { parseIpv4 } from "../../config/net-address.js";
import { ADDRESS_RANK, type ConfigDraft } from "../config-draft.js";
import type { DhcpdImportReport } from "./dhcpd-import-report.js";
import type { DhcpdScope } from "./dhcpd-scope.js";
import { type DhcpdStatement, valueComments } from "./dhcpd-statement.js";

/** An infinite lease: option 51's all-ones value (RFC 2131 §3.3). */
const INFINITE_LEASE = 0xffffffff;

export class DhcpdParameterImport {
  readonly #file: string;
  readonly #draft: ConfigDraft;
  readonly #report: DhcpdImportReport;

  constructor(file: string, draft: ConfigDraft, report: DhcpdImportReport) {
    this.#file = file;
    this.#draft = draft;
    this.#report = report;
  }

  serverIdentifier(st: DhcpdStatement, scope: DhcpdScope): void {
    const report = this.#report;
    const v = report.oneValue(st, "server-identifier", "server-identifier 10.0.0.1;");
    if (!v) {
      report.note(scope, st, "not mapped: it has no value");
      return;
    }
    if (parseIpv4(v.text) === null) {
      report.note(scope, st, "not mapped: a DNS name; bootfleet needs the address");
      return;
    }
    this.#draft.proposeServerAddress(
      v.text,
      ADDRESS_RANK.serverIdentifier,
      `server-identifier in ${this.#file}`,
      st.at,
    );
    report.note(
      scope,
      st,
      "mapped to server.address: bootfleet identifies itself (option 54) with the address clients reach",
    );
  }

  leaseTime(st: DhcpdStatement, scope: DhcpdScope): void {
    const report = this.#report;
    const v = report.oneValue(st, "default-lease-time", "default-lease-time 3600;");
    if (!v) {
      report.note(scope, st, "not mapped: it has no value");
      return;
    }
    // dhcpd reads a lease time as a 32-bit number, so -1 is 0xffffffff, as
    // is `infinite` (dhcp-options(5), type T): the infinite lease of RFC
    // 2131 §3.3, which bootfleet sends as written.
    const infinite = v.text.toLowerCase() === "infinite" || /^-\d+$/.test(v.text);
    const n = infinite ? INFINITE_LEASE : Number(v.text);
    if (!infinite && (!/^\d+$/.test(v.text) || n <= 0 || n > INFINITE_LEASE)) {
      report.error(
        v.at,
        `default-lease-time '${v.text}' is not a number of seconds`,
        "e.g. default-lease-time 28800;",
      );
      report.note(scope, st, "not mapped: malformed value");
      return;
    }
    const comments = valueComments(st);
    const c = infinite
      ? {
          ...comments,
          inline: `default-lease-time ${v.text}: infinite (0xffffffff, RFC 2131 §3.3)${comments.inline !== undefined ? ` -${comments.inline}` : ""}`,
        }
      : comments;
    if (scope.kind === "global") this.#draft.setService("dhcp", "lease_time", n, c);
    else scope.layer.set(["dhcp", "lease_time"], n, c);
  }

  /** `dhcp-cache-threshold N;`: percent of the lease time within which a renewal gets the running lease unchanged. */
  cacheThreshold(st: DhcpdStatement, scope: DhcpdScope): void {
    const report = this.#report;
    const v = report.oneValue(st, "dhcp-cache-threshold", "dhcp-cache-threshold 25;");
    if (!v) {
      report.note(scope, st, "not mapped: it has no value");
      return;
    }
    const n = Number(v.text);
    if (!/^\d+$/.test(v.text) || n > 100) {
      report.error(
        v.at,
        `dhcp-cache-threshold '${v.text}' is not a percentage from 0 to 100`,
        "e.g. dhcp-cache-threshold 25; (0 turns it off)",
      );
      report.note(scope, st, "not mapped: malformed value");
      return;
    }
    if (scope.kind !== "global") {
      report.note(
        scope,
        st,
        "not mapped: bootfleet has one threshold for all its networks: services.dhcp.lease_cache_threshold",
      );
      return;
    }
    this.#draft.setService("dhcp", "lease_cache_threshold", n, valueComments(st));
  }

  /** `authoritative;` and `not authoritative;`. */
  authoritative(st: DhcpdStatement, scope: DhcpdScope): void {
    const words = st.head.map((t) => t.text.toLowerCase());
    const value =
      words.join(" ") === "authoritative"
        ? true
        : words.join(" ") === "not authoritative"
          ? false
          : undefined;
    if (value === undefined) {
      this.#report.note(scope, st, "not mapped: bootfleet has no equivalent");
      return;
    }
    if (scope.kind !== "global") {
      this.#report.note(
        scope,
        st,
        "not mapped: bootfleet is authoritative (or not) for all its networks: services.dhcp.authoritative",
      );
      return;
    }
    this.#draft.setService("dhcp", "authoritative", value, valueComments(st));
  }

  bootUnknown(st: DhcpdStatement, scope: DhcpdScope): void {
    const report = this.#report;
    const v = report.oneValue(st, "boot-unknown-clients", "boot-unknown-clients false;");
    if (!v) {
      report.note(scope, st, "not mapped: it has no value");
      return;
    }
    const flag = parseFlag(v.text);
    if (flag === undefined) {
      report.error(
        v.at,
        `boot-unknown-clients '${v.text}' is not true or false`,
        "write true, false, on or off",
      );
      report.note(scope, st, "not mapped: malformed value");
      return;
    }
    scope.layer.set(["boot_unknown"], flag, valueComments(st));
  }

  /** `allow`, `deny` and `ignore` with what they apply to. */
  allowDeny(st: DhcpdStatement, scope: DhcpdScope): void {
    const what = st.head
      .slice(1)
      .map((t) => t.text.toLowerCase())
      .join(" ");
    const verb = st.head[0]!.text.toLowerCase();
    if (what === "booting" || what === "bootp") {
      this.#report.note(
        scope,
        st,
        verb === "allow"
          ? "mapped by design: bootfleet answers BOOTP and DHCP boot requests (boot_unknown decides for undeclared machines)"
          : "not mapped: to refuse booting, set boot_unknown: false and declare the machines that may boot",
      );
      return;
    }
    if (what === "unknown-clients" && verb !== "allow") {
      this.#report.note(
        scope,
        st,
        "not mapped: bootfleet gives addresses to unknown machines in full mode; boot_unknown: false stops them booting",
      );
      return;
    }
    this.#report.note(scope, st, "not mapped: bootfleet has no equivalent");
  }
}

/** dhcpd's boolean words (dhcpd.conf(5) takes true/false and on/off). */
function parseFlag(text: string): boolean | undefined {
  const t = text.toLowerCase();
  if (t === "true" || t === "on") return true;
  if (t === "false" || t === "off") return false;
  return undefined;
}
