/** sha256 and size of a file, read as a stream (root.squashfs can be gigabytes). */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";

export async function digestFile(
  path: string,
  onProgress?: (fraction: number) => void,
): Promise<{ size: number; sha256: string }> {
  const { size } = await stat(path);
  const hash = createHash("sha256");
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    onProgress?.(size ? done / size : 1);
  }
  return { size, sha256: hash.digest("hex") };
}
