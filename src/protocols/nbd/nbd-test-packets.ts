/**
 * Client messages for the codec tests, written byte by byte from the NBD
 * project's doc/proto.md rather than with the codec's own encoders, so a
 * mistake in an encoder cannot hide the same mistake in the decoder.
 *
 *   option:   C: 64 bits IHAVEOPT 0x49484156454F5054, 32 bits option,
 *             32 bits length, data                   ("Fixed newstyle negotiation")
 *   GO/INFO:  32 bits name length, name, 16 bits n, n x 16 bits info
 *                                                     ("NBD_OPT_INFO and NBD_OPT_GO")
 *   request:  32 bits 0x25609513, 16 bits flags, 16 bits type, 64 bits handle,
 *             64 bits offset, 32 bits length, data if WRITE  ("Request message")
 */

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

export const IHAVEOPT = "49484156454f5054";

/** Client flags: NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES. */
export const clientFlagsFixedNoZeroes = hex("00000003");

/** NBD_OPT_STRUCTURED_REPLY (8), no data. */
export const optStructuredReply = hex(`${IHAVEOPT} 00000008 00000000`);

/** NBD_OPT_LIST (3), no data. */
export const optList = hex(`${IHAVEOPT} 00000003 00000000`);

/** NBD_OPT_ABORT (2), no data. */
export const optAbort = hex(`${IHAVEOPT} 00000002 00000000`);

/** NBD_OPT_EXPORT_NAME (1) "disk". */
export const optExportNameDisk = hex(`${IHAVEOPT} 00000001 00000004 6469736b`);

/**
 * NBD_OPT_GO (7) for "disk" with no information requests: the exchange
 * nbd-client 3.24 makes (name length 4, "disk", count 0).
 */
export const optGoDiskNoInfo = hex(`${IHAVEOPT} 00000007 0000000a 00000004 6469736b 0000`);

/** NBD_OPT_INFO (6) for "disk" asking NBD_INFO_NAME (1), NBD_INFO_DESCRIPTION (2), NBD_INFO_BLOCK_SIZE (3). */
export const optInfoDiskThree = hex(`${IHAVEOPT} 00000006 00000010 00000004 6469736b 0003 0001 0002 0003`);

/** NBD_OPT_SET_META_CONTEXT (10) for "disk", one query "base:allocation" (15 bytes). */
export const optSetMetaBaseAllocation = hex(
  `${IHAVEOPT} 0000000a 0000001f 00000004 6469736b 00000001 0000000f ${Buffer.from("base:allocation").toString("hex")}`,
);

/** NBD_CMD_READ handle 0x0102030405060708, offset 4096, length 512. */
export const reqRead = hex("25609513 0000 0000 0102030405060708 0000000000001000 00000200");

/** NBD_CMD_WRITE with FUA, handle 9, offset 0, length 5, data "hello". */
export const reqWriteHello = hex("25609513 0001 0001 0000000000000009 0000000000000000 00000005 68656c6c6f");

/** NBD_CMD_FLUSH handle 10. */
export const reqFlush = hex("25609513 0000 0003 000000000000000a 0000000000000000 00000000");

/** NBD_CMD_DISC handle 11. */
export const reqDisc = hex("25609513 0000 0002 000000000000000b 0000000000000000 00000000");
