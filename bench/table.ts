/**
 * The one table `npm run bench` prints: every figure beside its baseline from the same run, the ratio, the target and
 * whether it is met. Written to bench/results/latest.md (the table) and latest.json (the rows and the run's settings).
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import * as prettier from "prettier";

export interface Row {
  /** Issue 12's target number. */
  target: number;
  metric: string;
  baseline: string;
  ours: string;
  /** ours / baseline, or the figure the target is stated in. */
  ratio: number | undefined;
  /** The target as text, e.g. `≤ 1.10×`. */
  goal: string;
  pass: boolean;
}

export const fixed = (value: number, digits = 1): string => value.toFixed(digits);

/** A ratio held to a limit: `at most` (≤) or `at least` (≥). */
export function ratioRow(
  row: Omit<Row, "ratio" | "goal" | "pass">,
  ratio: number,
  limit: { atMost: number } | { atLeast: number },
): Row {
  const pass = "atMost" in limit ? ratio <= limit.atMost : ratio >= limit.atLeast;
  const goal = "atMost" in limit ? `≤ ${limit.atMost}×` : `≥ ${limit.atLeast}×`;
  return { ...row, ratio, goal, pass };
}

export function markdown(rows: readonly Row[]): string {
  const header = ["#", "metric", "baseline", "ours", "ratio", "target", ""];
  const lines = rows.map((row) => [
    String(row.target),
    row.metric,
    row.baseline,
    row.ours,
    row.ratio === undefined ? "-" : `${row.ratio.toFixed(2)}×`,
    row.goal,
    row.pass ? "pass" : "MISS",
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
  return [format(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...lines.map(format)].join("\n");
}

/** bench/results ignores itself (its .gitignore says `*`): the figures are this machine's, the README quotes them. */
export async function writeResults(root: string, rows: readonly Row[], settings: object): Promise<string> {
  const folder = path.join(root, "bench", "results");
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, ".gitignore"), "*\n");
  const table = markdown(rows);
  const stamp = `${new Date().toISOString()}, node ${process.version}, ${JSON.stringify(settings)}`;
  // Formatted as the repository formats files, so `npm run lint` (prettier --check .) passes with results present.
  const write = async (name: string, text: string, parser: string) => {
    const file = path.join(folder, name);
    const config = (await prettier.resolveConfig(file)) ?? {};
    await writeFile(file, await prettier.format(text, { ...config, parser }));
  };
  await write("latest.md", `${table}\n\n${stamp}\n`, "markdown");
  await write(
    "latest.json",
    JSON.stringify({ createdAt: new Date().toISOString(), node: process.version, settings, rows }),
    "json",
  );
  return path.join(folder, "latest.md");
}
