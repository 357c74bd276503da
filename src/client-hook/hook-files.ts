/**
 * The client hook's shell files, read from this folder. When bootfleet runs
 * from the compiled `dist/src/client-hook/`, tsc has not copied the `.sh`
 * files there, so the source folder beside `dist/` is tried next.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** Bumped when the hook's behaviour changes; reported in the `initrd` stage. */
export const HOOK_VERSION = "2"; // 2: bootfleet-nbd (reconnecting NBD root), bootfleet.servers

export type HookFileName = "bootfleet-init.sh" | "udhcpc.script";

const CANDIDATES = (name: HookFileName): URL[] => [
  new URL(`./${name}`, import.meta.url),
  new URL(`../../../src/client-hook/${name}`, import.meta.url),
];

export async function readHookFile(name: HookFileName): Promise<Buffer> {
  let lastError: unknown;
  for (const url of CANDIDATES(name)) {
    try {
      return await readFile(url);
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(
    `client hook file ${name} not found (looked in ${CANDIDATES(name)
      .map((u) => fileURLToPath(u))
      .join(", ")}): ${(lastError as Error).message}`,
  );
}
