/** The TFTP service's tunables, their defaults, and how a partial set is completed. */
import { DEFAULT_MAX_TRANSFERS, DEFAULT_MAX_TRANSFERS_PER_CLIENT } from "../../config/config-schema.js";

export interface TftpServiceOptions {
  /** Transfers running at once; RRQs beyond are dropped (the client retries). */
  readonly maxTransfers: number;
  /** `services.tftp.max_transfers_per_client`: transfers one address runs at once; its RRQs beyond are dropped. */
  readonly maxTransfersPerClient: number;
  /** `services.tftp.case_insensitive`: fall back to a case-insensitive match when the exact name is missing. */
  readonly caseInsensitive: boolean;
  /** First retransmission delay, ms. */
  readonly retransmitMs: number;
  /** Ceiling of the doubling retransmission delay, ms. */
  readonly maxRetransmitMs: number;
  /** Retransmissions in a row without an answer before a transfer is dropped. */
  readonly maxRetries: number;
  /** Deadline for one whole transfer, ms. */
  readonly transferTimeoutMs: number;
  /** Largest blksize granted (RFC 2348 allows up to 65464). */
  readonly maxBlksize: number;
  /** Largest windowsize granted (RFC 7440). */
  readonly maxWindowsize: number;
  /** Cap on blksize * windowsize. */
  readonly maxWindowBytes: number;
  /**
   * Files larger than this (or than the file cache's budget) are streamed
   * from disk per transfer, not kept in memory.
   */
  readonly cacheMaxFileBytes: number;
  /** Read size for streamed files. */
  readonly readChunkBytes: number;
}

export const defaultTftpServiceOptions: TftpServiceOptions = Object.freeze({
  maxTransfers: DEFAULT_MAX_TRANSFERS,
  maxTransfersPerClient: DEFAULT_MAX_TRANSFERS_PER_CLIENT,
  caseInsensitive: false,
  retransmitMs: 1000,
  maxRetransmitMs: 8000,
  maxRetries: 6,
  transferTimeoutMs: 30 * 60_000,
  maxBlksize: 65464,
  maxWindowsize: 64,
  maxWindowBytes: 1 << 20,
  cacheMaxFileBytes: 128 << 20,
  readChunkBytes: 2 << 20,
});

/** The defaults, overridden by every option given (an option set to undefined keeps its default); frozen. */
export function tftpServiceOptions(given: Partial<TftpServiceOptions> = {}): TftpServiceOptions {
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  return Object.freeze({ ...defaultTftpServiceOptions, ...set });
}
