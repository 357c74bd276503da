/**
 * What file names told us: client IP -> MAC, so events about a client's later
 * requests (for files whose names carry no MAC) still name the machine.
 * Bounded: the oldest address is forgotten first.
 */
const MAC_MEMORY = 4096;

export class ClientMacMemory {
  readonly #macByIp = new Map<string, string>();
  readonly #limit: number;

  constructor(limit = MAC_MEMORY) {
    this.#limit = limit;
  }

  remember(ip: string, mac: string): void {
    this.#macByIp.delete(ip);
    this.#macByIp.set(ip, mac);
    if (this.#macByIp.size > this.#limit) {
      const oldest = this.#macByIp.keys().next().value;
      if (oldest !== undefined) this.#macByIp.delete(oldest);
    }
  }

  get(ip: string): string | undefined {
    return this.#macByIp.get(ip);
  }
}
