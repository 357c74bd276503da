/**
 * What image publishing needs from the shared store (docs/ha.md, split
 * roles): the versions build servers published, and which servers hold a
 * copy. Only the PostgreSQL store has it; with SQLite one server is the
 * whole fleet and there is nothing to publish.
 */
import type { ImageManifest } from "./image-manifest.js";

export interface PublishedImage {
  readonly name: string;
  readonly version: string;
  /** The server that built it (`ha.this_server`, else its `server.address`). */
  readonly builtBy: string;
  /** Where its HTTP service serves `/images/<name>/<version>/<file>`: `http://198.18.0.1:8080`. */
  readonly url: string;
  /** The build's manifest: the sha256 of every file a copy is checked against. */
  readonly manifest: ImageManifest;
  /** manifest.json as the build wrote it, so every copy of the version is the same bytes. */
  readonly manifestText: string;
  /** When it was last published, milliseconds since the epoch. */
  readonly at: number;
}

export interface ImageHolder {
  readonly name: string;
  readonly version: string;
  readonly server: string;
  readonly at: number;
}

export interface PublishedImages {
  /**
   * Records a version, and its builder as a holder. Publishing a version
   * again (`image use` of an older one on the build server) makes it the
   * latest published: the one serving servers switch to.
   */
  publish(image: PublishedImage): Promise<void>;
  /** Every published version, oldest first. */
  list(): Promise<readonly PublishedImage[]>;
  /** Records that `server` holds a complete, checked copy. */
  hold(name: string, version: string, server: string, at: number): Promise<void>;
  /** Records that `server` no longer holds it (removed there). */
  release(name: string, version: string, server: string): Promise<void>;
  holders(): Promise<readonly ImageHolder[]>;
  /** Calls `onPublished` whenever any server publishes a version (and once the listener is up). */
  follow(onPublished: () => void): Promise<void>;
  close(): Promise<void>;
}
