/**
 * `bootfleet import FILE...`'s inputs, read from disk: each must be a
 * regular file of at most MAX_IMPORT_SIZE bytes. A directory (pxelinux.cfg/
 * itself, say), a device or pipe (which could be read forever) or a file
 * too large is an error that names the path and says what to pass instead;
 * every path is tried, so that one run reports all of them.
 */
import { readFileSync, statSync } from "node:fs";
import { MAX_IMPORT_SIZE } from "./check-import-text.js";
import type { ImportFormat } from "./detect-format.js";
import type { ImportInput } from "./import-config.js";
import { ImportError, type ImportProblem } from "./import-problem.js";

export function readImportFiles(files: readonly string[], format?: ImportFormat): ImportInput[] {
  const inputs: ImportInput[] = [];
  const problems: ImportProblem[] = [];
  for (const file of files) {
    const refuse = (message: string, hint: string) =>
      problems.push({ severity: "error", at: { file, line: 1, column: 1 }, message, hint });
    try {
      const stat = statSync(file);
      if (stat.isDirectory()) {
        refuse("a directory, not a configuration file", `pass the files in it: bootfleet import ${file}/*`);
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
      inputs.push({ file, text: readFileSync(file, "utf8"), format });
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
