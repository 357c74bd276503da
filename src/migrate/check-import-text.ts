/**
 * What every import input is checked for before a parser reads it: that it
 * is text of a size a configuration file has. A binary file (an archive,
 * an image, a lease database passed by mistake) is refused at its first
 * control character, with the line and column, rather than parsed into
 * thousands of errors; bytes that are not UTF-8 and whitespace other than
 * ASCII's (a no-break space pasted from a web page, U+2028) are read as
 * the parsers read them, with one warning each, since the daemon that
 * reads the file may not take them for what they look like.
 */
import type { SourceLocation } from "../config/model.js";
import type { ImportProblem } from "./import-problem.js";

/**
 * The largest input read: bytes on disk (readImportFiles), UTF-16 code
 * units once read (a UTF-8 file never decodes to more units than it has
 * bytes). A dhcpd.conf with 25,000 hosts is about 3 MiB; everything an
 * import builds grows linearly with its input.
 */
export const MAX_IMPORT_SIZE = 64 * 1024 * 1024;

const WHITESPACE = /\s/u;

export function checkImportText(file: string, text: string): ImportProblem[] {
  if (text.length > MAX_IMPORT_SIZE)
    return [
      {
        severity: "error",
        at: { file, line: 1, column: 1 },
        message: `more than ${MAX_IMPORT_SIZE / (1024 * 1024)} Mi characters: bootfleet imports configuration files of up to ${MAX_IMPORT_SIZE / (1024 * 1024)} MiB`,
        hint: "import the configuration file itself; split a generated one into several files",
      },
    ];
  const problems: ImportProblem[] = [];
  let line = 1;
  let lineStart = 0;
  let notUtf8: { at: SourceLocation; count: number } | undefined;
  let oddSpace: { at: SourceLocation; char: number; count: number } | undefined;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10) {
      line++;
      lineStart = i + 1;
      continue;
    }
    if (code < 0x80) {
      // Tab, vertical tab, form feed and carriage return are whitespace; other control characters are no text.
      if ((code < 0x20 && (code < 9 || code > 13)) || code === 0x7f) {
        return [
          {
            severity: "error",
            at: { file, line, column: i - lineStart + 1 },
            message: `binary data (byte 0x${code.toString(16).padStart(2, "0")}): this is not a text file`,
            hint: "import the configuration file itself, not an archive, image or lease database",
          },
        ];
      }
      continue;
    }
    if (code === 0xfffd) {
      if (notUtf8) notUtf8.count++;
      else notUtf8 = { at: { file, line, column: i - lineStart + 1 }, count: 1 };
      continue;
    }
    if (code === 0xfeff && i === 0) continue; // a byte-order mark
    if (WHITESPACE.test(text[i]!)) {
      if (oddSpace) oddSpace.count++;
      else oddSpace = { at: { file, line, column: i - lineStart + 1 }, char: code, count: 1 };
    }
  }
  if (notUtf8)
    problems.push({
      severity: "warning",
      at: notUtf8.at,
      message: `bytes that are not UTF-8 (${notUtf8.count} in this file), read as U+FFFD`,
      hint: "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8) and import it again",
    });
  if (oddSpace)
    problems.push({
      severity: "warning",
      at: oddSpace.at,
      message: `${describeSpace(oddSpace.char)} read as a space (${oddSpace.count} whitespace characters other than ASCII's in this file)`,
      hint: "the daemon that reads this file may take it for part of a word; replace it with a plain space",
    });
  return problems;
}

function describeSpace(code: number): string {
  const name =
    code === 0xa0
      ? " (no-break space)"
      : code === 0x2028
        ? " (line separator)"
        : code === 0x2029
          ? " (paragraph separator)"
          : code === 0xfeff
            ? " (byte-order mark inside the text)"
            : "";
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}${name}`;
}
