/** One bit per block: 32 KiB of memory per GiB of export at 4 KiB blocks. */
export class BlockBitmap {
  readonly bits: Uint8Array;
  readonly count: number;

  constructor(count: number, bits?: Uint8Array) {
    this.count = count;
    const bytes = Math.ceil(count / 8);
    if (bits && bits.length !== bytes) throw new RangeError(`bitmap of ${count} blocks needs ${bytes} bytes`);
    this.bits = bits ?? new Uint8Array(bytes);
  }

  get(i: number): boolean {
    return ((this.bits[i >>> 3]! >>> (i & 7)) & 1) === 1;
  }

  /** Sets or clears blocks first..last, both included. */
  fill(first: number, last: number, value: boolean): void {
    for (let i = first; i <= last; i++) {
      // Whole bytes at a time where the range covers them.
      if ((i & 7) === 0 && i + 7 <= last) {
        this.bits[i >>> 3] = value ? 0xff : 0;
        i += 7;
        continue;
      }
      if (value) this.bits[i >>> 3]! |= 1 << (i & 7);
      else this.bits[i >>> 3]! &= ~(1 << (i & 7));
    }
  }

  /** True when no block is set. */
  isEmpty(): boolean {
    return this.bits.every((b) => b === 0);
  }
}
