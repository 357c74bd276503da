/**
 * READDIR and READDIRPLUS pages (RFC 1813 sections 3.3.16 and 3.3.17).
 * A folder lists '.', '..', then its entries in the tree's order; an
 * entry's cookie is its position in that list, so the next page starts
 * after the cookie a client hands back. The tree never changes, so the
 * cookie verifier is constant per tree (its key) and old cookies stay good.
 *
 * Pages fit the client's byte counts: `count` (READDIR) and `maxcount`
 * (READDIRPLUS) bound the whole reply, `dircount` the entries' names and
 * cookies; when not even one entry fits, NFS3ERR_TOOSMALL.
 */
import { FATTR3_BYTES } from "../../protocols/nfs/encode-nfs3-result.js";
import { xdrPadding } from "../../protocols/xdr/xdr-reader.js";
import { FILE_HANDLE_BYTES } from "./file-handle.js";
import type { ImageTree, TreeEntry } from "./image-tree.js";

/** status, dir post_op_attr, cookieverf, end-of-list boolean, eof: everything but the entries. */
const PAGE_OVERHEAD = 4 + 4 + FATTR3_BYTES + 8 + 4 + 4;

export interface ListedEntry {
  readonly entry: TreeEntry;
  readonly name: string;
  readonly cookie: bigint;
}

export type DirectoryPage =
  | { readonly kind: "page"; readonly entries: readonly ListedEntry[]; readonly eof: boolean }
  | { readonly kind: "bad-cookie" }
  | { readonly kind: "too-small" };

/**
 * Entries after `cookie`. `plus`: each entry also carries attributes and a
 * handle (READDIRPLUS); `dircount` bounds names and cookies alone.
 */
export function listDirectory(
  tree: ImageTree,
  dir: TreeEntry,
  cookie: bigint,
  maxBytes: number,
  plus: { readonly dircount: number } | undefined,
): DirectoryPage {
  const children = dir.children ?? [];
  const total = children.length + 2;
  if (cookie > BigInt(total)) return { kind: "bad-cookie" };
  const entries: ListedEntry[] = [];
  let bytes = PAGE_OVERHEAD;
  let dirBytes = 0;
  for (let position = Number(cookie) + 1; position <= total; position++) {
    const child = position > 2 ? children[position - 3]! : undefined;
    const entry = child ? tree.entry(child.id)! : position === 1 ? dir : tree.entry(dir.parent)!;
    const name = child ? child.name : position === 1 ? "." : "..";
    const nameBytes = Buffer.byteLength(name);
    // more-boolean, fileid, name, cookie
    const listed = 4 + 8 + 4 + nameBytes + xdrPadding(nameBytes) + 8;
    // post_op_attr and post_op_fh3 of READDIRPLUS
    const extra = plus ? 4 + FATTR3_BYTES + 4 + 4 + FILE_HANDLE_BYTES : 0;
    if (
      bytes + listed + extra > maxBytes ||
      (plus && dirBytes + listed > plus.dircount && entries.length > 0)
    ) {
      return entries.length === 0 ? { kind: "too-small" } : { kind: "page", entries, eof: false };
    }
    bytes += listed + extra;
    dirBytes += listed;
    entries.push({ entry, name, cookie: BigInt(position) });
  }
  return { kind: "page", entries, eof: true };
}
