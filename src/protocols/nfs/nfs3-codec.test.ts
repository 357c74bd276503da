import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { XdrError } from "../xdr/xdr-error.js";
import { XdrWriter } from "../xdr/xdr-writer.js";
import { decodeNfs3Args } from "./decode-nfs3-args.js";
import { encodeNfs3Result } from "./encode-nfs3-result.js";
import {
  decodeMountArgs,
  decodeMountExports,
  decodeMountMntResult,
  encodeMountResult,
  MNT3_OK,
  MNT3ERR_NOENT,
} from "./mount3-codec.js";
import { NF3REG, NFS3_OK, NFS3ERR_NOENT, NFS3ERR_ROFS } from "./nfs3-constants.js";
import type { Fattr3 } from "./nfs3-types.js";
import * as pkt from "./nfs3-test-packets.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("decodeNfs3Args", () => {
  it("reads the arguments of each read procedure", () => {
    assert.deepEqual(decodeNfs3Args(0, Buffer.alloc(0)), { proc: "null" });
    assert.deepEqual(decodeNfs3Args(1, pkt.getattr), { proc: "getattr", fh: pkt.FH });
    assert.deepEqual(decodeNfs3Args(3, pkt.lookupEtc), { proc: "lookup", dir: pkt.FH, name: "etc" });
    assert.deepEqual(decodeNfs3Args(4, pkt.access), { proc: "access", fh: pkt.FH, access: 0x23 });
    assert.deepEqual(decodeNfs3Args(5, pkt.getattr), { proc: "readlink", fh: pkt.FH });
    assert.deepEqual(decodeNfs3Args(6, pkt.read), {
      proc: "read",
      fh: pkt.FH,
      offset: 1n << 32n,
      count: 4096,
    });
    assert.deepEqual(decodeNfs3Args(16, pkt.readdir), {
      proc: "readdir",
      dir: pkt.FH,
      cookie: 0n,
      cookieverf: Buffer.alloc(8),
      count: 4096,
    });
    assert.deepEqual(decodeNfs3Args(17, pkt.readdirplus), {
      proc: "readdirplus",
      dir: pkt.FH,
      cookie: 5n,
      cookieverf: Buffer.from("verifier"),
      dircount: 1024,
      maxcount: 8192,
    });
    for (const [proc, name] of [
      [18, "fsstat"],
      [19, "fsinfo"],
      [20, "pathconf"],
    ] as const) {
      assert.deepEqual(decodeNfs3Args(proc, pkt.getattr), { proc: name, fh: pkt.FH });
    }
  });

  it("takes every write procedure as one to refuse, without reading its arguments", () => {
    for (const proc of [2, 7, 8, 9, 10, 11, 12, 13, 14, 15, 21]) {
      assert.deepEqual(decodeNfs3Args(proc, Buffer.from("garbage")), { proc: "write", number: proc });
    }
  });

  it("knows no procedure past COMMIT", () => {
    assert.equal(decodeNfs3Args(22, pkt.getattr), undefined);
  });

  it("refuses a handle over 64 bytes, a name with '/', and every truncation", () => {
    assert.throws(() => decodeNfs3Args(1, pkt.getattrLongHandle), /length 65 at offset 0, more than the 64/);
    assert.throws(() => decodeNfs3Args(3, pkt.lookupSlash), /name holds a NUL or '\/'/);
    for (const [proc, full] of [
      [3, pkt.lookupEtc],
      [6, pkt.read],
      [17, pkt.readdirplus],
    ] as const) {
      for (let n = 0; n < full.length; n++) {
        assert.throws(() => decodeNfs3Args(proc, full.subarray(0, n)), XdrError, `proc ${proc} cut at ${n}`);
      }
    }
  });
});

const attr: Fattr3 = {
  type: NF3REG,
  mode: 0o644,
  nlink: 1,
  uid: 0,
  gid: 0,
  size: 5n,
  used: 8n,
  rdev: { major: 0, minor: 0 },
  fsid: 0x1122n,
  fileid: 7n,
  atime: { seconds: 1, nseconds: 2 },
  mtime: { seconds: 3, nseconds: 4 },
  ctime: { seconds: 5, nseconds: 6 },
};
const attrHex = `00000001 000001a4 00000001 00000000 00000000 0000000000000005 0000000000000008
  00000000 00000000 0000000000001122 0000000000000007 00000001 00000002 00000003 00000004 00000005 00000006`;

describe("encodeNfs3Result", () => {
  it("writes GETATTR3resok as fattr3 (section 2.6)", () => {
    const w = encodeNfs3Result(new XdrWriter(), { proc: "getattr", status: NFS3_OK, ok: { attr } });
    assert.deepEqual(w.bytes(), hex(`00000000 ${attrHex}`));
    assert.equal(w.length, 4 + 84);
  });

  it("writes READ3resok: attributes, count, eof, data padded", () => {
    const w = encodeNfs3Result(new XdrWriter(), {
      proc: "read",
      status: NFS3_OK,
      attr,
      ok: { count: 5, eof: true, data: Buffer.from("hello") },
    });
    assert.deepEqual(
      w.bytes(),
      hex(`00000000 00000001 ${attrHex} 00000005 00000001 00000005 68656c6c6f000000`),
    );
  });

  it("writes LOOKUP3resfail with the directory's attributes only", () => {
    const w = encodeNfs3Result(new XdrWriter(), { proc: "lookup", status: NFS3ERR_NOENT, dirAttr: attr });
    assert.deepEqual(w.bytes(), hex(`00000002 00000001 ${attrHex}`));
  });

  it("writes READDIR3resok entries behind 'more' booleans, then eof", () => {
    const w = encodeNfs3Result(new XdrWriter(), {
      proc: "readdir",
      status: NFS3_OK,
      ok: { cookieverf: Buffer.alloc(8), entries: [{ fileid: 2n, name: "a", cookie: 1n }], eof: true },
    });
    assert.deepEqual(
      w.bytes(),
      hex(
        "00000000 00000000 0000000000000000 00000001 0000000000000002 00000001 61000000 0000000000000001 00000000 00000001",
      ),
    );
  });

  it("writes NFS3ERR_ROFS in the failure shape of each write procedure", () => {
    const rofs = (n: number) =>
      encodeNfs3Result(new XdrWriter(), { proc: "write", number: n }).bytes().toString("hex");
    assert.equal(rofs(7), "0000001e0000000000000000");
    assert.equal(rofs(14), `0000001e${"00000000".repeat(4)}`);
    assert.equal(rofs(15), `0000001e${"00000000".repeat(3)}`);
    assert.equal(NFS3ERR_ROFS, 0x1e);
  });

  it("refuses to write an OK result without its results", () => {
    assert.throws(
      () => encodeNfs3Result(new XdrWriter(), { proc: "getattr", status: NFS3_OK }),
      /no results/,
    );
  });
});

describe("MOUNT v3", () => {
  it("reads MNT and UMNT paths", () => {
    assert.deepEqual(decodeMountArgs(1, pkt.mntThin), { proc: "mnt", path: "/images/thin" });
    assert.deepEqual(decodeMountArgs(3, pkt.mntThin), { proc: "umnt", path: "/images/thin" });
    assert.equal(decodeMountArgs(6, Buffer.alloc(0)), undefined);
    assert.throws(() => decodeMountArgs(1, hex("00000401")), /dirpath: length 1025/);
  });

  it("writes a MNT reply and EXPORT list a client reads back", () => {
    const fh = Buffer.alloc(16, 1);
    const ok = encodeMountResult(new XdrWriter(), {
      proc: "mnt",
      status: MNT3_OK,
      fh,
      flavors: [1, 0],
    }).bytes();
    assert.deepEqual(decodeMountMntResult(ok), { status: MNT3_OK, fh, flavors: [1, 0] });
    const fail = encodeMountResult(new XdrWriter(), { proc: "mnt", status: MNT3ERR_NOENT }).bytes();
    assert.deepEqual(decodeMountMntResult(fail), { status: MNT3ERR_NOENT });
    const exports = [
      { dir: "/images/thin", groups: ["*"] },
      { dir: "/images/thin/20261124-153000", groups: [] },
    ];
    const list = encodeMountResult(new XdrWriter(), { proc: "export", exports }).bytes();
    assert.deepEqual(decodeMountExports(list), exports);
  });
});
