/**
 * What `bootfleet export dhcpd|dnsmasq|kea` writes, worked out once from
 * the validated config, for sites that keep their DHCP server: it keeps
 * handing out addresses and points PXE clients at bootfleet's TFTP and
 * HTTP, the way the boot planner would:
 *
 *   iPXE running  -> the per-machine script URL
 *   UEFI x64      -> ipxe.efi (or snponly.efi), ARM64 -> ipxe-arm64.efi
 *   BIOS          -> undionly.kpxe
 *
 * plus one entry per declared host with a MAC: its fixed address, name, and
 * the boot-related DHCP values its layers give it (a `dhcp.filename`
 * override for the first stage, next-server, root-path, custom options).
 * Values set in `defaults` apply to every client and are written once; a
 * network's own `filename`, `next_server` and `root_path` apply to its
 * dynamic clients too, so each exporter writes them where that server
 * scopes values to a subnet.
 */
import type { FleetConfig, Host, ResolvedMachine, SourceLocation } from "../config/model.js";
import { formatIpv4 } from "../config/net-address.js";
import { FleetResolver } from "../config/resolve-machine.js";
import { BOOT_FILE_NAMES } from "./boot-file-names.js";

export interface ExportOption {
  readonly code: number;
  /** As the config writes it: text, or "0x" hex. */
  readonly value: string;
}

/** Boot values of one layer (defaults, or what a host's own layers add). */
export interface ExportBootValues {
  /** `dhcp.filename`: replaces the first stage (not the iPXE script) for PXE ROMs. */
  readonly filename?: string | undefined;
  readonly nextServer?: string | undefined;
  readonly rootPath?: string | undefined;
  readonly options: readonly ExportOption[];
}

export interface ExportHost extends ExportBootValues {
  readonly name: string;
  readonly mac: string;
  readonly ip?: string | undefined;
  /** The network (CIDR) the host's address is in. */
  readonly network?: string | undefined;
}

export interface ExportNetwork {
  readonly subnet: string;
  /** The subnet as dhcpd and dnsmasq write it: network address and dotted netmask. */
  readonly address: string;
  readonly netmask: string;
  readonly pools: readonly { readonly start: string; readonly end: string }[];
  /** The network's own boot values (its `dhcp:`), for every client of the network, declared or not. */
  readonly boot: Omit<ExportBootValues, "options">;
  /** Where the network is declared, for warnings about what an export cannot write. */
  readonly at: SourceLocation;
}

export interface ExportPlan {
  readonly configFile: string;
  /** bootfleet's address: next-server for every client, host of the HTTP URLs. */
  readonly server: string;
  readonly httpPort: number;
  readonly bootFiles: {
    readonly bios: string;
    readonly uefiX64: string;
    readonly uefiArm64: string;
    readonly ipxeScript: string;
  };
  /** defaults.boot_unknown: false -> only declared hosts are pointed at bootfleet. */
  readonly bootUnknown: boolean;
  readonly defaults: ExportBootValues;
  readonly hosts: readonly ExportHost[];
  readonly networks: readonly ExportNetwork[];
  /** Declared hosts that get no entry, and why. */
  readonly skipped: readonly { readonly name: string; readonly why: string }[];
}

export interface ExportPlanOptions {
  /** UEFI iPXE flavour, as the planner's `efiBinary`: ipxe.efi (default) or snponly.efi. */
  readonly efiBinary?: "ipxe" | "snponly" | undefined;
}

export function exportPlan(config: FleetConfig, options: ExportPlanOptions = {}): ExportPlan {
  const resolver = new FleetResolver(config);
  const snp = options.efiBinary === "snponly";
  const d = config.defaults.dhcp;
  const defaults: ExportBootValues = {
    filename: d?.filename,
    nextServer: d?.next_server,
    rootPath: d?.root_path,
    options: optionList(d?.options),
  };
  const hosts: ExportHost[] = [];
  const skipped: { name: string; why: string }[] = [];
  for (const host of config.hosts) {
    if (!host.mac) {
      skipped.push({ name: host.name, why: "no MAC: a DHCP server can only tell machines apart by MAC" });
      continue;
    }
    hosts.push(
      hostEntry(host, resolver.resolve({ mac: host.mac, ip: host.ip, hostname: host.name }), defaults),
    );
  }
  return {
    configFile: config.file,
    server: config.server.address,
    httpPort: config.services.http.port,
    bootFiles: {
      bios: BOOT_FILE_NAMES.bios,
      uefiX64: snp ? BOOT_FILE_NAMES.uefiX64Snp : BOOT_FILE_NAMES.uefiX64,
      uefiArm64: snp ? BOOT_FILE_NAMES.uefiArm64Snp : BOOT_FILE_NAMES.uefiArm64,
      ipxeScript: BOOT_FILE_NAMES.ipxeScriptUrl(config.server.address, config.services.http.port),
    },
    bootUnknown: config.defaults.boot_unknown ?? true,
    defaults,
    hosts,
    networks: config.networks.map((n) => ({
      subnet: n.subnet.text,
      address: formatIpv4(n.subnet.network),
      netmask: formatIpv4(n.subnet.mask),
      pools: (n.pool ?? []).map((p) => ({ start: p.start, end: p.end })),
      boot: { filename: n.dhcp?.filename, nextServer: n.dhcp?.next_server, rootPath: n.dhcp?.root_path },
      at: n.at,
    })),
    skipped,
  };
}

/** What the host's own layers (network, groups, host, address) add over defaults. */
function hostEntry(host: Host, m: ResolvedMachine, defaults: ExportBootValues): ExportHost {
  const own = <T>(v: { value: T; origin: { layer: string } } | undefined): T | undefined =>
    v && v.origin.layer !== "defaults" && v.origin.layer !== "builtin" ? v.value : undefined;
  // Options merge code by code across layers: keep the ones defaults do not already give.
  const fromDefaults = new Map(defaults.options.map((o) => [o.code, o.value]));
  return {
    name: host.name,
    mac: host.mac!,
    ip: host.ip,
    network: m.network?.subnet.text,
    filename: own(m.dhcp.filename),
    nextServer: own(m.dhcp.next_server),
    rootPath: own(m.dhcp.root_path),
    options: optionList(m.dhcp.options?.value).filter((o) => fromDefaults.get(o.code) !== o.value),
  };
}

function optionList(options: Readonly<Record<string, string>> | undefined): ExportOption[] {
  return Object.entries(options ?? {})
    .map(([code, value]) => ({ code: Number(code), value }))
    .sort((a, b) => a.code - b.code);
}

/** Whether a network gives its clients a boot value of its own. */
export function hasOwnBoot(n: ExportNetwork): boolean {
  return n.boot.filename !== undefined || n.boot.nextServer !== undefined || n.boot.rootPath !== undefined;
}
