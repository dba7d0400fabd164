/**
 * What the service really writes: every line Powertools prints (log entries and EMF metric blobs) captured from
 * stdout and stderr, parsed. The logger reads `LOG_LEVEL` once and every invocation returns to it, so a file that
 * wants info lines sets it in `vi.hoisted`, before the logger is imported (and this restores the tests' level). Metric
 * lines are off in tests (vitest.config.ts) except while this captures.
 */
import { afterAll, afterEach, beforeAll, beforeEach, vi } from "vitest";

export type Line = Record<string, unknown>;

/**
 * Captures from each test's start, or with `wholeFile` from the file's start (for a scenario run once in `beforeAll`
 * and read by several tests); `lines()` are the log entries, `emf()` the metric blobs.
 */
export function captureOutput(options: { wholeFile?: boolean } = {}) {
  let written: string[] = [];
  const [start, stop] = options.wholeFile === true ? [beforeAll, afterAll] : [beforeEach, afterEach];
  afterAll(() => {
    process.env.LOG_LEVEL = "warn";
  });
  start(() => {
    written = [];
    process.env.POWERTOOLS_METRICS_DISABLED = "false";
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    }
  });
  stop(() => {
    vi.restoreAllMocks();
    process.env.POWERTOOLS_METRICS_DISABLED = "true";
  });
  const parsed = (): Line[] =>
    written
      .join("")
      .split("\n")
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line) as Line);
  return {
    /** Everything written, as text. */
    text: () => written.join(""),
    lines: () => parsed().filter((line) => !("_aws" in line)),
    emf: () => parsed().filter((line) => "_aws" in line),
  };
}
