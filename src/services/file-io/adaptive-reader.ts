/**
 * Reads from an export's file, opportunistically synchronous. An image being
 * served is almost always in the page cache, and there a `pread` costs a few
 * microseconds, while handing it to libuv's thread pool costs a futex wake, a
 * thread switch and an eventfd round trip, several times the read itself:
 * random 4 KiB reads ran at about half of nbdkit's rate that way. So a read
 * is done in place while reads are fast. The reader keeps a moving average
 * of how long reads in place take; when it passes `SLOW_AVERAGE_NS` the page
 * cache is missing and a disk answers, and this file's reads go to the
 * thread pool for `COLD_NS`, after which reads in place are tried again. One
 * disk seek (several ms) is enough to pass it; one read that was slow
 * because a busy machine preempted the thread is not, and a cache miss on an
 * SSD (~0.1 ms) costs the loop no more than serving a request does. The
 * event loop is thus blocked by one or two disk seeks per file per `COLD_NS`.
 */
import { readSync } from "node:fs";
import { preadFd } from "./fd-promises.js";

/** A moving average of reads in place above this means the page cache is missing. */
const SLOW_AVERAGE_NS = 1_000_000;
/** How long a file's reads stay in the thread pool after it was found cold. */
const COLD_NS = 1_000_000_000n;
/**
 * Reads larger than this always go to the thread pool: there the copy out of
 * the page cache runs on another core while the loop writes earlier replies
 * to the sockets. nbdcopy's 256 KiB reads went from 0.90x nbd-server (one
 * connection) and 0.79x nbdkit (four) done in place to 1.01-1.11x and
 * 0.81-0.86x this way. Up to 128 KiB they stay in place: that is the
 * kernel's default readahead, the largest read a booting machine makes
 * (a recorded Debian boot: 1,134 reads, 130 of them 64-128 KiB, none
 * larger), and for such a read the round trip through the pool costs the
 * loop more than the copy it moves away (bench/storm).
 */
const SYNC_READ_MAX_BYTES = 128 * 1024;

/** Chooses, per file, between a read in place and one in the thread pool. */
export class AdaptiveReader {
  readonly #fd: number;
  #coldUntil = 0n;
  /** Exponential moving average of the latency of reads in place, ns (weight 1/8). */
  #average = 0;

  constructor(fd: number) {
    this.#fd = fd;
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (length > SYNC_READ_MAX_BYTES) return preadFd(this.#fd, buffer, offset, length, position);
    const start = process.hrtime.bigint();
    if (start < this.#coldUntil) return preadFd(this.#fd, buffer, offset, length, position);
    let n: number;
    try {
      n = readSync(this.#fd, buffer, offset, length, position);
    } catch (err) {
      return Promise.reject(err);
    }
    const end = process.hrtime.bigint();
    const took = Number(end - start);
    this.#average += (took - this.#average) / 8;
    if (this.#average > SLOW_AVERAGE_NS) {
      this.#coldUntil = end + COLD_NS;
      this.#average = 0;
    }
    return Promise.resolve(n);
  }
}
