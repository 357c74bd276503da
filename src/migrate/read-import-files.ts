/**
 * `bootfleet import FILE...`'s inputs, read from disk: each must be a
 * regular file of at most MAX_IMPORT_SIZE bytes, or a pxelinux.cfg folder
 * (or the TFTP root holding one). A folder's files that pxelinux reads by
 * name (01-<mac>, hex addresses, default) become inputs, and a file in a
 * pxelinux.cfg folder comes with the files it INCLUDEs (read-pxelinux-tree.ts).
 * Another directory, a device or pipe (which could be read forever) or a
 * file too large is an error that names the path and says what to pass
 * instead; every path is tried, so that one run reports all of them.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { MAX_IMPORT_SIZE } from "./check-import-text.js";
import type { ImportFormat } from "./detect-format.js";
import type { ImportInput } from "./import-config.js";
import { ImportError, type ImportProblem } from "./import-problem.js";
import { pxelinuxFileRole } from "./pxelinux/pxelinux-file-role.js";
import { readPxelinuxTree } from "./read-pxelinux-tree.js";

export function readImportFiles(files: readonly string[], format?: ImportFormat): ImportInput[] {
  const inputs: ImportInput[] = [];
  const problems: ImportProblem[] = [];
  for (const file of files) {
    const refuse = (message: string, hint: string) =>
      problems.push({ severity: "error", at: { file, line: 1, column: 1 }, message, hint });
    try {
      const stat = statSync(file);
      if (stat.isDirectory()) {
        const cfgDir = pxelinuxCfgFolder(file);
        if (cfgDir === undefined) {
          refuse("a directory, not a configuration file", `pass the files in it: bootfleet import ${file}/*`);
          continue;
        }
        const read = readPxelinuxCfgFolder(cfgDir, format, problems);
        if (read.length === 0)
          refuse(
            "a pxelinux.cfg folder without a file pxelinux reads (default, 01-<mac>, a hex address)",
            "pass the config files themselves",
          );
        inputs.push(...read);
        continue;
      }
      if (!stat.isFile()) {
        refuse(
          "not a regular file (a device, socket or pipe)",
          "copy what it holds to a file and import that",
        );
        continue;
      }
      if (stat.size > MAX_IMPORT_SIZE) {
        refuse(
          `${(stat.size / (1024 * 1024)).toFixed(1)} MiB: bootfleet imports configuration files of up to ${MAX_IMPORT_SIZE / (1024 * 1024)} MiB`,
          "import the configuration file itself; split a generated one into several files",
        );
        continue;
      }
      const text = readFileSync(file, "utf8");
      const inCfgFolder = basename(dirname(file)) === "pxelinux.cfg";
      inputs.push({
        file,
        text,
        format,
        ...(inCfgFolder
          ? {
              pxelinuxTree: readPxelinuxTree(dirname(dirname(file)), [
                { key: `pxelinux.cfg/${basename(file)}`, file, text },
              ]),
            }
          : {}),
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") refuse("no such file", "check the path");
      else if (code === "EACCES" || code === "EPERM")
        refuse("permission denied", "run the import as a user that may read it");
      else refuse(`cannot read it: ${code ?? (e as Error).message}`, "check the path");
    }
  }
  if (problems.length) throw new ImportError(problems);
  return inputs;
}

/** The pxelinux.cfg folder a directory is, or holds (a TFTP root); undefined for other directories. */
function pxelinuxCfgFolder(dir: string): string | undefined {
  if (basename(dir) === "pxelinux.cfg") return dir;
  try {
    if (statSync(join(dir, "pxelinux.cfg")).isDirectory()) return join(dir, "pxelinux.cfg");
  } catch {
    return undefined;
  }
  return undefined;
}

/** The files of a pxelinux.cfg folder that pxelinux reads by name, in name order, sharing one TFTP tree. */
function readPxelinuxCfgFolder(
  cfgDir: string,
  format: ImportFormat | undefined,
  problems: ImportProblem[],
): ImportInput[] {
  const read: { key: string; file: string; text: string }[] = [];
  for (const name of readdirSync(cfgDir).sort()) {
    const file = join(cfgDir, name);
    if (pxelinuxFileRole(file).kind === "other") continue;
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile() || stat.size > MAX_IMPORT_SIZE) {
      // pxelinux would ask for this name and get nothing, or something no config is: say so.
      problems.push({
        severity: "error",
        at: { file, line: 1, column: 1 },
        message: stat
          ? stat.isFile()
            ? `larger than ${MAX_IMPORT_SIZE / (1024 * 1024)} MiB`
            : "not a regular file"
          : "a link to nothing",
        hint: "remove it, or make it the config pxelinux should read",
      });
      continue;
    }
    read.push({ key: `pxelinux.cfg/${name}`, file, text: readFileSync(file, "utf8") });
  }
  const tree = readPxelinuxTree(dirname(cfgDir), read);
  return read.map((r) => ({ file: r.file, text: r.text, format: format ?? "pxelinux", pxelinuxTree: tree }));
}
