/**
 * `range FIRST LAST;` and `pool { ... }`: the addresses dhcpd hands out,
 * as the pool of the network they are in. A bootfleet network has one pool
 * without parameters of its own, so a pool block gives its ranges and keeps
 * the rest as comments. Whether the file had a range at all decides
 * between full and proxy mode (dhcpd-conf-import.ts).
 */
import { cidrContains, formatIpv4, parseCidr, parseIpv4 } from "../../config/net-address.js";
import { LayerDraft } from "../config-draft.js";
import type { DhcpdImportReport } from "./dhcpd-import-report.js";
import type { DhcpdScope } from "./dhcpd-scope.js";
import { type DhcpdStatement, headLine, keywordOf, pointAfter, valueComments } from "./dhcpd-statement.js";

export class DhcpdRangeImport {
  readonly #report: DhcpdImportReport;
  #sawRange = false;

  constructor(report: DhcpdImportReport) {
    this.#report = report;
  }

  /** The file hands out addresses: some range made it into a network's pool. */
  get sawRange(): boolean {
    return this.#sawRange;
  }

  range(st: DhcpdStatement, scope: DhcpdScope): void {
    const report = this.#report;
    if (st.head[0]!.text.toLowerCase() === "range6") {
      report.note(scope, st, "not mapped: bootfleet serves IPv4");
      return;
    }
    const words = st.head.slice(1).map((t) => t.text);
    const dynamicBootp = words[0]?.toLowerCase() === "dynamic-bootp";
    const addrs = dynamicBootp ? words.slice(1) : words;
    if (addrs.length === 0) {
      report.error(pointAfter(st), "range has no addresses", "write it as `range 10.0.0.100 10.0.0.150;`");
      report.note(scope, st, "not mapped: it has no addresses");
      return;
    }
    const first = parseIpv4(addrs[0]!);
    const last = addrs.length > 1 ? parseIpv4(addrs[1]!) : first;
    const badIdx = first === null ? 0 : last === null ? 1 : -1;
    if (badIdx >= 0 || addrs.length > 2) {
      const tok = st.head[(dynamicBootp ? 2 : 1) + Math.max(badIdx, 0)] ?? st.head[1]!;
      report.error(
        tok.at,
        `range: '${addrs[Math.max(badIdx, 0)]}' is not an IPv4 address`,
        "write it as `range FIRST LAST;`",
      );
      report.note(scope, st, "not mapped: malformed range");
      return;
    }
    const network = scope.network;
    if (!network) {
      report.note(scope, st, "not mapped: a range belongs in a subnet (or a pool in one)");
      return;
    }
    const [lo, hi] = first! <= last! ? [first!, last!] : [last!, first!];
    const cidr = parseCidr(network.subnet);
    const outside = cidr ? [lo, hi].find((n) => !cidrContains(cidr, n)) : undefined;
    if (outside !== undefined) {
      // dhcpd refuses it too: "bad range, address ... not in subnet ...".
      report.error(
        st.head[1]!.at,
        `range: ${formatIpv4(outside)} is not in subnet ${network.subnet}`,
        "a range lies inside the subnet it is declared in",
      );
      report.note(scope, st, "not mapped: outside its subnet");
      return;
    }
    this.#sawRange = true;
    const c = valueComments(st);
    network.pools.push({
      first: lo,
      last: hi,
      at: st.at,
      comments: [
        ...c.before,
        ...(c.inline !== undefined ? [c.inline] : []),
        ...(dynamicBootp ? [headLine(st)] : []),
      ],
    });
  }

  pool(st: DhcpdStatement, scope: DhcpdScope): void {
    const network = scope.network;
    if (!network) {
      this.#report.note(scope, st, "not mapped: a pool belongs in a subnet");
      return;
    }
    const inner: DhcpdScope = { ...scope, kind: "pool", layer: new LayerDraft(), notes: network.notes };
    for (const s of st.block ?? []) {
      if (keywordOf(s) === "range") this.range(s, inner);
      else
        this.#report.note(
          inner,
          s,
          "not mapped: bootfleet has one pool per network, without parameters of its own",
        );
    }
  }
}
