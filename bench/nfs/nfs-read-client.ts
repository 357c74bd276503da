/**
 * The benchmark's NFSv3 client: mounts an export (MOUNT v3 on its own
 * port), looks up one file, and reads it over one TCP connection with a
 * fixed number of READs in flight, the way the kernel's client keeps its
 * slot table busy:
 *
 *   node --import tsx bench/nfs/nfs-read-client.ts HOST NFS_PORT MOUNT_PORT EXPORT FILE seq|rand SECONDS
 *
 * seq:  the whole file in reads of the server's FSINFO rtpref (at most 1 MiB), 8 in flight,
 *       pass after pass until SECONDS have gone by (one pass of a file in the page cache
 *       takes well under a second: too short to measure on a shared machine)
 * rand: 4 KiB reads at random 4 KiB-aligned offsets, 32 in flight, for SECONDS
 * Prints one JSON line: { bytes, reads, seconds, cpu, rtpref } (cpu: the
 * client's own CPU seconds while reading, user + system; rtpref: the READ
 * size used, the server's FSINFO rtpref capped at 1 MiB). The same client runs
 * against every server, so the figures compare the servers.
 */
import { decodeMountMntResult } from "../../src/protocols/nfs/mount3-codec.js";
import type { RpcReply } from "../../src/protocols/rpc/rpc-message.js";
import { XdrReader } from "../../src/protocols/xdr/xdr-reader.js";
import { RpcTestClient } from "../../src/services/nfs/rpc-test-client.js";

const [host, nfsPort, mountPort, exportPath, fileName, mode, secondsText] = process.argv.slice(2);
const seconds = Number(secondsText ?? 5);
const ROOT_CRED = {
  flavor: 1,
  body: Buffer.from("00000000000000000000000000000000000000000000", "hex").subarray(0, 20),
};

function results(r: RpcReply, what: string): XdrReader {
  if (r.body.stat !== "success") throw new Error(`${what}: ${JSON.stringify(r.body)}`);
  const x = new XdrReader(r.body.results);
  return x;
}
const skipPostOp = (r: XdrReader) => {
  if (r.bool("attributes follow")) r.fixedOpaque(84, "fattr3");
};

const mount = await RpcTestClient.tcp(Number(mountPort), host);
const mnt = decodeMountMntResult(
  results(
    await mount.call({ prog: 100005, vers: 3, proc: 1, cred: ROOT_CRED }, (w) => w.string(exportPath!)),
    "MNT",
  ).rest(),
);
mount.close();
if (mnt.status !== 0) throw new Error(`MNT ${exportPath}: status ${mnt.status}`);
const nfs = await RpcTestClient.tcp(Number(nfsPort), host);
const NFS = { prog: 100003, vers: 3, cred: ROOT_CRED };
const look = results(
  await nfs.call({ ...NFS, proc: 3 }, (w) => w.opaque(mnt.fh!).string(fileName!)),
  "LOOKUP",
);
if (look.uint32("status") !== 0) throw new Error(`LOOKUP ${fileName} failed`);
const fh = Buffer.from(look.opaque(64, "fh"));
const ga = results(await nfs.call({ ...NFS, proc: 1 }, (w) => w.opaque(fh)), "GETATTR");
ga.uint32("status");
ga.fixedOpaque(20, "type..gid");
const size = Number(ga.uint64("size"));
const fsinfo = results(await nfs.call({ ...NFS, proc: 19 }, (w) => w.opaque(fh)), "FSINFO");
fsinfo.uint32("status");
skipPostOp(fsinfo);
fsinfo.uint32("rtmax");
const chunk = Math.min(fsinfo.uint32("rtpref"), 1 << 20);

async function read(offset: number, count: number): Promise<number> {
  const r = results(
    await nfs.call({ ...NFS, proc: 6 }, (w) => w.opaque(fh).uint64(BigInt(offset)).uint32(count)),
    "READ",
  );
  const status = r.uint32("status");
  if (status !== 0) throw new Error(`READ at ${offset}: status ${status}`);
  skipPostOp(r);
  return r.uint32("count");
}

let bytes = 0;
let reads = 0;
const started = process.hrtime.bigint();
const cpuAtStart = process.cpuUsage();
if (mode === "seq") {
  const until = started + BigInt(Math.round(seconds * 1e9));
  let next = 0;
  let passes = 1;
  const worker = async () => {
    for (;;) {
      if (next >= size) {
        if (process.hrtime.bigint() >= until) return;
        // The first worker to find the pass done starts the next one; reads of the last are still counted.
        next = 0;
        passes++;
      }
      const offset = next;
      next += chunk;
      // Not `bytes += await ...`: that reads `bytes` before the await and loses other workers' counts.
      const n = await read(offset, Math.min(chunk, size - offset));
      bytes += n;
      reads++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  if (bytes !== size * passes) throw new Error(`read ${bytes} of ${passes} x ${size} bytes`);
} else {
  const blocks = Math.floor(size / 4096);
  const until = started + BigInt(Math.round(seconds * 1e9));
  const worker = async () => {
    while (process.hrtime.bigint() < until) {
      const n = await read(Math.floor(Math.random() * blocks) * 4096, 4096);
      bytes += n;
      reads++;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
const used = process.cpuUsage(cpuAtStart);
const cpu = (used.user + used.system) / 1e6;
nfs.close();
process.stdout.write(`${JSON.stringify({ bytes, reads, seconds: elapsed, cpu, rtpref: chunk })}\n`);
