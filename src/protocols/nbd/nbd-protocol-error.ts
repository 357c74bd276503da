/**
 * Raised for bytes that break a MUST of proto.md where the only answer is a
 * hard disconnect: a wrong magic, unknown client flags, an option or write
 * payload too large to buffer. The NBD service closes that one connection.
 */
export class NbdProtocolError extends Error {
  override readonly name = "NbdProtocolError";
}

/**
 * Raised by `decodeOption` for option data that is syntactically invalid
 * (a name length past the end, a NUL in a string, data where none is
 * allowed). The service answers NBD_REP_ERR_INVALID with the message and
 * keeps the connection: proto.md asks servers to error options rather than
 * disconnect.
 */
export class NbdOptionError extends Error {
  override readonly name = "NbdOptionError";
}
