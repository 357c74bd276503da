/**
 * The one seam between protocols and policy. DHCP, TFTP and HTTP ask these
 * questions and never learn where the answer came from; the planner knows
 * nothing of sockets. So a protocol change never touches boot policy, and
 * the planner is tested without a network.
 */
import type { MachineFacts } from "../config/model.js";

/** What DHCP tells a PXE or iPXE client about booting. */
export interface DhcpBootSpec {
  /** siaddr: the TFTP/next server. */
  readonly nextServer: string;
  /** The `file` field (option 67): a TFTP path, or an http:// URL for iPXE. */
  readonly bootFile: string;
  /**
   * Extra options to add, by code, already encoded as option payloads
   * (e.g. 17 root-path, 128/129 from the config, 12 hostname).
   */
  readonly options: ReadonlyMap<number, Buffer>;
}

export interface GeneratedFile {
  readonly body: Buffer;
  readonly contentType: string;
  /** For Last-Modified / ETag. Milliseconds since the epoch. */
  readonly mtime: number;
  /**
   * A default only: a file the administrator put at the same path in the
   * served root wins (GRUB's grub/grub.cfg, which is the same for every machine).
   */
  readonly unlessOnDisk?: boolean | undefined;
}

/** Who is asking for a generated file (TFTP and HTTP know at least the IP). */
export interface FileRequester {
  readonly ip: string;
  readonly mac?: string | undefined;
}

export interface BootPlanner {
  /** null: do not answer this machine (boot_unknown false, no image...). */
  dhcpBoot(facts: MachineFacts): DhcpBootSpec | null;
  /**
   * A file that exists only because the planner renders it (pxelinux.cfg/01-<mac>,
   * grub.cfg-01-<mac>, boot/<mac>.ipxe, the layer initrd). null: not generated,
   * look on disk. `path` is relative, without a leading slash, already checked
   * for escapes by the caller.
   */
  generatedFile(path: string, who: FileRequester): Promise<GeneratedFile | null>;
}
