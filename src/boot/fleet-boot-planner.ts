/**
 * The boot planner: from what a machine's firmware said (MachineFacts) and
 * its resolved config, what it boots and how it gets there. DHCP, TFTP and
 * HTTP ask it (BootPlanner in boot-planner.ts); it never touches a socket.
 *
 * The chain, by DHCP option 93 (RFC 4578 section 2.1) and `loader`:
 *   iPXE already running (user class "iPXE")  -> http://<server>:<port>/boot/<mac>.ipxe
 *   ipxe,     BIOS (0)                         -> undionly.kpxe (uses the ROM's UNDI driver)
 *   ipxe,     UEFI x64 (7, 9)                  -> ipxe.efi, or snponly.efi (firmware's driver)
 *   ipxe,     UEFI ARM64 (11)                  -> ipxe-arm64.efi / snponly-arm64.efi when installed; else
 *                                                 grubnetaa64.efi (Debian's ipxe package has no ARM64 build)
 *   any,      UEFI HTTP boot (16, 19)          -> http URL of the iPXE binary (no TFTP at all)
 *   pxelinux, BIOS (also under a NIC's iPXE ROM) -> pxelinux.0, then pxelinux.cfg/01-<mac>
 *   grub,     UEFI x64 / ARM64                 -> grubnetx64.efi / grubnetaa64.efi, then grub/grub.cfg-01-<mac>
 *   shim,     UEFI x64 (Secure Boot)           -> shimx64.efi -> grubx64.efi (the same network GRUB), as grub
 *                                                 (Debian's images read grub/grub.cfg, which sources it)
 * pxelinux on UEFI and GRUB on BIOS fall back to iPXE, with a warning in the plan.
 * A first stage that is not on this server is never named: with `ipxeDir`
 * given, a missing iPXE binary means GRUB (ARM64) or no answer, with the
 * reason naming the Debian package to install.
 */
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_NFS_MOUNT_PORT, DEFAULT_NFS_PORT, DEFAULT_PORTMAP_PORT } from "../config/config-schema.js";
import type { FleetConfig, LoaderName, MachineFacts, ResolvedMachine, Resolver } from "../config/model.js";
import { type Clock, systemClock } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { BootEntry, BootFile, BootPlan, ChainStep, MenuPlan } from "./boot-plan.js";
import type { BootPlanner, DhcpBootSpec, FileRequester, GeneratedFile } from "./boot-planner.js";
import { type ClientArch, clientArch } from "./client-arch.js";
import { DhcpOptionError, encodeOptionValue, parseOptionCode } from "./dhcp-option-value.js";
import { type BootImage, type ImageLookup, isSafeImageName } from "./image-lookup.js";
import { COMMAND_LINE_LIMIT, consoleArgs, isSafeHostname, kernelParam, splitArgs } from "./kernel-cmdline.js";
import { fallbackServers } from "./fallback-servers.js";
import { buildLayerInitrd } from "./layer-initrd.js";
import { nfsRootArgs } from "./nfs-root-args.js";
import { macWithHyphens, parseMac } from "./mac-address.js";
import { type GrubBinaries, grubBinary, missingGrubLine, SHIM_X64 } from "./grub-files.js";
import { renderGrubConfig, renderGrubDispatch } from "./render-grub.js";
import { renderIpxeScript } from "./render-ipxe.js";
import { renderPxelinuxConfig } from "./render-pxelinux.js";
import { type SyslinuxDirs, syslinuxFile } from "./syslinux-files.js";

export interface FleetBootPlannerOptions {
  readonly config: FleetConfig;
  readonly resolver: Resolver;
  readonly images: ImageLookup;
  readonly logger?: Logger | undefined;
  /** For the mtime of generated files (the planner's birth = the config's load). */
  readonly clock?: Clock | undefined;
  /**
   * UEFI iPXE flavour: "ipxe" (ipxe.efi: iPXE's own NIC drivers, the default)
   * or "snponly" (snponly.efi: the firmware's SNP driver; for NICs iPXE has no driver for).
   */
  readonly efiBinary?: "ipxe" | "snponly" | undefined;
  /** Base URL clients reach the HTTP service at; default http://<server.address>:<services.http.port>. */
  readonly httpBase?: string | undefined;
  /** Folder of iPXE binaries also handed out over TFTP (Debian's ipxe package: /usr/lib/ipxe). */
  readonly ipxeDir?: string | undefined;
  /** Network GRUB images handed out over TFTP, by boot file name (Debian's: DEBIAN_GRUB_BINARIES). */
  readonly grubBinaries?: GrubBinaries | undefined;
  /** Folders of pxelinux.0 and its modules handed out over TFTP (Debian's pxelinux and syslinux-common). */
  readonly syslinuxDirs?: SyslinuxDirs | undefined;
  /** Seconds a menu waits when the config sets a menu without a timeout. */
  readonly defaultMenuTimeout?: number | undefined;
  /**
   * Whether the address `ip` is proven to be machine `mac` (from evidence the
   * server controls, such as the lease it granted): the layer archive of a
   * machine with secret files or settings holds them only for such a
   * requester, over HTTP and TFTP alike. Absent: never, so secrets stay on
   * the server until something can tell a machine from an impostor.
   */
  readonly isMachineAt?: ((mac: string, ip: string) => Promise<boolean>) | undefined;
}

export type PlanResult =
  | { readonly plan: BootPlan; readonly machine: ResolvedMachine; readonly reason?: undefined }
  | { readonly plan: null; readonly machine: ResolvedMachine | null; readonly reason: string };

/**
 * What the HTTP service and the API ask of a planner beyond the seam: the
 * decision with its reason, and the facts remembered for a MAC.
 */
export interface InspectableBootPlanner extends BootPlanner {
  decide(facts: MachineFacts): PlanResult;
  factsFor(mac: string, ip?: string): MachineFacts;
}

/** iPXE binaries the planner may hand out, by file name. */
export const IPXE_BINARIES: readonly string[] = [
  "undionly.kpxe",
  "ipxe.efi",
  "snponly.efi",
  "ipxe-arm64.efi",
  "snponly-arm64.efi",
];

const FACTS_MEMORY = 4096;

/** Debian's signed network GRUB for ARM64 (grub-efi-arm64-signed): the ARM64 first stage Debian ships. */
export const ARM64_GRUB = "grubnetaa64.efi";

export class FleetBootPlanner implements InspectableBootPlanner {
  readonly #config: FleetConfig;
  readonly #resolver: Resolver;
  readonly #images: ImageLookup;
  readonly #logger: Logger | undefined;
  readonly #efiBinary: "ipxe" | "snponly";
  readonly #ipxeDir: string | undefined;
  readonly #grubBinaries: GrubBinaries;
  /** Boot binaries already reported missing: one log line each, not one per retried request. */
  readonly #missingWarned = new Set<string>();
  readonly #syslinuxDirs: SyslinuxDirs | undefined;
  readonly #defaultMenuTimeout: number;
  readonly #isMachineAt: ((mac: string, ip: string) => Promise<boolean>) | undefined;
  readonly #epoch: number;
  #httpBase: string;
  /** What each MAC's firmware last told DHCP (option 93 above all), for requests that carry only a MAC. */
  readonly #facts = new Map<string, MachineFacts>();
  readonly #binaries = new Map<string, GeneratedFile>();

  constructor(options: FleetBootPlannerOptions) {
    this.#config = options.config;
    this.#resolver = options.resolver;
    this.#images = options.images;
    this.#logger = options.logger;
    this.#efiBinary = options.efiBinary ?? "ipxe";
    this.#ipxeDir = options.ipxeDir;
    this.#grubBinaries = options.grubBinaries ?? {};
    this.#syslinuxDirs = options.syslinuxDirs;
    this.#defaultMenuTimeout = options.defaultMenuTimeout ?? 5;
    this.#isMachineAt = options.isMachineAt;
    this.#epoch = (options.clock ?? systemClock).now();
    this.#httpBase = trimSlash(
      options.httpBase ?? `http://${options.config.server.address}:${options.config.services.http.port}`,
    );
  }

  /** The URL clients reach the HTTP service at (set after listening on port 0 in tests). */
  get httpBase(): string {
    return this.#httpBase;
  }

  setHttpBase(url: string): void {
    this.#httpBase = trimSlash(url);
  }

  /** Remembers what a firmware said, so a later HTTP or TFTP request by MAC plans the same way. */
  noteFacts(facts: MachineFacts): void {
    this.#facts.delete(facts.mac);
    this.#facts.set(facts.mac, facts);
    if (this.#facts.size > FACTS_MEMORY) {
      const oldest = this.#facts.keys().next().value;
      if (oldest !== undefined) this.#facts.delete(oldest);
    }
  }

  /** Facts for a request that knows only a MAC and an address: the remembered ones, with the address now seen. */
  factsFor(mac: string, ip?: string): MachineFacts {
    const known = this.#facts.get(mac);
    return { ...known, mac, ip: ip ?? known?.ip };
  }

  dhcpBoot(facts: MachineFacts): DhcpBootSpec | null {
    this.noteFacts(facts);
    const result = this.decide(facts);
    if (result.plan === null) {
      this.#logger?.debug(
        { mac: facts.mac, arch: facts.arch, reason: result.reason },
        "not booting this machine",
      );
      return null;
    }
    return result.plan.dhcp;
  }

  /** The whole decision, with the reason when there is nothing to boot. Never throws. */
  decide(facts: MachineFacts): PlanResult {
    let machine: ResolvedMachine;
    try {
      machine = this.#resolver.resolve(facts);
    } catch (err) {
      this.#logger?.error({ mac: facts.mac, err: String(err) }, "resolving a machine failed");
      return { plan: null, machine: null, reason: `resolving the machine failed: ${String(err)}` };
    }
    try {
      return this.#plan(facts, machine);
    } catch (err) {
      this.#logger?.error({ mac: facts.mac, err: String(err) }, "planning a boot failed");
      return { plan: null, machine, reason: `planning failed: ${String(err)}` };
    }
  }

  plan(facts: MachineFacts): BootPlan | null {
    return this.decide(facts).plan;
  }

  #plan(facts: MachineFacts, machine: ResolvedMachine): PlanResult {
    const no = (reason: string): PlanResult => ({ plan: null, machine, reason });
    if (!machine.known && !machine.boot_unknown.value) {
      return no(`unknown machine and boot_unknown is false (${describe(machine.boot_unknown.origin)})`);
    }
    if (!machine.image) return no("no image is set for this machine");
    const arch = clientArch(facts);
    if (arch === null) return no(`no boot binary for client architecture ${facts.arch} (DHCP option 93)`);

    const warnings: string[] = [];
    const defaultImage = this.#bootImage(machine.image.value);
    if (typeof defaultImage === "string") return no(defaultImage);

    const menuConfig = machine.menu?.value;
    const names = [machine.image.value];
    for (const name of menuConfig?.images ?? []) if (!names.includes(name)) names.push(name);
    const entries: BootEntry[] = [];
    for (const name of names) {
      const image = name === machine.image.value ? defaultImage : this.#bootImage(name);
      if (typeof image === "string") {
        warnings.push(`menu image left out: ${image}`);
        continue;
      }
      entries.push(this.#entry(machine, image, warnings));
    }

    const timeout = menuConfig ? (menuConfig.timeout ?? this.#defaultMenuTimeout) : 0;
    const menu: MenuPlan | null =
      menuConfig && timeout > 0
        ? {
            timeout,
            title: `bootfleet: ${machine.hostname ?? machine.mac}`,
            local: menuConfig.local ?? false,
            shell: menuConfig.shell ?? false,
          }
        : null;

    const chain = this.#chain(facts, machine, arch, warnings);
    if (typeof chain === "string") return no(chain);
    const dhcp: DhcpBootSpec = {
      nextServer: chain.nextServer,
      bootFile: chain.bootFile,
      options: this.#dhcpOptions(machine, arch, warnings),
    };
    const fallbacks = fallbackServers(this.#config.server.address, this.#httpBase, machine.servers?.value);
    return {
      machine,
      plan: {
        mac: machine.mac,
        hostname: machine.hostname,
        arch,
        chain,
        entries,
        menu,
        dhcp,
        fallbacks,
        warnings,
      },
    };
  }

  /** The image's version (pinned in `images:` or current in the catalog); a string says why not. */
  #bootImage(name: string): BootImage | string {
    if (!isSafeImageName(name)) return `image name "${name}" cannot be used in URLs`;
    const pinned = this.#config.images[name]?.version;
    const image = pinned ? this.#images.get(name, pinned) : this.#images.current(name);
    if (!image) {
      return pinned
        ? `image ${name} version ${pinned} (pinned in the config) is not in the image store`
        : `image ${name} has no current version (bootfleet image build/use)`;
    }
    if (!isSafeImageName(image.version))
      return `image ${name} version "${image.version}" cannot be used in URLs`;
    return image;
  }

  #entry(machine: ResolvedMachine, image: BootImage, warnings: string[]): BootEntry {
    const base = this.#httpBase;
    const imagePath = `images/${image.name}/${image.version}`;
    const file = (name: string, httpPath: string, tftpPath: string): BootFile => ({
      name,
      url: `${base}/${httpPath}`,
      httpPath,
      tftpPath,
    });
    const layersPath = `boot/${machine.mac}/layers.cpio`;
    const layersUrl = `${base}/${layersPath}`;

    const root = this.#root(machine, image, warnings);
    const args =
      root === "nfs-kernel"
        ? this.#kernelNfsArgs(machine, image, warnings)
        : this.#hookArgs(machine, image, root, layersUrl, warnings);
    if (machine.console) args.push(...consoleArgs(machine.console.value));
    const imageArgs = this.#config.images[image.name]?.kernel_args;
    if (imageArgs) args.push(...splitArgs(imageArgs));
    for (const extra of machine.kernel_args) args.push(...splitArgs(extra.value));

    const entry: BootEntry = {
      id: image.name,
      label: `${this.#config.images[image.name]?.description ?? image.name} (${image.name}@${image.version})`,
      image,
      kernel: file("vmlinuz", `${imagePath}/vmlinuz`, `${imagePath}/vmlinuz`),
      // The kernel mounts an nfs-kernel root itself: an initramfs (the
      // image's carries the client hook as /init) would run instead.
      initrds:
        root === "nfs-kernel"
          ? []
          : [
              file("initrd.img", `${imagePath}/initrd.img`, `${imagePath}/initrd.img`),
              file("layers.cpio", layersPath, `boot/${macWithHyphens(machine.mac)}/layers.cpio`),
            ],
      args,
      root,
    };
    // initrd=... and BOOTIF=01-... (about 70 bytes) are added by the loader or the renderer.
    const length = args.join(" ").length + 80;
    if (length > COMMAND_LINE_LIMIT) {
      warnings.push(`kernel command line for ${image.name} is about ${length} bytes; x86 kernels keep 2048`);
    }
    return entry;
  }

  /** The client hook's parameters (src/client-hook/bootfleet-init.sh reads them). */
  #hookArgs(
    machine: ResolvedMachine,
    image: BootImage,
    root: Exclude<BootEntry["root"], "nfs-kernel">,
    layersUrl: string,
    warnings: string[],
  ): string[] {
    const base = this.#httpBase;
    const server = this.#config.server.address;
    const services = this.#config.services;
    const imagePath = `images/${image.name}/${image.version}`;
    const args: string[] = [`bootfleet.server=${server}`];
    if (root === "ram") {
      // The hook fetches the image's squashfs into a tmpfs and checks it
      // against the manifest before mounting it: after that the client
      // reads nothing from any server.
      args.push(
        "bootfleet.root=ram",
        `bootfleet.root_url=${base}/${imagePath}/root.squashfs`,
        `bootfleet.root_sha256=${image.root!.sha256}`,
        `bootfleet.root_bytes=${image.root!.bytes}`,
      );
    } else if (root === "nfs") {
      // The version's tree from the NFS service: the hook mounts it read-only
      // and hard under the same overlay.
      args.push(`bootfleet.nfs=${server}:/images/${image.name}/${image.version}`);
    } else {
      args.push(`bootfleet.nbd=${server}:${services.nbd.port}/${image.name}@${image.version}`);
    }
    args.push(`bootfleet.http=${base}`, `bootfleet.mac=${machine.mac}`);
    if (machine.hostname) {
      if (isSafeHostname(machine.hostname)) args.push(`bootfleet.hostname=${machine.hostname}`);
      else
        warnings.push(`hostname ${JSON.stringify(machine.hostname)} is not a valid host name; not passed on`);
    }
    args.push(`bootfleet.layers=${layersUrl}`);
    if (root === "nbd-cow") args.push("bootfleet.cow=1");
    // The layer's servers hold the same image version: the hook tries them in
    // turn for the NBD root (also on every reconnect) and its HTTP fetches.
    // This server comes first unless the list places it.
    if (machine.servers?.value.length) {
      const list = machine.servers.value.includes(server)
        ? machine.servers.value
        : [server, ...machine.servers.value];
      if (list.length > 1) args.push(`bootfleet.servers=${list.join(",")}`);
    }
    if (services.syslog.enabled) args.push(`bootfleet.syslog=${server}:${services.syslog.port}`);
    for (const key of Object.keys(machine.settings).sort()) {
      const m = /^BOOTFLEET_([A-Z0-9_]+)$/.exec(key);
      if (!m?.[1]) continue;
      // The command line is in the boot script anyone may fetch, and in /proc/cmdline for every user.
      if (machine.settings[key]!.secret) {
        warnings.push(`setting ${key} is secret: not on the command line, only in secrets.env`);
        continue;
      }
      const param = kernelParam(`bootfleet.${m[1].toLowerCase()}`, machine.settings[key]!.value);
      if (param) args.push(param);
      else
        warnings.push(`setting ${key} has spaces or quotes: not on the command line, only in settings.env`);
    }
    return args;
  }

  /**
   * A kernel with NFS root built in mounts the tree itself (nfs-root-args.ts):
   * no hook runs, so the machine's layer files and settings, which reach it
   * in the hook's layer archive, are not applied.
   */
  #kernelNfsArgs(machine: ResolvedMachine, image: BootImage, warnings: string[]): string[] {
    if (Object.keys(machine.files).length > 0 || Object.keys(machine.settings).length > 0) {
      warnings.push(
        "root: nfs-kernel boots without the client hook: this machine's layer files and settings are not applied",
      );
    }
    const nfs = this.#config.services.nfs ?? {
      port: DEFAULT_NFS_PORT,
      mount_port: DEFAULT_NFS_MOUNT_PORT,
      portmap_port: DEFAULT_PORTMAP_PORT,
    };
    return nfsRootArgs(this.#config.server.address, image, nfs);
  }

  /** How this machine gets `image`'s root; a RAM root the image cannot give falls back to NBD, with a warning. */
  #root(machine: ResolvedMachine, image: BootImage, warnings: string[]): BootEntry["root"] {
    const nbd = machine.nbd.cow.value ? "nbd-cow" : "nbd";
    const mode = machine.root.value;
    if (mode === "nfs" || mode === "nfs-kernel") {
      if (!this.#config.services.nfs?.enabled)
        warnings.push(`root: ${mode}, but services.nfs is not enabled: the client will find no NFS server`);
      if (machine.nbd.cow.value)
        warnings.push(`nbd.cow does nothing with root: ${mode} (the NFS export is read-only)`);
      return mode;
    }
    if (machine.root.value !== "ram") return nbd;
    if (!image.root) {
      warnings.push(
        `root: ram, but ${image.name}@${image.version} has no manifest with its squashfs's sha256 to check a download against: served over NBD`,
      );
      return nbd;
    }
    if (machine.nbd.cow.value)
      warnings.push(
        "nbd.cow does nothing with root: ram (the root is in the client's RAM, not on this server)",
      );
    return "ram";
  }

  /** The chain, or why this machine has none (its first stage is not on this server). */
  #chain(
    facts: MachineFacts,
    machine: ResolvedMachine,
    arch: ClientArch,
    warnings: string[],
  ): ChainStep | string {
    const hy = macWithHyphens(machine.mac);
    const nextServer = machine.dhcp.next_server?.value ?? this.#config.server.address;
    const ipxeStep = (bootFile: string): ChainStep => ({
      loader: "ipxe",
      bootFile,
      nextServer,
      configPath: `boot/${machine.mac}.ipxe`,
    });
    const grubStep = (): ChainStep => ({
      loader: "grub",
      bootFile: arch.cpu === "arm64" ? ARM64_GRUB : "grubnetx64.efi",
      nextServer,
      configPath: `grub/grub.cfg-01-${hy}`,
    });
    let step: ChainStep;
    const wanted: LoaderName = machine.loader.value;
    if (wanted === "pxelinux" && arch.firmware === "bios") {
      // Before the iPXE test: on BIOS the planner never chains iPXE for a
      // pxelinux machine, so an iPXE here is the NIC's own ROM (QEMU's, many
      // onboard NICs). iPXE offers the PXE API pxelinux.0 runs on, and
      // pxelinux takes the ROM's cached DHCP reply instead of asking again,
      // so this does not loop; handing the ROM the iPXE script instead would
      // ignore the loader the config asks for.
      step = { loader: "pxelinux", bootFile: "pxelinux.0", nextServer, configPath: `pxelinux.cfg/01-${hy}` };
    } else if (facts.ipxe) {
      // iPXE is running (ours, chained by the step below, or a NIC's own ROM): hand it the script.
      step = ipxeStep(`${this.#httpBase}/boot/${machine.mac}.ipxe`);
    } else if (arch.httpBoot) {
      if (wanted !== "ipxe")
        warnings.push(`loader ${wanted} is not offered to UEFI HTTP boot clients; chaining iPXE`);
      const binary = this.#ipxeBinary(arch);
      if (!this.#ipxeInstalled(binary)) return this.#noIpxe(binary, arch);
      step = ipxeStep(`${this.#httpBase}/ipxe/${binary}`);
    } else if (wanted === "shim" && arch.firmware === "uefi" && arch.cpu === "x86_64") {
      // Secure Boot: the firmware trusts Microsoft's signature on Debian's
      // shim; shim asks the same TFTP folder for grubx64.efi and trusts
      // Debian's signature on it (the network GRUB, see grub-files.ts), and
      // GRUB asks shim to verify the kernel. The initrds are not verified.
      step = { loader: "grub", bootFile: SHIM_X64, nextServer, configPath: `grub/grub.cfg-01-${hy}` };
    } else if ((wanted === "grub" || wanted === "shim") && arch.firmware === "uefi") {
      if (wanted === "shim")
        warnings.push(`loader shim is offered to UEFI x64 machines only; GRUB boots this ${arch.label} one`);
      step = grubStep();
    } else {
      const binary = this.#ipxeBinary(arch);
      if (this.#ipxeInstalled(binary)) {
        if (wanted !== "ipxe")
          warnings.push(`loader ${wanted} does not boot ${arch.label} machines; chaining iPXE`);
        step = ipxeStep(binary);
      } else if (arch.cpu === "arm64" && this.#grubInstalled(ARM64_GRUB)) {
        warnings.push(`${binary} is not installed (Debian's ipxe package has no ARM64 build); GRUB boots it`);
        step = grubStep();
      } else return this.#noIpxe(binary, arch);
    }
    const override = machine.dhcp.filename?.value;
    // The config's `filename` (a boot file an existing setup names per host, as
    // in dhcpd.conf) wins for the first stage, but not
    // over a running iPXE: that would loop it back into the same binary.
    if (override && !facts.ipxe) step = { ...step, bootFile: override };
    return step;
  }

  /** Whether an iPXE binary can be handed out; without `ipxeDir` nobody can tell, so it counts as there. */
  #ipxeInstalled(name: string): boolean {
    return this.#ipxeDir === undefined || existsSync(join(this.#ipxeDir, name));
  }

  #grubInstalled(name: string): boolean {
    const grub = grubBinary(name, this.#grubBinaries);
    return grub !== null && existsSync(grub.path);
  }

  /** Why a machine whose iPXE binary is missing gets no answer, naming what to install. */
  #noIpxe(binary: string, arch: ClientArch): string {
    const where = `${binary} is not in ${this.#ipxeDir}`;
    if (arch.cpu !== "arm64") return `${where}: install Debian's ipxe package`;
    const grub = grubBinary(ARM64_GRUB, this.#grubBinaries);
    if (arch.httpBoot)
      return `${where} (Debian's ipxe package has no ARM64 build) and UEFI HTTP boot is offered iPXE only: boot ARM64 machines over PXE, where GRUB (${ARM64_GRUB}) can take its place`;
    return `${where} (Debian's ipxe package has no ARM64 build), nor is GRUB: ${grub ? missingGrubLine(ARM64_GRUB, grub) : `no path known for ${ARM64_GRUB}`}`;
  }

  #ipxeBinary(arch: ClientArch): string {
    if (arch.firmware === "bios") return "undionly.kpxe";
    const flavour = this.#efiBinary === "snponly" ? "snponly" : "ipxe";
    return arch.cpu === "arm64" ? `${flavour}-arm64.efi` : `${flavour}.efi`;
  }

  #dhcpOptions(machine: ResolvedMachine, arch: ClientArch, warnings: string[]): ReadonlyMap<number, Buffer> {
    const options = new Map<number, Buffer>();
    if (machine.hostname && isSafeHostname(machine.hostname)) options.set(12, Buffer.from(machine.hostname));
    const rootPath = machine.dhcp.root_path?.value;
    if (rootPath) options.set(17, Buffer.from(rootPath));
    // UEFI HTTP boot: the firmware takes an offer only when it echoes the
    // vendor class "HTTPClient" (UEFI 2.x, "HTTP Boot", DHCP options).
    if (arch.httpBoot) options.set(60, Buffer.from("HTTPClient"));
    for (const [code, value] of Object.entries(machine.dhcp.options?.value ?? {})) {
      try {
        const n = parseOptionCode(code);
        options.set(n, encodeOptionValue(n, value));
      } catch (err) {
        if (!(err instanceof DhcpOptionError)) throw err;
        warnings.push(err.message);
      }
    }
    return options;
  }

  ipxeScript(facts: MachineFacts): string | null {
    const plan = this.plan(facts);
    return plan ? renderIpxeScript(plan) : null;
  }

  /** The machine's layer archive; secret files and settings only with `includeSecrets`. */
  layerInitrd(facts: MachineFacts, options: { readonly includeSecrets?: boolean } = {}): Buffer | null {
    const result = this.decide(facts);
    if (result.plan === null) return null;
    return buildLayerInitrd(result.machine, {
      mtime: Math.floor(this.#epoch / 1000),
      includeSecrets: options.includeSecrets,
    });
  }

  /** Whether `ip` may have the machine's secrets: asked only for machines that have some. */
  async #secretsFor(facts: MachineFacts, ip: string): Promise<boolean> {
    if (!this.#isMachineAt) return false;
    let machine: ResolvedMachine;
    try {
      machine = this.#resolver.resolve(facts);
    } catch {
      return false;
    }
    const hasSecrets =
      Object.values(machine.settings).some((v) => v.secret) ||
      Object.values(machine.files).some((v) => v.secret);
    if (!hasSecrets) return false;
    try {
      return (await this.#isMachineAt(machine.mac, ip)) === true;
    } catch (err) {
      this.#logger?.warn(
        { mac: machine.mac, ip, err: String(err) },
        "could not tell whether this address is the machine; its secrets are left out",
      );
      return false;
    }
  }

  async generatedFile(path: string, who: FileRequester): Promise<GeneratedFile | null> {
    const text = (body: string, contentType = "text/plain; charset=utf-8"): GeneratedFile => ({
      body: Buffer.from(body, "utf8"),
      contentType,
      mtime: this.#epoch,
    });
    const facts = (mac: string): MachineFacts => this.factsFor(mac, who.ip);
    const p = path.replace(/^\/+/, "");
    let m: RegExpExecArray | null;

    if ((m = /^boot\/([^/]+)\.ipxe$/.exec(p))) {
      const mac = parseMac(m[1]!);
      if (!mac) return null;
      const plan = this.plan(facts(mac));
      return plan ? text(renderIpxeScript(plan)) : null;
    }
    if ((m = /^boot\/([^/]+)\/layers\.cpio$/.exec(p))) {
      const mac = parseMac(m[1]!);
      if (!mac) return null;
      const includeSecrets = await this.#secretsFor(facts(mac), who.ip);
      const body = this.layerInitrd(facts(mac), { includeSecrets });
      return body ? { body, contentType: "application/x-cpio", mtime: this.#epoch } : null;
    }
    if ((m = /^pxelinux\.cfg\/01-([0-9a-fA-F-]{17})$/.exec(p))) {
      const mac = parseMac(m[1]!);
      if (!mac) return null;
      const plan = this.plan(facts(mac));
      return plan ? text(renderPxelinuxConfig(plan)) : null;
    }
    if ((m = /^(?:grub\/)?grub\.cfg-01-([0-9a-fA-F-]{17})$/.exec(p))) {
      const mac = parseMac(m[1]!);
      if (!mac) return null;
      const plan = this.plan(facts(mac));
      return plan ? text(renderGrubConfig(plan)) : null;
    }
    // What Debian's grubnetx64.efi really asks for (render-grub.ts): hands on to grub.cfg-01-<mac>.
    if (p === "grub/grub.cfg") return { ...text(renderGrubDispatch()), unlessOnDisk: true };
    if ((m = /^(?:ipxe\/)?([a-z0-9-]+\.(?:kpxe|efi))$/.exec(p)) && IPXE_BINARIES.includes(m[1]!)) {
      return this.#ipxeDir ? this.#packagedFile(m[1]!, join(this.#ipxeDir, m[1]!)) : null;
    }
    const syslinux = this.#syslinuxDirs ? syslinuxFile(p, this.#syslinuxDirs) : null;
    if (syslinux) {
      return this.#packagedFile(p, syslinux.path, {
        debianPackage: syslinux.debianPackage,
        line: () =>
          `${p} is not installed at ${syslinux.path}: install Debian's ${syslinux.debianPackage} package ` +
          `('apt-get install ${syslinux.debianPackage}')`,
      });
    }
    const grub = grubBinary(p, this.#grubBinaries);
    if (grub) {
      return this.#packagedFile(p, grub.path, {
        debianPackage: grub.debianPackage,
        line: () => missingGrubLine(p, grub),
      });
    }
    if ((m = /^images\/([^/]+)\/([^/]+)\/(vmlinuz|initrd\.img)$/.exec(p))) {
      // For TFTP-only loaders (pxelinux.0, GRUB): the same files the HTTP service streams.
      const image = isSafeImageName(m[1]!) && isSafeImageName(m[2]!) ? this.#images.get(m[1]!, m[2]!) : null;
      if (!image) return null;
      const file = m[3] === "vmlinuz" ? image.kernel : image.initrd;
      try {
        const [body, st] = await Promise.all([readFile(file), stat(file)]);
        return { body, contentType: "application/octet-stream", mtime: st.mtimeMs };
      } catch (err) {
        this.#logger?.warn({ file, err: String(err) }, "image file missing");
        return null;
      }
    }
    return null;
  }

  /**
   * A boot binary from a Debian package's folder, read once and kept: iPXE's
   * from `ipxe`, grubnetx64.efi / grubnetaa64.efi from the signed GRUB
   * package, pxelinux.0 and its modules from pxelinux / syslinux-common.
   * Missing: null, so the TFTP service looks in its root next; `missing`
   * then names the package once per file (the firmware only says "TFTP
   * error" or times out).
   */
  async #packagedFile(
    name: string,
    path: string,
    missing?: { readonly debianPackage: string; readonly line: () => string },
  ): Promise<GeneratedFile | null> {
    const cached = this.#binaries.get(name);
    if (cached) return cached;
    try {
      const [body, st] = await Promise.all([readFile(path), stat(path)]);
      const generated: GeneratedFile = { body, contentType: "application/octet-stream", mtime: st.mtimeMs };
      this.#binaries.set(name, generated);
      return generated;
    } catch {
      if (missing && !this.#missingWarned.has(name)) {
        this.#missingWarned.add(name);
        this.#logger?.warn(
          { file: path, package: missing.debianPackage },
          `${missing.line()}; until then it is looked for in the TFTP root`,
        );
      }
      return null;
    }
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function describe(origin: { layer: string; name: string }): string {
  if (origin.layer === "builtin") return "built-in default";
  if (origin.layer === "api") return origin.name;
  return `set by ${origin.layer} ${origin.name}`;
}
