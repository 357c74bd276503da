/**
 * The bytes a stream framer has received and not handed out yet. TCP hands
 * bytes over in any split, so a frame may start in one chunk and end three
 * chunks later; the queue keeps the chunks as they came and copies only
 * when a frame spans them, so a frame inside one chunk (the usual case) is
 * a view of it. The RPC record framer and the NBD client framer read their
 * streams through it; each checks its own lengths and limits before asking
 * for bytes, so the queue holds only what the framer chose to buffer.
 */
export class ByteQueue {
  readonly #chunks: Buffer[] = [];
  /** Bytes of #chunks[0] already consumed. */
  #head = 0;
  #length = 0;

  /** Bytes held. */
  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The first `n` bytes without consuming them (a copy only when they span chunks); at most `length`. */
  peek(n: number): Buffer {
    this.#check(n);
    if (n === 0) return Buffer.alloc(0);
    const first = this.#chunks[0]!;
    if (first.length - this.#head >= n) return first.subarray(this.#head, this.#head + n);
    return this.#copyOut(n);
  }

  /** Consumes and returns the first `n` bytes (a view when they lie in one chunk). */
  take(n: number): Buffer {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  /** Consumes the first `n` bytes. */
  skip(n: number): void {
    this.#check(n);
    this.#length -= n;
    while (n > 0) {
      const first = this.#chunks[0]!;
      const left = first.length - this.#head;
      if (n < left) {
        this.#head += n;
        return;
      }
      n -= left;
      this.#chunks.shift();
      this.#head = 0;
    }
  }

  /** Drops everything held. */
  clear(): void {
    this.#chunks.length = 0;
    this.#head = 0;
    this.#length = 0;
  }

  /** A framer asking for bytes it has not counted is a bug, not bad input. */
  #check(n: number): void {
    if (n < 0 || n > this.#length) {
      throw new RangeError(`${n} bytes asked of a queue holding ${this.#length}`);
    }
  }

  #copyOut(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let head = this.#head;
    for (const chunk of this.#chunks) {
      const count = Math.min(chunk.length - head, n - filled);
      chunk.copy(out, filled, head, head + count);
      filled += count;
      head = 0;
      if (filled === n) break;
    }
    return out;
  }
}
