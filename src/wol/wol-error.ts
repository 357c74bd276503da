/** A MAC or SecureOn password that cannot go into a magic packet; the message says which and why. */
export class WolError extends Error {
  override readonly name = "WolError";
}
