/**
 * Hands out copy-on-write layers to connections. A discarded layer belongs
 * to one connection. A kept layer (per machine) is shared by every
 * connection of that machine to that export version, so two connections
 * (a client with several sockets, or a reconnect racing the old socket's
 * close) see one set of writes instead of overwriting each other's file.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CowOverlay } from "./cow-overlay.js";
import type { NbdExportHandle } from "./nbd-export-source.js";

export interface CowLease {
  readonly overlay: CowOverlay;
  /** True when the layer is shared (kept per machine): every connection sees the same writes. */
  readonly shared: boolean;
  /** Drops this connection's use; the last one closes the layer and releases the base. */
  release(): Promise<void>;
}

interface SharedLayer {
  ready: Promise<CowOverlay>;
  base: NbdExportHandle;
  refs: number;
}

/** A file name part from an export name or a MAC/IP key: no separators, no leading dot. */
function safePart(s: string): string {
  const out = s.replace(/[^A-Za-z0-9._@-]/g, "-").replace(/^\.+/, "_");
  return out === "" ? "_" : out;
}

export class CowLayers {
  readonly #dir: string;
  readonly #shared = new Map<string, SharedLayer>();
  /** Kept layers being saved and closed: a new connection waits for that before reopening the file. */
  readonly #closing = new Map<string, Promise<void>>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Where the kept layer for this export and key lives. */
  keptPath(exportName: string, keepKey: string): string {
    return join(this.#dir, safePart(exportName), `${safePart(keepKey)}.cow`);
  }

  /**
   * A layer over `handle` for one connection. The lease owns `handle` from
   * here on: it is released with the layer (for a shared layer whose base
   * is already open, at once).
   */
  async acquire(handle: NbdExportHandle): Promise<CowLease> {
    const keepKey = handle.cow?.keepKey;
    if (keepKey === undefined) {
      await mkdir(this.#dir, { recursive: true });
      const path = join(this.#dir, `.discard-${process.pid}-${randomBytes(6).toString("hex")}.cow`);
      let overlay: CowOverlay;
      try {
        overlay = await CowOverlay.open(handle, { path, keep: false });
      } catch (err) {
        await handle.release();
        throw err;
      }
      return {
        overlay,
        shared: false,
        release: async () => {
          try {
            await overlay.close();
          } finally {
            await handle.release();
          }
        },
      };
    }

    const path = this.keptPath(handle.name, keepKey);
    await this.#closing.get(path);
    let layer = this.#shared.get(path);
    if (layer) {
      layer.refs++;
      // The layer reads from the base it was opened with; this connection's
      // own handle to the same version is not needed.
      await handle.release();
    } else {
      const created: SharedLayer = {
        base: handle,
        refs: 1,
        ready: mkdir(join(this.#dir, safePart(handle.name)), { recursive: true }).then(() =>
          CowOverlay.open(handle, { path, keep: true }),
        ),
      };
      layer = created;
      this.#shared.set(path, created);
      created.ready.catch(() => {
        this.#shared.delete(path);
        void handle.release();
      });
    }
    const overlay = await layer.ready;
    const current = layer;
    let released = false;
    return {
      overlay,
      shared: true,
      release: async () => {
        if (released) return;
        released = true;
        if (--current.refs > 0) return;
        this.#shared.delete(path);
        const closing = overlay.close().finally(() => current.base.release());
        this.#closing.set(
          path,
          closing.catch(() => {}),
        );
        try {
          await closing;
        } finally {
          this.#closing.delete(path);
        }
      },
    };
  }
}
