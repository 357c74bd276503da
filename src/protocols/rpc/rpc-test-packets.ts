/**
 * RPC messages for the codec tests, written byte by byte from RFC 5531
 * section 9 and appendix A rather than with the codec's own encoders, so a
 * mistake in an encoder cannot hide the same mistake in the decoder.
 *
 *   call:  xid, msg_type 0, rpcvers 2, prog, vers, proc,
 *          cred {flavor, opaque<400>}, verf {flavor, opaque<400>}, args
 *   AUTH_SYS body: stamp, machinename<255>, uid, gid, gids<16>
 *   record mark (section 11): bit 31 last fragment, bits 0-30 length
 */

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** Portmapper NULL (100000 v2 proc 0), AUTH_NONE, xid 0x01020304: what `rpcinfo -T tcp HOST 100000 2` sends. */
export const pmapNull = hex(
  "01020304 00000000 00000002 000186a0 00000002 00000000 00000000 00000000 00000000 00000000",
);

/**
 * Portmapper GETPORT for MOUNT v3 over TCP (mapping 100005, 3, 6, 0), AUTH_SYS
 * from machine "bf" uid 0 gid 0 with one group 0: what a kernel's mount asks.
 */
export const pmapGetportMountTcp = hex(`
  0000002a 00000000 00000002 000186a0 00000002 00000003
  00000001 0000001c 00000000 00000002 62660000 00000000 00000000 00000001 00000000
  00000000 00000000
  000186a5 00000003 00000006 00000000`);

/** The AUTH_SYS body inside pmapGetportMountTcp. */
export const authSysBf = hex("00000000 00000002 62660000 00000000 00000000 00000001 00000000");

/** A call of RPC version 3: answered RPC_MISMATCH (2, 2). */
export const rpcVersion3 = hex(
  "00000009 00000000 00000003 000186a0 00000002 00000000 00000000 00000000 00000000 00000000",
);

/** pmapNull as one TCP record, and as two fragments (4 bytes, then the rest). */
export const pmapNullRecord = Buffer.concat([hex("80000028"), pmapNull]);
export const pmapNullTwoFragments = Buffer.concat([
  hex("00000004"),
  pmapNull.subarray(0, 4),
  hex("80000024"),
  pmapNull.subarray(4),
]);
