/**
 * Builds a server reply (RFC 2131 §4.3.1 table 3: which fields and options
 * each reply type carries) from the request, the network and what the
 * config and the boot planner say about the machine.
 */
import type { DhcpBootSpec } from "../../boot/boot-planner.js";
import { encodeOptionValue, parseOptionCode } from "../../boot/dhcp-option-value.js";
import type { ResolvedMachine } from "../../config/model.js";
import {
  BOOTREPLY,
  DEFAULT_MAX_MESSAGE,
  type DhcpMessage,
  DhcpMessageType,
  MAX_DHCP_LENGTH,
  Opt,
} from "../../protocols/dhcp/dhcp-message.js";
import {
  ipOption,
  readUint16,
  textOption,
  uint8Option,
  uint32Option,
} from "../../protocols/dhcp/dhcp-option-values.js";
import { encodeDhcp } from "../../protocols/dhcp/encode-dhcp.js";
import {
  encodePxeVendorOptions,
  PXE_DISCOVERY_USE_BOOTFILE,
} from "../../protocols/dhcp/pxe-vendor-options.js";
import { isPxeClient } from "./machine-facts-from-packet.js";
import type { ServedNetwork } from "./served-network.js";

export interface ReplySpec {
  readonly type: number;
  readonly request: DhcpMessage;
  readonly net: ServedNetwork;
  readonly yiaddr?: string | undefined;
  /** Lease seconds for OFFER/ACK of a lease; absent for INFORM and proxy replies (RFC 2131 §4.3.5). */
  readonly leaseSeconds?: number | undefined;
  readonly machine?: ResolvedMachine | undefined;
  readonly boot?: DhcpBootSpec | null | undefined;
  /** Proxy replies carry boot information only (PXE spec 2.1 §2.2.2). */
  readonly proxy?: boolean | undefined;
  /** Option 56 text of a NAK. */
  readonly message?: string | undefined;
}

/** Replies to the client (or its relay) never exceed what it said it takes (option 57, RFC 2132 §9.10). */
function maxSizeOf(request: DhcpMessage): number {
  const asked = readUint16(request.options.get(Opt.MAX_MESSAGE_SIZE)) ?? DEFAULT_MAX_MESSAGE;
  return Math.min(Math.max(asked, DEFAULT_MAX_MESSAGE), MAX_DHCP_LENGTH);
}

/**
 * Encoded option values that every reply of a network repeats (its
 * addresses, the lease times of the config), made once: a reply is built
 * for every packet. The values are shared between replies; encodeDhcp
 * copies them and nothing writes into them. Bounded, though their keys come
 * from the config only.
 */
const MAX_CACHED_OPTIONS = 1024;
const addressOptions = new Map<string, Buffer>();
const secondsOptions = new Map<number, Buffer>();

function addressOption(...ips: readonly string[]): Buffer {
  const key = ips.join(",");
  let value = addressOptions.get(key);
  if (value === undefined) {
    value = ipOption(...ips);
    if (addressOptions.size >= MAX_CACHED_OPTIONS) addressOptions.clear();
    addressOptions.set(key, value);
  }
  return value;
}

function secondsOption(seconds: number): Buffer {
  let value = secondsOptions.get(seconds);
  if (value === undefined) {
    value = uint32Option(seconds);
    if (secondsOptions.size >= MAX_CACHED_OPTIONS) secondsOptions.clear();
    secondsOptions.set(seconds, value);
  }
  return value;
}

export function buildReply(spec: ReplySpec): Buffer {
  const { request, net, type } = spec;
  const options = new Map<number, Buffer>();
  options.set(Opt.MESSAGE_TYPE, uint8Option(type));
  options.set(Opt.SERVER_ID, addressOption(net.serverId));
  let siaddr = "0.0.0.0";
  let file = "";

  if (type === DhcpMessageType.NAK) {
    // RFC 2131 table 3: a NAK carries only 53, 54, 56 (and 82 back to a relay).
    if (spec.message) options.set(Opt.MESSAGE, textOption(spec.message));
  } else {
    if (spec.leaseSeconds !== undefined) {
      const t = spec.leaseSeconds;
      options.set(Opt.LEASE_TIME, secondsOption(t));
      // RFC 2131 §4.4.5: T1 = 0.5 and T2 = 0.875 of the lease by default.
      options.set(Opt.RENEWAL_TIME, secondsOption(Math.floor(t * 0.5)));
      options.set(Opt.REBINDING_TIME, secondsOption(Math.floor(t * 0.875)));
    }
    const d = spec.machine?.dhcp;
    if (!spec.proxy) {
      options.set(Opt.SUBNET_MASK, addressOption(net.mask));
      options.set(Opt.BROADCAST_ADDRESS, addressOption(net.broadcast));
      if (d?.routers) options.set(Opt.ROUTERS, addressOption(...d.routers.value));
      if (d?.dns) options.set(Opt.DNS_SERVERS, addressOption(...d.dns.value));
      if (d?.domain) options.set(Opt.DOMAIN_NAME, textOption(d.domain.value));
      if (spec.machine?.hostname) options.set(Opt.HOSTNAME, textOption(spec.machine.hostname));
      if (d?.root_path) options.set(Opt.ROOT_PATH, textOption(d.root_path.value));
      if (d?.ntp) options.set(Opt.NTP_SERVERS, addressOption(...d.ntp.value));
      // Custom options by code (LTSP's dhcpd.conf files give Etherboot 128
      // and 129); a bad one is left out, the config loader has already reported it.
      for (const [code, value] of Object.entries(d?.options?.value ?? {})) {
        try {
          const n = parseOptionCode(code);
          options.set(n, encodeOptionValue(n, value));
        } catch {
          /* reported at config load */
        }
      }
    }
    const boot = spec.boot;
    siaddr = boot?.nextServer ?? d?.next_server?.value ?? "0.0.0.0";
    file = boot?.bootFile ?? d?.filename?.value ?? "";
    // The planner's options win over the config's (it has already merged them).
    for (const [code, value] of boot?.options ?? []) options.set(code, value);
    if (Buffer.byteLength(file, "latin1") > 127) {
      // Too long for the 128-octet `file` field: RFC 2132 §9.5 option 67 instead.
      options.set(Opt.BOOTFILE_NAME, textOption(file));
      file = "";
    }
    if (file !== "" && isPxeClient(request)) {
      // PXE spec 2.1 §2.2.2: an offer with option 60 "PXEClient" is PXE-aware;
      // option 43 sub-option 6 bit 3 tells the ROM to take the boot file from
      // this offer without boot server discovery or a menu.
      if (!options.has(Opt.VENDOR_CLASS)) options.set(Opt.VENDOR_CLASS, textOption("PXEClient"));
      if (!options.has(Opt.VENDOR_SPECIFIC)) {
        options.set(
          Opt.VENDOR_SPECIFIC,
          encodePxeVendorOptions({ discoveryControl: PXE_DISCOVERY_USE_BOOTFILE }),
        );
      }
      // Some PXE ROMs match the reply to themselves by the UUID they sent (option 97).
      const uuid = request.options.get(Opt.CLIENT_UUID);
      if (uuid && !options.has(Opt.CLIENT_UUID)) options.set(Opt.CLIENT_UUID, uuid);
    }
  }
  // RFC 3046 §2.2: echo the relay agent option, last.
  const relayInfo = request.options.get(Opt.RELAY_AGENT_INFO);
  if (relayInfo && request.giaddr !== "0.0.0.0") options.set(Opt.RELAY_AGENT_INFO, relayInfo);

  const nak = type === DhcpMessageType.NAK;
  return encodeDhcp(
    {
      op: BOOTREPLY,
      htype: request.htype,
      hlen: request.hlen,
      hops: 0,
      xid: request.xid,
      secs: 0,
      flags: request.flags,
      // RFC 2131 table 3: ciaddr is echoed in an ACK (INFORM, renewal), 0 otherwise.
      ciaddr: type === DhcpMessageType.ACK ? request.ciaddr : "0.0.0.0",
      yiaddr: nak ? "0.0.0.0" : (spec.yiaddr ?? "0.0.0.0"),
      siaddr: nak ? "0.0.0.0" : siaddr,
      giaddr: request.giaddr,
      chaddr: request.chaddr,
      sname: "",
      file: nak ? "" : file,
      options,
    },
    maxSizeOf(request),
  );
}
