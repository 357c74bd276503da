/**
 * The NFSv3 arguments and results this server reads and writes (RFC 1813
 * section 3), as unions told apart by `proc`. A result carries its status;
 * the fields of the success arm (`ok`) are there only when it is NFS3_OK.
 */

/** nfstime3: seconds and nanoseconds. */
export interface NfsTime {
  readonly seconds: number;
  readonly nseconds: number;
}

/** fattr3 (section 2.6). */
export interface Fattr3 {
  readonly type: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: bigint;
  readonly used: bigint;
  readonly rdev: { readonly major: number; readonly minor: number };
  readonly fsid: bigint;
  readonly fileid: bigint;
  readonly atime: NfsTime;
  readonly mtime: NfsTime;
  readonly ctime: NfsTime;
}

export type Nfs3Args =
  | { readonly proc: "null" }
  | {
      readonly proc: "getattr" | "readlink" | "fsstat" | "fsinfo" | "pathconf";
      readonly fh: Buffer;
    }
  | { readonly proc: "lookup"; readonly dir: Buffer; readonly name: string }
  | { readonly proc: "access"; readonly fh: Buffer; readonly access: number }
  | { readonly proc: "read"; readonly fh: Buffer; readonly offset: bigint; readonly count: number }
  | {
      readonly proc: "readdir";
      readonly dir: Buffer;
      readonly cookie: bigint;
      readonly cookieverf: Buffer;
      readonly count: number;
    }
  | {
      readonly proc: "readdirplus";
      readonly dir: Buffer;
      readonly cookie: bigint;
      readonly cookieverf: Buffer;
      readonly dircount: number;
      readonly maxcount: number;
    }
  /**
   * SETATTR, WRITE, CREATE, MKDIR, SYMLINK, MKNOD, REMOVE, RMDIR, RENAME,
   * LINK, COMMIT: never carried out on a read-only export, so their
   * arguments are not read; the answer is NFS3ERR_ROFS.
   */
  | { readonly proc: "write"; readonly number: number };

export interface DirEntry {
  readonly fileid: bigint;
  readonly name: string;
  readonly cookie: bigint;
}

export interface DirEntryPlus extends DirEntry {
  readonly attr?: Fattr3 | undefined;
  readonly fh?: Buffer | undefined;
}

interface Result<P extends string, Ok> {
  readonly proc: P;
  readonly status: number;
  readonly ok?: Ok | undefined;
}

export type Nfs3Result =
  | { readonly proc: "null" }
  | Result<"getattr", { readonly attr: Fattr3 }>
  | (Result<"lookup", { readonly fh: Buffer; readonly attr?: Fattr3 | undefined }> & {
      readonly dirAttr?: Fattr3 | undefined;
    })
  | (Result<"access", { readonly access: number }> & { readonly attr?: Fattr3 | undefined })
  | (Result<"readlink", { readonly path: string }> & { readonly attr?: Fattr3 | undefined })
  | (Result<"read", { readonly count: number; readonly eof: boolean; readonly data: Buffer }> & {
      readonly attr?: Fattr3 | undefined;
    })
  | (Result<
      "readdir",
      { readonly cookieverf: Buffer; readonly entries: readonly DirEntry[]; readonly eof: boolean }
    > & { readonly dirAttr?: Fattr3 | undefined })
  | (Result<
      "readdirplus",
      { readonly cookieverf: Buffer; readonly entries: readonly DirEntryPlus[]; readonly eof: boolean }
    > & { readonly dirAttr?: Fattr3 | undefined })
  | (Result<
      "fsstat",
      {
        readonly tbytes: bigint;
        readonly fbytes: bigint;
        readonly abytes: bigint;
        readonly tfiles: bigint;
        readonly ffiles: bigint;
        readonly afiles: bigint;
        readonly invarsec: number;
      }
    > & { readonly attr?: Fattr3 | undefined })
  | (Result<
      "fsinfo",
      {
        readonly rtmax: number;
        readonly rtpref: number;
        readonly rtmult: number;
        readonly wtmax: number;
        readonly wtpref: number;
        readonly wtmult: number;
        readonly dtpref: number;
        readonly maxfilesize: bigint;
        readonly timeDelta: NfsTime;
        readonly properties: number;
      }
    > & { readonly attr?: Fattr3 | undefined })
  | (Result<
      "pathconf",
      {
        readonly linkmax: number;
        readonly nameMax: number;
        readonly noTrunc: boolean;
        readonly chownRestricted: boolean;
        readonly caseInsensitive: boolean;
        readonly casePreserving: boolean;
      }
    > & { readonly attr?: Fattr3 | undefined })
  /** NFS3ERR_ROFS for a write procedure, in that procedure's failure shape. */
  | { readonly proc: "write"; readonly number: number };
