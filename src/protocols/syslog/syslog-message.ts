/**
 * A syslog message after decoding, whichever format it came in: RFC 5424
 * (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`) or the BSD format that
 * RFC 3164 describes (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`).
 * Absent fields (5424's NILVALUE "-", or not present in 3164) are null.
 */
export interface SyslogMessage {
  readonly format: "rfc5424" | "rfc3164";
  /** PRI / 8: 0 kern, 1 user, ... 16-23 local0-7 (RFC 5424 6.2.1). */
  readonly facility: number;
  /** PRI % 8: 0 emerg ... 7 debug. */
  readonly severity: number;
  /** Milliseconds since the epoch; null when absent (or 3164 without a reference time). */
  readonly timestamp: number | null;
  readonly hostname: string | null;
  /** APP-NAME (5424) or TAG (3164). */
  readonly app: string | null;
  readonly procid: string | null;
  /** 5424 MSGID; always null for 3164. */
  readonly msgid: string | null;
  readonly structuredData: readonly SdElement[];
  /** MSG, decoded as UTF-8 (invalid bytes become U+FFFD), trailing CR/LF/NUL removed. */
  readonly message: string;
  /** MSG began with the UTF-8 BOM (RFC 5424 6.4), which is not part of `message`. */
  readonly bom: boolean;
}

/** RFC 5424 6.3.1 SD-ELEMENT: an SD-ID and its parameters, in order (names may repeat). */
export interface SdElement {
  readonly id: string;
  readonly params: readonly SdParam[];
}

export interface SdParam {
  readonly name: string;
  readonly value: string;
}

/** Options for decoding; the codec reads no clock and no time zone of its own. */
export interface DecodeSyslogOptions {
  /**
   * Reference time (ms since the epoch) for RFC 3164 timestamps, which carry
   * no year (RFC 3164 4.1.2): the year that puts the date nearest `now` wins.
   * Without it a 3164 timestamp decodes as null.
   */
  readonly now?: number | undefined;
  /** The sender's UTC offset in minutes for 3164 local times (default 0, UTC). */
  readonly utcOffsetMinutes?: number | undefined;
}
