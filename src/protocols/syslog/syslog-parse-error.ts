/**
 * Raised for a syslog message or frame that cannot be read: a bad PRI, a
 * broken RFC 5424 header or STRUCTURED-DATA, an oversized or malformed
 * RFC 6587 frame. The message names the fault and, where it helps, the byte
 * offset. The UDP receiver logs one line and drops the datagram; the TCP
 * receiver closes that one connection when the framing is broken.
 */
export class SyslogParseError extends Error {
  override readonly name = "SyslogParseError";
}
