/**
 * The client hook's compiled helpers (today bootfleet-nbd, the NBD root
 * connector that reconnects), one static build per client architecture,
 * made by scripts/build-client-helpers.mjs into
 * native/build/client/<arch>/<name>. Looked up beside the source tree and
 * beside the compiled `dist/`, the way hook-files.ts finds the shell files.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export type ClientHelperName = "bootfleet-nbd";

/** ELF e_machine -> the build directory's name (scripts/build-client-helpers.mjs TARGETS). */
const ARCH_DIR: Readonly<Record<number, string>> = {
  62: "x86_64", // EM_X86_64
  183: "arm64", // EM_AARCH64
};

export interface ClientHelper {
  readonly content: Buffer;
  readonly path: string;
  readonly arch: string;
}

const CANDIDATES = (arch: string, name: ClientHelperName): URL[] => [
  new URL(`../../native/build/client/${arch}/${name}`, import.meta.url),
  new URL(`../../../native/build/client/${arch}/${name}`, import.meta.url),
];

/** The helper built for this ELF machine; undefined when that architecture has no build (or none was made). */
export async function findClientHelper(
  name: ClientHelperName,
  machine: number,
  dir?: string | undefined,
): Promise<ClientHelper | undefined> {
  const arch = ARCH_DIR[machine];
  if (!arch) return undefined;
  const paths = dir ? [`${dir}/${arch}/${name}`] : CANDIDATES(arch, name).map((u) => fileURLToPath(u));
  for (const path of paths) {
    try {
      return { content: await readFile(path), path, arch };
    } catch {}
  }
  return undefined;
}

/** Architectures a helper is built for, for messages. */
export const CLIENT_HELPER_ARCHES: readonly string[] = Object.values(ARCH_DIR);
