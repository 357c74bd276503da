/**
 * A worker thread that runs one module of ours: the .js beside the caller
 * when built, the .ts when run through tsx (tests, benchmarks). Node 20 does
 * not pass `--import` hooks to workers, so under tsx the worker registers
 * tsx itself before it imports the module.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/** `name` (without extension) beside `from`, the caller's `import.meta.url`. */
export function spawnModuleWorker(from: string, name: string, workerData?: unknown): Worker {
  if (!from.endsWith(".ts")) return new Worker(new URL(`./${name}.js`, from), { workerData });
  const target = new URL(`./${name}.ts`, from).href;
  const tsx = tsxEsmApi(from);
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
  return new Worker(code, { eval: true, workerData });
}

/** tsx's ESM API (the `import` condition of "tsx/esm/api"), found from this file. */
function tsxEsmApi(from: string): string {
  const resolve = (import.meta as { resolve?: (s: string) => string }).resolve;
  if (typeof resolve === "function") return resolve("tsx/esm/api");
  const pkg = createRequire(from).resolve("tsx/package.json");
  return pathToFileURL(join(dirname(pkg), "dist", "esm", "api", "index.mjs")).href;
}
