/**
 * One verb at a time per image: a build, a commit or a shell holds
 * `<data_dir>/images/<name>/.lock` (created with O_EXCL, holding the PID and
 * the verb). A lock whose process is gone is taken over.
 */
import { open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { ImageError } from "./image-error.js";

export async function lockImage(imageDir: string, name: string, verb: string): Promise<() => Promise<void>> {
  const path = join(imageDir, ".lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, "wx");
      await fh.writeFile(`${process.pid} ${verb}\n`);
      await fh.close();
      return async () => {
        await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const [pidText, holder] = (await readFile(path, "utf8").catch(() => "")).trim().split(" ");
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new ImageError(
        "SOURCE_BUSY",
        `image ${name} is busy: '${holder ?? "?"}' is running on it (pid ${pid}); wait for it to finish` +
          (holder === "shell" ? " (leave the image shell)" : ""),
      );
    }
    await rm(path, { force: true });
  }
  throw new ImageError("SOURCE_BUSY", `cannot lock image ${name} (${path} keeps reappearing)`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
