/**
 * How a transmission request fails. A RequestError carries the NBD error
 * value to answer with (proto.md "Error values"); its message goes into
 * structured error replies. Anything else a request throws is a host
 * failure: it is logged and answered with the NBD error for its errno.
 */
import { NBD_EIO, NBD_ENOSPC } from "../../protocols/nbd/nbd-constants.js";

export class RequestError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

/** The NBD error for what a request threw; proto.md asks to map a full disk or quota to NBD_ENOSPC. */
export function errnoOf(err: unknown): number {
  if (err instanceof RequestError) return err.errno;
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG" ? NBD_ENOSPC : NBD_EIO;
}
