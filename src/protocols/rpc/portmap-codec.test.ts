import assert from "node:assert/strict";
import { it } from "node:test";
import { XdrWriter } from "../xdr/xdr-writer.js";
import { decodeRpcCall } from "./decode-rpc-call.js";
import { decodePortmapArgs, decodePortmapList, encodePortmapList } from "./portmap-codec.js";
import * as pkt from "./rpc-test-packets.js";

it("reads GETPORT's mapping from a kernel-style call (RFC 1833 section 3)", () => {
  const c = decodeRpcCall(pkt.pmapGetportMountTcp);
  assert.ok(c.kind === "call");
  assert.deepEqual(decodePortmapArgs(c.proc, c.args), {
    proc: "getport",
    mapping: { prog: 100005, vers: 3, prot: 6, port: 0 },
  });
  assert.deepEqual(decodePortmapArgs(0, Buffer.alloc(0)), { proc: "null" });
  assert.deepEqual(decodePortmapArgs(4, Buffer.alloc(0)), { proc: "dump" });
  assert.equal(decodePortmapArgs(5, Buffer.alloc(0)), undefined);
  assert.throws(() => decodePortmapArgs(3, c.args.subarray(0, 12)), /mapping port: needs 4 bytes/);
});

it("writes DUMP's list as 'more' booleans before each mapping", () => {
  const maps = [
    { prog: 100000, vers: 2, prot: 6, port: 111 },
    { prog: 100003, vers: 3, prot: 17, port: 2049 },
  ];
  const bytes = encodePortmapList(new XdrWriter(), maps).bytes();
  assert.equal(bytes.toString("hex").slice(0, 40), "00000001000186a0000000020000000600000" + "06f");
  assert.deepEqual(decodePortmapList(bytes), maps);
});
