/** Raised by `decode` for any packet that does not follow RFC 1350/2347; the message says exactly why. */
export class TftpDecodeError extends Error {
  override readonly name = "TftpDecodeError";
}
