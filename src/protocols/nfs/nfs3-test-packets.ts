/**
 * NFSv3 and MOUNT v3 arguments for the codec tests, written byte by byte
 * from RFC 1813 (section 3.3 and appendix I) rather than with encoders:
 *
 *   nfs_fh3:    opaque<64>            filename3: string
 *   LOOKUP3args: dir nfs_fh3, name    READ3args: file, offset uint64, count
 *   READDIRPLUS3args: dir, cookie uint64, cookieverf[8], dircount, maxcount
 *   MNT args:   dirpath string<1024>
 */

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** A 16-byte handle: 8 bytes of export, 8 of inode. */
export const FH = hex("0011223344556677 0000000000000001");
const fh = `00000010 ${FH.toString("hex")}`;

export const getattr = hex(fh);
/** LOOKUP "etc". */
export const lookupEtc = hex(`${fh} 00000003 65746300`);
/** LOOKUP "a/b": a slash in a name is refused. */
export const lookupSlash = hex(`${fh} 00000003 612f6200`);
/** ACCESS READ|LOOKUP|EXECUTE. */
export const access = hex(`${fh} 00000023`);
/** READ 4096 bytes at offset 2^32. */
export const read = hex(`${fh} 0000000100000000 00001000`);
/** READDIR from the start, count 4096. */
export const readdir = hex(`${fh} 0000000000000000 0000000000000000 00001000`);
/** READDIRPLUS cookie 5, verifier "verifier", dircount 1024, maxcount 8192. */
export const readdirplus = hex(`${fh} 0000000000000005 7665726966696572 00000400 00002000`);
/** A handle of 65 bytes: over NFS3_FHSIZE. */
export const getattrLongHandle = hex(`00000041 ${"00".repeat(68)}`);

/** MNT "/images/thin". */
export const mntThin = hex("0000000c 2f696d616765732f7468696e");
