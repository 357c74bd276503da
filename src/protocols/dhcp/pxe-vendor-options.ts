/**
 * Option 43 as PXE clients use it (PXE spec 2.1 §2.4.7, table 2-1): when
 * option 60 is "PXEClient...", option 43 holds PXE sub-options. Only the
 * ones a boot server needs are typed; the others are kept raw.
 */
import { readIpv4 } from "../ipv4-address.js";
import { DhcpCodecError } from "./dhcp-codec-error.js";
import { ipOption, uint16Option } from "./dhcp-option-values.js";
import { decodeSubOptions, encodeSubOptions } from "./sub-options.js";

export const PxeSub = {
  MTFTP_IP: 1,
  MTFTP_CPORT: 2,
  MTFTP_SPORT: 3,
  MTFTP_TMOUT: 4,
  MTFTP_DELAY: 5,
  DISCOVERY_CONTROL: 6,
  DISCOVERY_MCAST_ADDR: 7,
  BOOT_SERVERS: 8,
  BOOT_MENU: 9,
  MENU_PROMPT: 10,
  BOOT_ITEM: 71,
} as const;

/**
 * PXE_DISCOVERY_CONTROL bit 3 (PXE spec table 2-1): "if set, and a boot file
 * name is present in the initial DHCP or ProxyDHCP offer packet, download
 * the boot file (do not prompt/menu/discover)". What a proxyDHCP that hands
 * out one boot file sends.
 */
export const PXE_DISCOVERY_USE_BOOTFILE = 0x08;

export interface PxeBootServer {
  readonly type: number;
  readonly addresses: readonly string[];
}
export interface PxeMenuItem {
  readonly type: number;
  readonly description: string;
}
export interface PxeVendorOptions {
  readonly discoveryControl?: number | undefined;
  readonly multicastDiscoveryAddress?: string | undefined;
  readonly bootServers?: readonly PxeBootServer[] | undefined;
  readonly bootMenu?: readonly PxeMenuItem[] | undefined;
  /** Sub-option 10: seconds before the first item boots, and the prompt text. */
  readonly menuPrompt?: { readonly timeout: number; readonly prompt: string } | undefined;
  /** Sub-option 71: the client's chosen boot server type and layer (in its REQUEST). */
  readonly bootItem?: { readonly type: number; readonly layer: number } | undefined;
  /** Every other sub-option, raw. */
  readonly other?: ReadonlyMap<number, Buffer> | undefined;
}

export function decodePxeVendorOptions(value: Buffer): PxeVendorOptions {
  const subs = decodeSubOptions(value, 43, true);
  const fail = (code: number, why: string) =>
    new DhcpCodecError("bad-option-value", `option 43 PXE sub-option ${code}: ${why}`);
  const other = new Map<number, Buffer>();
  let discoveryControl: number | undefined;
  let multicastDiscoveryAddress: string | undefined;
  let bootServers: PxeBootServer[] | undefined;
  let bootMenu: PxeMenuItem[] | undefined;
  let menuPrompt: PxeVendorOptions["menuPrompt"];
  let bootItem: PxeVendorOptions["bootItem"];
  for (const [code, v] of subs) {
    switch (code) {
      case PxeSub.DISCOVERY_CONTROL:
        if (v.length !== 1) throw fail(code, `length ${v.length}, not 1`);
        discoveryControl = v[0]!;
        break;
      case PxeSub.DISCOVERY_MCAST_ADDR:
        if (v.length !== 4) throw fail(code, `length ${v.length}, not 4`);
        multicastDiscoveryAddress = readIpv4(v, 0);
        break;
      case PxeSub.BOOT_SERVERS: {
        // type(2) count(1) count*IP(4), repeated.
        bootServers = [];
        let i = 0;
        while (i < v.length) {
          if (i + 3 > v.length) throw fail(code, `entry at ${i} cut short`);
          const type = v.readUInt16BE(i);
          const count = v[i + 2]!;
          if (i + 3 + count * 4 > v.length)
            throw fail(code, `entry at ${i} lists ${count} addresses past the end`);
          const addresses: string[] = [];
          for (let k = 0; k < count; k++) addresses.push(readIpv4(v, i + 3 + k * 4));
          bootServers.push({ type, addresses });
          i += 3 + count * 4;
        }
        break;
      }
      case PxeSub.BOOT_MENU: {
        // type(2) length(1) description, repeated.
        bootMenu = [];
        let i = 0;
        while (i < v.length) {
          if (i + 3 > v.length) throw fail(code, `entry at ${i} cut short`);
          const len = v[i + 2]!;
          if (i + 3 + len > v.length) throw fail(code, `entry at ${i} says ${len} bytes past the end`);
          bootMenu.push({ type: v.readUInt16BE(i), description: v.toString("latin1", i + 3, i + 3 + len) });
          i += 3 + len;
        }
        break;
      }
      case PxeSub.MENU_PROMPT:
        if (v.length < 1) throw fail(code, "empty");
        menuPrompt = { timeout: v[0]!, prompt: v.toString("latin1", 1) };
        break;
      case PxeSub.BOOT_ITEM:
        if (v.length !== 4) throw fail(code, `length ${v.length}, not 4`);
        bootItem = { type: v.readUInt16BE(0), layer: v.readUInt16BE(2) };
        break;
      default:
        other.set(code, v);
    }
  }
  return { discoveryControl, multicastDiscoveryAddress, bootServers, bootMenu, menuPrompt, bootItem, other };
}

export function encodePxeVendorOptions(o: PxeVendorOptions): Buffer {
  const subs = new Map<number, Buffer>();
  if (o.discoveryControl !== undefined)
    subs.set(PxeSub.DISCOVERY_CONTROL, Buffer.from([o.discoveryControl & 0xff]));
  if (o.multicastDiscoveryAddress !== undefined) {
    subs.set(PxeSub.DISCOVERY_MCAST_ADDR, ipOption(o.multicastDiscoveryAddress));
  }
  if (o.bootServers) {
    subs.set(
      PxeSub.BOOT_SERVERS,
      Buffer.concat(
        o.bootServers.map((s) =>
          Buffer.concat([uint16Option(s.type), Buffer.from([s.addresses.length]), ipOption(...s.addresses)]),
        ),
      ),
    );
  }
  if (o.bootMenu) {
    subs.set(
      PxeSub.BOOT_MENU,
      Buffer.concat(
        o.bootMenu.map((m) => {
          const d = Buffer.from(m.description, "latin1");
          return Buffer.concat([uint16Option(m.type), Buffer.from([d.length]), d]);
        }),
      ),
    );
  }
  if (o.menuPrompt) {
    subs.set(
      PxeSub.MENU_PROMPT,
      Buffer.concat([Buffer.from([o.menuPrompt.timeout & 0xff]), Buffer.from(o.menuPrompt.prompt, "latin1")]),
    );
  }
  if (o.bootItem)
    subs.set(
      PxeSub.BOOT_ITEM,
      Buffer.concat([uint16Option(o.bootItem.type), uint16Option(o.bootItem.layer)]),
    );
  for (const [code, v] of o.other ?? []) if (!subs.has(code)) subs.set(code, v);
  return encodeSubOptions(subs, 43, true);
}
