/** Numbers of NFS version 3 (RFC 1813 section 2 and 3). */

export const NFS_VERSION = 3;

/** Procedures (section 3). */
export const NFSPROC3_NULL = 0;
export const NFSPROC3_GETATTR = 1;
export const NFSPROC3_SETATTR = 2;
export const NFSPROC3_LOOKUP = 3;
export const NFSPROC3_ACCESS = 4;
export const NFSPROC3_READLINK = 5;
export const NFSPROC3_READ = 6;
export const NFSPROC3_WRITE = 7;
export const NFSPROC3_CREATE = 8;
export const NFSPROC3_MKDIR = 9;
export const NFSPROC3_SYMLINK = 10;
export const NFSPROC3_MKNOD = 11;
export const NFSPROC3_REMOVE = 12;
export const NFSPROC3_RMDIR = 13;
export const NFSPROC3_RENAME = 14;
export const NFSPROC3_LINK = 15;
export const NFSPROC3_READDIR = 16;
export const NFSPROC3_READDIRPLUS = 17;
export const NFSPROC3_FSSTAT = 18;
export const NFSPROC3_FSINFO = 19;
export const NFSPROC3_PATHCONF = 20;
export const NFSPROC3_COMMIT = 21;

/** nfsstat3 (section 2.6), the ones this server answers. */
export const NFS3_OK = 0;
export const NFS3ERR_PERM = 1;
export const NFS3ERR_NOENT = 2;
export const NFS3ERR_IO = 5;
export const NFS3ERR_ACCES = 13;
export const NFS3ERR_NOTDIR = 20;
export const NFS3ERR_ISDIR = 21;
export const NFS3ERR_INVAL = 22;
export const NFS3ERR_ROFS = 30;
export const NFS3ERR_NAMETOOLONG = 63;
export const NFS3ERR_STALE = 70;
export const NFS3ERR_BADHANDLE = 10001;
export const NFS3ERR_BAD_COOKIE = 10003;
export const NFS3ERR_NOTSUPP = 10004;
export const NFS3ERR_TOOSMALL = 10005;
export const NFS3ERR_SERVERFAULT = 10006;

/** ftype3 (section 2.6). */
export const NF3REG = 1;
export const NF3DIR = 2;
export const NF3BLK = 3;
export const NF3CHR = 4;
export const NF3LNK = 5;
export const NF3SOCK = 6;
export const NF3FIFO = 7;

/** ACCESS bits (section 3.3.4). */
export const ACCESS3_READ = 0x01;
export const ACCESS3_LOOKUP = 0x02;
export const ACCESS3_MODIFY = 0x04;
export const ACCESS3_EXTEND = 0x08;
export const ACCESS3_DELETE = 0x10;
export const ACCESS3_EXECUTE = 0x20;

/** FSINFO properties (section 3.3.19). */
export const FSF3_LINK = 0x01;
export const FSF3_SYMLINK = 0x02;
export const FSF3_HOMOGENEOUS = 0x08;
export const FSF3_CANSETTIME = 0x10;

/** nfs_fh3 is at most 64 bytes (NFS3_FHSIZE). */
export const NFS3_FHSIZE = 64;
/** cookieverf3 and writeverf3 are 8 bytes. */
export const NFS3_COOKIEVERFSIZE = 8;
/**
 * filename3 and nfspath3 are strings without a bound in RFC 1813; names
 * longer than Linux's NAME_MAX and paths longer than PATH_MAX never exist
 * in an image, so longer ones are malformed here.
 */
export const MAX_NAME_BYTES = 255;
export const MAX_PATH_BYTES = 4096;
