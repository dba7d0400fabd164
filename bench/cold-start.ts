/**
 * Target 5: every function's cold import and bundle size against the baseline bundle (middy + the DynamoDB document
 * client), built as SST 4.17.1 builds them for `sst deploy`: bench/bundles.ts, run as it is (`npm run bench:bundles`),
 * here for the deployed (unminified) variant only; its full table is in bench/results/bundles.json.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "./processes.ts";
import { type Row } from "./table.ts";

const MAX_IMPORT_RATIO = 1.1;
const MAX_BYTES_RATIO = 1.5;

interface BundleRow {
  name: string;
  errors: string[];
  variants: { plain?: { bytes: number; import?: { importMs: number; ratio?: number } } };
}

export async function coldStart(options: { runs: number }): Promise<Row[]> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, "bench", "bundles.ts"), "--runs", String(options.runs), "--plain-only"],
      { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
    );
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`bench/bundles.ts exited ${code}`))));
  });
  const { rows } = JSON.parse(await readFile(path.join(ROOT, "bench", "results", "bundles.json"), "utf8")) as {
    rows: BundleRow[];
  };
  const [baseline, ...functions] = rows;
  const base = baseline!.variants.plain!;
  const kb = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
  return functions.map((row) => {
    const plain = row.variants.plain;
    const importRatio = plain?.import?.ratio;
    const bytesRatio = plain === undefined ? undefined : plain.bytes / base.bytes;
    return {
      target: 5,
      metric: `cold import and bundle: ${row.name}`,
      baseline: `${base.import!.importMs.toFixed(0)} ms, ${kb(base.bytes)}`,
      ours:
        plain?.import === undefined
          ? `failed: ${row.errors.join("; ")}`
          : `${plain.import.importMs.toFixed(0)} ms, ${kb(plain.bytes)} (${bytesRatio!.toFixed(2)}×)`,
      ratio: importRatio,
      goal: `≤ ${MAX_IMPORT_RATIO}× import, ≤ ${MAX_BYTES_RATIO}× bytes`,
      pass:
        importRatio !== undefined &&
        importRatio <= MAX_IMPORT_RATIO &&
        bytesRatio !== undefined &&
        bytesRatio <= MAX_BYTES_RATIO,
    };
  });
}
