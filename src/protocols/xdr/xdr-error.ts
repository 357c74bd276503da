/**
 * Raised for bytes that are not the XDR (RFC 4506) the caller expected: a
 * field past the end, a length over its declared maximum, a boolean that is
 * neither 0 nor 1. The codecs built on XDR (ONC RPC, portmapper, MOUNT,
 * NFSv3) raise it too, or a subclass, so a service catches one type; the
 * message names the field and the offset for the one log line written.
 */
export class XdrError extends Error {
  override readonly name: string = "XdrError";
}
