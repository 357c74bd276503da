const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * Bytes of a syslog field as text: UTF-8, invalid sequences as U+FFFD.
 * With `trim`, the CR, LF and NUL that senders append to a datagram
 * (busybox, some firmware) are dropped from the end.
 */
export function syslogText(bytes: Uint8Array, trim = true): string {
  let end = bytes.length;
  if (trim) {
    while (end > 0) {
      const c = bytes[end - 1];
      if (c !== 0x0a && c !== 0x0d && c !== 0x00) break;
      end--;
    }
  }
  return utf8.decode(bytes.subarray(0, end));
}
