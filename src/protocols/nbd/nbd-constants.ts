/**
 * Numbers of the fixed-newstyle NBD protocol, as written in the NBD project's
 * doc/proto.md ("Values" section). Magic numbers are sent in network byte
 * order; 64-bit magics are bigint so they compare exactly.
 */

/** 'NBDMAGIC': first 8 bytes the server sends (proto.md "Newstyle negotiation"). */
export const NBD_INIT_MAGIC = 0x4e42444d41474943n;
/** 'IHAVEOPT': follows NBDMAGIC, and starts every option the client sends. */
export const NBD_OPTS_MAGIC = 0x49484156454f5054n;
/** Starts every option reply (proto.md "Fixed newstyle negotiation"). */
export const NBD_REP_MAGIC = 0x3e889045565a9n;
export const NBD_REQUEST_MAGIC = 0x25609513;
export const NBD_SIMPLE_REPLY_MAGIC = 0x67446698;
export const NBD_STRUCTURED_REPLY_MAGIC = 0x668e33ef;

/** Handshake flags (server, 16 bits). */
export const NBD_FLAG_FIXED_NEWSTYLE = 1 << 0;
export const NBD_FLAG_NO_ZEROES = 1 << 1;

/** Client flags (32 bits). Any other bit set means: drop the connection. */
export const NBD_FLAG_C_FIXED_NEWSTYLE = 1 << 0;
export const NBD_FLAG_C_NO_ZEROES = 1 << 1;

/** Transmission flags (16 bits). */
export const NBD_FLAG_HAS_FLAGS = 1 << 0;
export const NBD_FLAG_READ_ONLY = 1 << 1;
export const NBD_FLAG_SEND_FLUSH = 1 << 2;
export const NBD_FLAG_SEND_FUA = 1 << 3;
export const NBD_FLAG_ROTATIONAL = 1 << 4;
export const NBD_FLAG_SEND_TRIM = 1 << 5;
export const NBD_FLAG_SEND_WRITE_ZEROES = 1 << 6;
export const NBD_FLAG_SEND_DF = 1 << 7;
export const NBD_FLAG_CAN_MULTI_CONN = 1 << 8;
export const NBD_FLAG_SEND_CACHE = 1 << 10;
export const NBD_FLAG_SEND_FAST_ZERO = 1 << 11;

/** Option types. */
export const NBD_OPT_EXPORT_NAME = 1;
export const NBD_OPT_ABORT = 2;
export const NBD_OPT_LIST = 3;
export const NBD_OPT_STARTTLS = 5;
export const NBD_OPT_INFO = 6;
export const NBD_OPT_GO = 7;
export const NBD_OPT_STRUCTURED_REPLY = 8;
export const NBD_OPT_LIST_META_CONTEXT = 9;
export const NBD_OPT_SET_META_CONTEXT = 10;
export const NBD_OPT_EXTENDED_HEADERS = 11;

/** Option reply types; errors have bit 31 set. */
export const NBD_REP_ACK = 1;
export const NBD_REP_SERVER = 2;
export const NBD_REP_INFO = 3;
export const NBD_REP_META_CONTEXT = 4;
export const NBD_REP_ERR_UNSUP = 0x80000001;
export const NBD_REP_ERR_POLICY = 0x80000002;
export const NBD_REP_ERR_INVALID = 0x80000003;
export const NBD_REP_ERR_PLATFORM = 0x80000004;
export const NBD_REP_ERR_TLS_REQD = 0x80000005;
export const NBD_REP_ERR_UNKNOWN = 0x80000006;
export const NBD_REP_ERR_SHUTDOWN = 0x80000007;
export const NBD_REP_ERR_BLOCK_SIZE_REQD = 0x80000008;
export const NBD_REP_ERR_TOO_BIG = 0x80000009;

/** Information types inside NBD_REP_INFO (and requested by NBD_OPT_INFO/GO). */
export const NBD_INFO_EXPORT = 0;
export const NBD_INFO_NAME = 1;
export const NBD_INFO_DESCRIPTION = 2;
export const NBD_INFO_BLOCK_SIZE = 3;

/** Request types. */
export const NBD_CMD_READ = 0;
export const NBD_CMD_WRITE = 1;
export const NBD_CMD_DISC = 2;
export const NBD_CMD_FLUSH = 3;
export const NBD_CMD_TRIM = 4;
export const NBD_CMD_CACHE = 5;
export const NBD_CMD_WRITE_ZEROES = 6;
export const NBD_CMD_BLOCK_STATUS = 7;

/** Command flags. */
export const NBD_CMD_FLAG_FUA = 1 << 0;
export const NBD_CMD_FLAG_NO_HOLE = 1 << 1;
export const NBD_CMD_FLAG_DF = 1 << 2;
export const NBD_CMD_FLAG_REQ_ONE = 1 << 3;
export const NBD_CMD_FLAG_FAST_ZERO = 1 << 4;

/** Structured reply flags and chunk types. */
export const NBD_REPLY_FLAG_DONE = 1 << 0;
export const NBD_REPLY_TYPE_NONE = 0;
export const NBD_REPLY_TYPE_OFFSET_DATA = 1;
export const NBD_REPLY_TYPE_OFFSET_HOLE = 2;
export const NBD_REPLY_TYPE_BLOCK_STATUS = 5;
export const NBD_REPLY_TYPE_ERROR = 0x8001;
export const NBD_REPLY_TYPE_ERROR_OFFSET = 0x8002;

/** base:allocation status flags. */
export const NBD_STATE_HOLE = 1 << 0;
export const NBD_STATE_ZERO = 1 << 1;

/** Error values (proto.md "Error values"); not the host's errno. */
export const NBD_EPERM = 1;
export const NBD_EIO = 5;
export const NBD_ENOMEM = 12;
export const NBD_EINVAL = 22;
export const NBD_ENOSPC = 28;
export const NBD_EOVERFLOW = 75;
export const NBD_ENOTSUP = 95;
export const NBD_ESHUTDOWN = 108;

/** Fixed sizes on the wire. */
export const NBD_GREETING_BYTES = 18; // NBDMAGIC + IHAVEOPT + 16-bit flags
export const NBD_CLIENT_FLAGS_BYTES = 4;
export const NBD_OPTION_HEADER_BYTES = 16; // IHAVEOPT + option + length
export const NBD_OPTION_REPLY_HEADER_BYTES = 20; // magic(8) + option + type + length
export const NBD_REQUEST_HEADER_BYTES = 28; // magic + flags + type + handle(8) + offset(8) + length
export const NBD_SIMPLE_REPLY_HEADER_BYTES = 16; // magic + error + handle(8)
export const NBD_STRUCTURED_REPLY_HEADER_BYTES = 20; // magic + flags + type + handle(8) + length

/**
 * Strings (export names, descriptions, messages) MUST be no longer than 4096
 * bytes (proto.md "Conventions").
 */
export const NBD_MAX_STRING_BYTES = 4096;

/**
 * The largest READ or WRITE payload a client may send or ask for; proto.md
 * "Block size constraints": lengths under 2^25 SHOULD NOT be considered a
 * denial of service, and clients SHOULD limit themselves to it.
 */
export const NBD_MAX_PAYLOAD_BYTES = 32 * 1024 * 1024;

export const optionNames: Readonly<Record<number, string>> = {
  [NBD_OPT_EXPORT_NAME]: "NBD_OPT_EXPORT_NAME",
  [NBD_OPT_ABORT]: "NBD_OPT_ABORT",
  [NBD_OPT_LIST]: "NBD_OPT_LIST",
  [NBD_OPT_STARTTLS]: "NBD_OPT_STARTTLS",
  [NBD_OPT_INFO]: "NBD_OPT_INFO",
  [NBD_OPT_GO]: "NBD_OPT_GO",
  [NBD_OPT_STRUCTURED_REPLY]: "NBD_OPT_STRUCTURED_REPLY",
  [NBD_OPT_LIST_META_CONTEXT]: "NBD_OPT_LIST_META_CONTEXT",
  [NBD_OPT_SET_META_CONTEXT]: "NBD_OPT_SET_META_CONTEXT",
  [NBD_OPT_EXTENDED_HEADERS]: "NBD_OPT_EXTENDED_HEADERS",
};

export const commandNames: Readonly<Record<number, string>> = {
  [NBD_CMD_READ]: "NBD_CMD_READ",
  [NBD_CMD_WRITE]: "NBD_CMD_WRITE",
  [NBD_CMD_DISC]: "NBD_CMD_DISC",
  [NBD_CMD_FLUSH]: "NBD_CMD_FLUSH",
  [NBD_CMD_TRIM]: "NBD_CMD_TRIM",
  [NBD_CMD_CACHE]: "NBD_CMD_CACHE",
  [NBD_CMD_WRITE_ZEROES]: "NBD_CMD_WRITE_ZEROES",
  [NBD_CMD_BLOCK_STATUS]: "NBD_CMD_BLOCK_STATUS",
};
