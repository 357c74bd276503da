/**
 * What the NFS service asks of whoever knows the exports: the tree a MOUNT
 * path names, the tree a file handle's key names, and the list EXPORT
 * shows. The service never knows where trees come from (the image catalog
 * in `bootfleet serve`, a folder in tests).
 */
import type { ImageTree } from "./image-tree.js";

export interface NfsExport {
  /** The first 8 bytes of every file handle into this tree (file-handle.ts). */
  readonly key: string;
  readonly tree: ImageTree;
  /** What it is, for log lines: "thin@20261124-153000 root". */
  readonly description: string;
}

export interface NfsExportSource {
  /** The export a MNT path names; undefined when there is none. */
  mount(path: string): Promise<NfsExport | undefined>;
  /** The export of a handle's key; undefined when this server holds no such tree (NFS3ERR_STALE). */
  byKey(key: string): Promise<NfsExport | undefined>;
  /** The paths a client may mount, for MOUNT's EXPORT. */
  list(): Promise<readonly string[]>;
}
