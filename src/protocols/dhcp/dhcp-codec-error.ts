/**
 * Every way a DHCP packet can be malformed, each with a stable code so the
 * service can count drops per cause. The message names the exact fault
 * (offset, option code, lengths) for the one log line the service writes.
 */
export type DhcpCodecErrorCode =
  | "truncated"
  | "oversized"
  | "bad-op"
  | "bad-hlen"
  | "bad-cookie"
  | "option-overrun"
  | "bad-overload"
  | "bad-option-value";

export class DhcpCodecError extends Error {
  readonly code: DhcpCodecErrorCode;

  constructor(code: DhcpCodecErrorCode, message: string) {
    super(message);
    this.name = "DhcpCodecError";
    this.code = code;
  }
}
