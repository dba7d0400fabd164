/**
 * How hard the fuzz tests push: `FUZZ_RUNS` cases per property (a few hundred by default, so `npm test` stays quick;
 * `npm run fuzz` sets 2,000). A failure prints fast-check's seed and path; `FUZZ_SEED` (and `FUZZ_PATH`) replay it.
 */
import type fc from "fast-check";

const DEFAULT_RUNS = 200;

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

export const RUNS = positiveInteger("FUZZ_RUNS", DEFAULT_RUNS);

/** The options of every `fc.assert` here: the run count, and the replay of a reported failure when asked for. */
export function fuzzOptions<T>(): fc.Parameters<T> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: RUNS,
    ...(seed === undefined || seed === "" ? {} : { seed: Number(seed) }),
    ...(path === undefined || path === "" ? {} : { path }),
  };
}

/** A test's time limit: room for `RUNS` cases of about `perCaseMs` each on a busy 2-core machine, and a margin. */
export function timeLimit(perCaseMs: number): number {
  return 15_000 + RUNS * perCaseMs;
}
