/**
 * The portmapper (RFC 1833 version 2) of this server alone: it knows the
 * ports of its own MOUNT and NFS programs and nothing else. Clients that
 * ask port 111 before mounting (the kernel's mount, showmount, rpcinfo,
 * libnfs) find them without a system rpcbind; SET and UNSET are refused,
 * since no other program registers here.
 */
import {
  decodePortmapArgs,
  encodePortmapList,
  PMAP_VERSION,
  type PortMapping,
} from "../../protocols/rpc/portmap-codec.js";
import { PROG_PORTMAP } from "../../protocols/rpc/rpc-constants.js";
import { type RpcOutcome, type RpcProgram, success } from "./rpc-program.js";

export class PortmapProgram implements RpcProgram {
  readonly prog = PROG_PORTMAP;
  readonly lowVersion = PMAP_VERSION;
  readonly highVersion = PMAP_VERSION;
  readonly #mappings: readonly PortMapping[];

  constructor(mappings: readonly PortMapping[]) {
    this.#mappings = mappings;
  }

  call(proc: number, args: Buffer): RpcOutcome {
    const a = decodePortmapArgs(proc, args);
    if (a === undefined) return { stat: "proc-unavail" };
    switch (a.proc) {
      case "null":
        return success(() => {}, 0);
      case "set":
      case "unset":
        return success((w) => w.bool(false), 4);
      case "getport": {
        const { prog, vers, prot } = a.mapping;
        const m = this.#mappings.find((x) => x.prog === prog && x.vers === vers && x.prot === prot);
        return success((w) => w.uint32(m?.port ?? 0), 4);
      }
      case "dump":
        return success((w) => encodePortmapList(w, this.#mappings), 4 + this.#mappings.length * 20);
    }
  }
}
