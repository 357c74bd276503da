/**
 * Option 77, user class. RFC 3004 §4 defines it as one or more
 * length-prefixed class names. iPXE instead sends the bare text "iPXE"
 * (no length octet; the RFC 2132 §9.x-era "text" form), and so do some other
 * firmwares. We take the RFC 3004 form only when the lengths tile the whole
 * payload exactly, and the raw text otherwise: "iPXE" starts with 0x69 (105),
 * which can never tile 4 bytes, so it is always read as raw.
 */
export interface UserClass {
  readonly classes: readonly string[];
  /** True when the payload was not RFC 3004 encoded (iPXE's form). */
  readonly raw: boolean;
}

export function decodeUserClass(value: Buffer): UserClass {
  const classes: string[] = [];
  let i = 0;
  while (i < value.length) {
    const len = value[i]!;
    // RFC 3004 §4: each UC_Len_i is at least 1.
    if (len === 0 || i + 1 + len > value.length) {
      return { classes: [value.toString("latin1")], raw: true };
    }
    classes.push(value.toString("latin1", i + 1, i + 1 + len));
    i += 1 + len;
  }
  return classes.length === 0 ? { classes: [], raw: true } : { classes, raw: false };
}

/** RFC 3004 form, for tests and for clients we script. */
export function encodeUserClass(classes: readonly string[]): Buffer {
  return Buffer.concat(
    classes.map((c) => {
      const b = Buffer.from(c, "latin1");
      return Buffer.concat([Buffer.from([b.length]), b]);
    }),
  );
}
