/**
 * The sources a native transfer worker reads with blocking calls
 * (openTransferSourceSync, SyncFileSource): chunks read on demand and copied
 * byte-exact, a file that shrinks under a transfer, and the checks made when
 * the file is opened again in the worker (the same file that was checked,
 * and never a FIFO that would block the worker's whole loop).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  BufferSource,
  openTransferSourceSync,
  SyncFileSource,
  type TransferSource,
  type TransferSourceSpec,
} from "./transfer-source.js";

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "bf-transfer-source-"));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Deterministic bytes, none of them a repeat of the block before. */
function body(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + (i >> 8) * 13) & 0xff;
  return b;
}

function writeFile(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function fileSpec(path: string, chunkBytes: number): TransferSourceSpec & { kind: "file" } {
  const st = statSync(path);
  return { kind: "file", realPath: path, size: st.size, dev: st.dev, ino: st.ino, chunkBytes };
}

/** The fds this process has open. */
function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** Calls load(); whether `done` came before load returned (a blocking source), and its error. */
function load(
  source: TransferSource,
  start: number,
  end: number,
): { sync: boolean; error: Error | undefined } {
  let called = false;
  let error: Error | undefined;
  source.load(start, end, (e) => {
    called = true;
    error = e;
  });
  return { sync: called, error };
}

describe("SyncFileSource", () => {
  it("copies every block byte-exact across chunk edges, backwards (a resent window) and past a chunk's size", () => {
    const want = body(10_000);
    const source = openTransferSourceSync(fileSpec(writeFile("kernel", want), 1000));
    try {
      assert.ok(source instanceof SyncFileSource);
      assert.equal(source.size, 10_000);
      const got = Buffer.alloc(10_000);
      // Blocks of 300: several straddle a chunk's end (900-1200, 2700-3000 after a re-read at 2100, ...).
      for (let start = 0; start < want.length; start += 300) {
        const end = Math.min(want.length, start + 300);
        assert.equal(source.copy(got, start, start, end), true, `copy ${start}-${end}`);
      }
      assert.ok(got.equals(want), "sequential blocks");

      // Backwards, as a retransmission from the oldest unacknowledged block.
      const again = Buffer.alloc(600);
      assert.equal(source.copy(again, 0, 1200, 1800), true);
      assert.ok(again.equals(want.subarray(1200, 1800)));

      // A range bigger than a chunk is read whole.
      const big = Buffer.alloc(2500);
      assert.equal(source.copy(big, 0, 5000, 7500), true);
      assert.ok(big.equals(want.subarray(5000, 7500)));

      // Into the middle of a packet buffer (after the 4-byte DATA header).
      const packet = Buffer.alloc(4 + 512, 0xee);
      assert.equal(source.copy(packet, 4, 9488, 10_000), true);
      assert.ok(packet.subarray(4).equals(want.subarray(9488)));
      assert.deepEqual([...packet.subarray(0, 4)], [0xee, 0xee, 0xee, 0xee]);

      // Nothing to copy (the empty last block of a file that is a multiple of blksize).
      assert.equal(source.copy(packet, 4, 10_000, 10_000), true);
    } finally {
      source.close();
    }
  });

  it("load reads at once and calls done before returning; copy then needs no read", () => {
    const want = body(4096);
    const source = openTransferSourceSync(fileSpec(writeFile("load", want), 1024));
    try {
      assert.deepEqual(load(source, 2048, 2560), { sync: true, error: undefined });
      const got = Buffer.alloc(512);
      assert.equal(source.copy(got, 0, 2048, 2560), true);
      assert.ok(got.equals(want.subarray(2048, 2560)));
    } finally {
      source.close();
    }
  });

  it("a file that shrinks under the transfer: copy says false, then load calls done with the error", () => {
    const path = writeFile("shrinks", body(8192));
    const source = openTransferSourceSync(fileSpec(path, 4096));
    try {
      const got = Buffer.alloc(512);
      assert.equal(source.copy(got, 0, 0, 512), true);
      truncateSync(path, 3000);
      // Still in the chunk read before the truncation.
      assert.equal(source.copy(got, 0, 512, 1024), true);
      // Block at 4096: the chunk from 4096 finds end of file at once.
      assert.equal(source.copy(got, 0, 4096, 4608), false);
      const r = load(source, 4096, 4608);
      assert.equal(r.sync, true);
      assert.equal(r.error?.message, "file shrank during the transfer (read ended at 4096)");
      // A re-read of an earlier chunk (a resent window) ends where the file now ends.
      const r2 = load(source, 2048, 2560);
      assert.equal(r2.error?.message, "file shrank during the transfer (read ended at 3000)");
    } finally {
      source.close();
    }
  });

  it("after close: copy of a block not in memory is false, load reports the file closed, close twice is fine", () => {
    const fds = openFds();
    const source = openTransferSourceSync(fileSpec(writeFile("closed", body(2048)), 1024));
    assert.equal(openFds(), fds + 1);
    source.close();
    assert.equal(openFds(), fds, "close closes the fd");
    source.close();
    assert.equal(source.copy(Buffer.alloc(512), 0, 0, 512), false);
    assert.equal(load(source, 0, 512).error?.message, "file closed");
  });
});

describe("openTransferSourceSync", () => {
  it("a buffer spec gives a BufferSource over the same memory (also a plain Uint8Array view)", () => {
    const shared = new Uint8Array(new SharedArrayBuffer(16));
    shared.set(body(16));
    const view = shared.subarray(4, 12);
    const source = openTransferSourceSync({ kind: "buffer", body: view });
    assert.ok(source instanceof BufferSource);
    assert.equal(source.size, 8);
    const got = Buffer.alloc(8);
    assert.equal(source.copy(got, 0, 0, 8), true);
    assert.deepEqual([...got], [...view]);
    assert.deepEqual(load(source, 0, 8), { sync: true, error: undefined });
    source.close();
  });

  it("refuses a file swapped in after the check (another inode) and does not leak the fd", () => {
    const path = writeFile("swapped", body(1000));
    const spec = fileSpec(path, 1024);
    writeFile("replacement", body(1000));
    renameSync(join(dir, "replacement"), path);
    assert.notEqual(statSync(path).ino, spec.ino);
    const fds = openFds();
    assert.throws(() => openTransferSourceSync(spec), { message: "file changed while opening" });
    assert.equal(openFds(), fds);
  });

  it("refuses a symlink put in place of the checked file (O_NOFOLLOW)", () => {
    const path = writeFile("linked", body(100));
    const spec = fileSpec(path, 1024);
    rmSync(path);
    symlinkSync(join(dir, "kernel"), path);
    assert.throws(() => openTransferSourceSync(spec), { code: "ELOOP" });
  });

  it("refuses a FIFO without blocking on it (O_NONBLOCK: no writer ever comes)", async () => {
    const fifo = join(dir, "fifo");
    const made = spawn("mkfifo", [fifo]);
    assert.equal(await new Promise((r) => made.on("close", r)), 0, "mkfifo (coreutils)");
    // Were the open to block, this child would end the wait after a while by
    // opening the FIFO for writing, and leave a marker: the test then fails
    // instead of hanging. It is killed (its process group) as soon as the call returns.
    const marker = join(dir, "fifo-writer-came");
    const writer = spawn("sh", ["-c", `sleep 5; : > '${marker}'; exec 3> '${fifo}'`], {
      detached: true,
      stdio: "ignore",
    });
    try {
      const fds = openFds();
      const st = statSync(fifo);
      assert.throws(
        () =>
          openTransferSourceSync({
            kind: "file",
            realPath: fifo,
            size: 0,
            dev: st.dev,
            ino: st.ino,
            chunkBytes: 1024,
          }),
        { message: "file changed while opening" },
      );
      assert.equal(existsSync(marker), false, "the open blocked until a writer opened the FIFO");
      assert.equal(openFds(), fds);
    } finally {
      if (writer.pid !== undefined && writer.exitCode === null) {
        try {
          process.kill(-writer.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
    }
  });
});
