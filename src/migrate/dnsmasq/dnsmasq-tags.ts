/**
 * What a dnsmasq tag (set:NAME, tag:NAME) stands for. Tags defined by
 * matching the client (dhcp-userclass, dhcp-vendorclass, dhcp-match on
 * options 175, 93, 77, 60) tell iPXE from PXE and BIOS from UEFI, which
 * bootfleet does itself; tags set on a dhcp-host or dhcp-range stand for
 * that host or network, so what is written for them can go on its layer.
 */
import type { ConfigDraft, HostDraft, LayerDraft } from "../config-draft.js";
import type { DnsmasqDirective } from "./dnsmasq-directive.js";

export type DnsmasqTagMeaning =
  | { readonly kind: "ipxe" }
  | { readonly kind: "arch"; readonly codes: readonly number[] }
  | { readonly kind: "vendor"; readonly value: string }
  | { readonly kind: "host"; readonly host: HostDraft }
  | { readonly kind: "network"; readonly subnet: string };

export class DnsmasqTags {
  readonly #meanings = new Map<string, DnsmasqTagMeaning>();

  get(tag: string): DnsmasqTagMeaning | undefined {
    return this.#meanings.get(tag);
  }

  has(tag: string): boolean {
    return this.#meanings.has(tag);
  }

  set(tag: string, meaning: DnsmasqTagMeaning): void {
    this.#meanings.set(tag, meaning);
  }

  /** The tag a client-matching directive sets, and what it matches. */
  define(d: DnsmasqDirective): void {
    // Before 2.52 the tag was written bare, as the first field
    // (`dhcp-match=ipxe,175`); dnsmasq still reads it so.
    const set =
      d.fields.find((f) => f.text.startsWith("set:") || f.text.startsWith("net:")) ??
      (d.fields.length > 1 && !d.fields[0]!.text.includes(":") ? d.fields[0] : undefined);
    if (!set) return;
    const tag =
      set === d.fields[0] && !/^(set|net):/.test(set.text) ? set.text.trim() : set.text.slice(4).trim();
    const rest = d.fields.filter((f) => f !== set).map((f) => f.text.trim());
    switch (d.name) {
      case "dhcp-userclass":
        if (rest.some((r) => /^(i|g)pxe$/i.test(r))) this.set(tag, { kind: "ipxe" });
        return;
      case "dhcp-vendorclass":
        if (rest[0]) this.set(tag, { kind: "vendor", value: rest[0] });
        return;
      case "dhcp-match": {
        const opt = rest[0]?.toLowerCase();
        if (opt === "175" || opt === "option:175") this.set(tag, { kind: "ipxe" });
        else if ((opt === "93" || opt === "option:client-arch") && /^\d{1,5}$/.test(rest[1] ?? "")) {
          // A tag set by several lines holds when any of them matches
          // (LTSP sets X86-64_EFI for both 7 and 9, RFC 4578's errata).
          const before = this.get(tag);
          const code = Number(rest[1]);
          if (code > 0xffff) return;
          const codes = before?.kind === "arch" ? before.codes : [];
          this.set(tag, { kind: "arch", codes: codes.includes(code) ? codes : [...codes, code] });
        } else if (opt === "77" || opt === "option:user-class") {
          if (rest.slice(1).some((r) => /^(i|g)pxe$/i.test(r))) this.set(tag, { kind: "ipxe" });
        } else if ((opt === "60" || opt === "option:vendor-class") && rest[1])
          this.set(tag, { kind: "vendor", value: rest[1] });
        return;
      }
    }
  }

  /**
   * The layer for what is written for clients with `tags`: the defaults
   * when untagged, the host's or network's layer for one tag that stands
   * for one, else none (bootfleet has no tags).
   */
  layerFor(tags: readonly string[], draft: ConfigDraft): LayerDraft | undefined {
    if (tags.length === 0) return draft.defaults;
    const meanings = tags.map((t) => this.get(t.replace(/^!/, "")));
    if (tags.length === 1 && !tags[0]!.startsWith("!")) {
      const m = meanings[0];
      if (m?.kind === "host") return m.host;
      if (m?.kind === "network") return draft.network(m.subnet);
    }
    return undefined;
  }
}

export function describeTagMeaning(m: DnsmasqTagMeaning): string {
  switch (m.kind) {
    case "ipxe":
      return "iPXE is running";
    case "arch":
      return `client architecture ${m.codes.join(" or ")}`;
    case "vendor":
      return `vendor class ${m.value}`;
    case "host":
      return `host ${m.host.name}`;
    case "network":
      return `network ${m.subnet}`;
  }
}
