/**
 * The one seam between the NBD service and whatever holds images. The
 * service knows nothing of images, versions or config: it asks the source
 * to open an export by the name the client sent, and gets back a handle
 * that already holds the open file. Holding the file, not the path, is what
 * lets a client keep reading the version it connected to after the image is
 * replaced (LTSP issue #132): the handle stays valid until `release()`.
 *
 * The images catalog implements this for `<image>` (current version) and
 * `<image>@<version>` (pinned); `DirectoryExportSource` implements it over
 * a folder for tests and simple setups.
 */

/** Who is asking: what the service knows about the TCP peer. */
export interface NbdClientInfo {
  /** Remote IP address as Node reports it (IPv4-mapped IPv6 already unwrapped). */
  readonly address: string;
  readonly port: number;
}

/**
 * A private copy-on-write layer over a read-only export, one per client.
 * With neither key the layer is the connection's own, discarded when it ends.
 */
export interface NbdCowSetting {
  /**
   * Present: the layer is kept across disconnects and restarts under this
   * key (the machine's MAC), per export version, until the version is
   * removed (`nbd.cow_keep`).
   */
  readonly keepKey?: string | undefined;
  /**
   * Present (and no keepKey): the layer belongs to this machine (its MAC)
   * and is held while the machine runs: after its connection ends (the
   * server restarted, crashed or lost the network) it waits for the
   * machine's reconnect, until the machine boots again or the hold time
   * runs out (`nbd.cow`).
   */
  readonly holdKey?: string | undefined;
}

export interface NbdExportInfo {
  readonly name: string;
  readonly description: string;
}

export interface NbdExportHandle {
  /** Canonical name, e.g. `debian@20261124-153000`; what NBD_INFO_NAME reports. */
  readonly name: string;
  readonly size: number;
  /** Writes are refused with EPERM unless `cow` is set. */
  readonly readOnly: boolean;
  readonly description: string;
  /** Set: writes go to a private layer for this client and the base stays untouched. */
  readonly cow?: NbdCowSetting | undefined;
  /** The client's MAC if the source knows it (for events). */
  readonly mac?: string | undefined;
  /**
   * Positional read of `length` bytes at `position` into `buffer` from
   * `offset`; resolves the count read (short only at end of file).
   */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Positional write; present only on exports that are not read-only. */
  write?(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Makes completed writes durable. */
  flush?(): Promise<void>;
  /** The connection is done with the export: close the file, drop the in-use mark. */
  release(): Promise<void>;
}

/**
 * Thrown by NbdExportSource.open when the export exists but this client may
 * not have it (a copy-on-write layer for an address no machine is proven
 * at). The handshake answers NBD_REP_ERR_POLICY with the message and closes
 * the connection: a client that is refused should not keep probing.
 */
export class NbdExportRefused extends Error {
  override readonly name = "NbdExportRefused";
}

export interface NbdExportSource {
  /**
   * The export for `name` ("" is the default export), or null when there is
   * none. Throws NbdExportRefused to refuse this client.
   */
  open(name: string, client: NbdClientInfo): Promise<NbdExportHandle | null>;
  /** What NBD_OPT_LIST answers. */
  list(): Promise<readonly NbdExportInfo[]>;
}
