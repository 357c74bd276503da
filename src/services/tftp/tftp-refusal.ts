/**
 * Why a request is refused: the TFTP error code and message the client gets
 * (RFC 1350 section 5), and the reason written to the log and the event.
 */
import { ErrorCode, errorText } from "../../protocols/tftp/tftp-packet.js";

export class TftpRefusal extends Error {
  constructor(
    readonly code: number,
    readonly clientMessage: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** A file that passed the checks but cannot be opened or read now. */
export function openFailure(e: unknown): TftpRefusal {
  if (e instanceof TftpRefusal) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new TftpRefusal(ErrorCode.FILE_NOT_FOUND, errorText[1]!, "file vanished");
  if (code === "ELOOP" || code === "EACCES" || code === "EPERM")
    return new TftpRefusal(ErrorCode.ACCESS_VIOLATION, "Access violation", `cannot open (${code})`);
  return internalFailure(e);
}

/** A failure of the server itself: the client hears only "Server error". */
export function internalFailure(e: unknown): TftpRefusal {
  return new TftpRefusal(ErrorCode.NOT_DEFINED, "Server error", (e as Error).message ?? String(e));
}
