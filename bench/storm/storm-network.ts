/**
 * The storm's addresses, all inside one /22 of 198.18.0.0/15 (RFC 2544,
 * addresses for benchmarks): the servers at .0.1, the client namespace at
 * .0.2, and the machines' pool over the rest, .0.16 to .3.254: 1,007
 * addresses, room for a storm of 1,000. `--subnet` moves the whole storm to
 * another /22 so a run keeps clear of other work's namespaces.
 */
export interface StormNetwork {
  /** The servers' address on the clients' bridge. */
  readonly server: string;
  /** The client namespace's address with its prefix, on the same bridge. */
  readonly client: string;
  readonly subnet: string;
  readonly netmask: string;
  readonly poolFirst: string;
  readonly poolLast: string;
  /** The pool's prefixes, which the client namespace takes as local addresses. */
  readonly poolRoutes: readonly string[];
}

export const DEFAULT_STORM_SUBNET = "198.18.200.0/22";

/** `A.B.C.0/22` with C a multiple of 4, inside 198.18.0.0/15; anything else is refused with why. */
export function stormNetwork(subnet: string): StormNetwork {
  const m = /^198\.(18|19)\.(\d{1,3})\.0\/22$/.exec(subnet);
  const third = m ? Number(m[2]) : Number.NaN;
  if (!m || third > 255 || third % 4 !== 0)
    throw new Error(
      `--subnet ${subnet}: a /22 inside 198.18.0.0/15 expected, such as ${DEFAULT_STORM_SUBNET}`,
    );
  const at = (add: number, host: number) => `198.${m[1]}.${third + add}.${host}`;
  return {
    server: at(0, 1),
    client: `${at(0, 2)}/22`,
    subnet,
    netmask: "255.255.252.0",
    poolFirst: at(0, 16),
    poolLast: at(3, 254),
    // .0.16-.0.255 as the largest prefixes that leave .0.0/28 (the servers
    // and the client namespace itself) alone, then the three /24s above.
    poolRoutes: [
      `${at(0, 16)}/28`,
      `${at(0, 32)}/27`,
      `${at(0, 64)}/26`,
      `${at(0, 128)}/25`,
      ...[1, 2, 3].map((add) => `${at(add, 0)}/24`),
    ],
  };
}
