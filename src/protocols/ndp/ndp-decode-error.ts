/** Raised by `decodeNdp` for any message that RFC 4861 §6.1 says to discard; the message says exactly why. */
export class NdpDecodeError extends Error {
  override readonly name = "NdpDecodeError";
}
