import type { SyslogMessage } from "./syslog-message.js";

/**
 * Encodes a message in RFC 5424 form (the round-trip partner of
 * decodeSyslog, and what a forwarder would send). null fields become the
 * NILVALUE; PARAM-VALUE escapes '"', '\' and ']' (6.3.3); the timestamp is
 * written in UTC with milliseconds.
 */
export function encodeRfc5424(msg: Omit<SyslogMessage, "format">): Buffer {
  const nil = (v: string | null) => (v === null || v === "" ? "-" : v);
  const ts = msg.timestamp === null ? "-" : new Date(msg.timestamp).toISOString();
  const sd =
    msg.structuredData.length === 0
      ? "-"
      : msg.structuredData
          .map(
            (e) =>
              `[${e.id}${e.params.map((p) => ` ${p.name}="${p.value.replace(/["\\\]]/g, (c) => `\\${c}`)}"`).join("")}]`,
          )
          .join("");
  const head = `<${msg.facility * 8 + msg.severity}>1 ${ts} ${nil(msg.hostname)} ${nil(msg.app)} ${nil(msg.procid)} ${nil(msg.msgid)} ${sd}`;
  const parts = [Buffer.from(head, "utf8")];
  if (msg.message !== "" || msg.bom) {
    parts.push(Buffer.from(" "));
    if (msg.bom) parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
    parts.push(Buffer.from(msg.message, "utf8"));
  }
  return Buffer.concat(parts);
}
