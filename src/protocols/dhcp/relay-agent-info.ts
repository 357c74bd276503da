/**
 * Option 82, relay agent information (RFC 3046 §2.0): sub-options with no
 * pad or end code. The server does not interpret them but must echo the
 * whole option back in its reply to the relay (RFC 3046 §2.2).
 */
import { decodeSubOptions } from "./sub-options.js";

export const RelaySub = { CIRCUIT_ID: 1, REMOTE_ID: 2, LINK_SELECTION: 5 } as const;

export function decodeRelayAgentInfo(value: Buffer): Map<number, Buffer> {
  return decodeSubOptions(value, 82, false);
}
