/**
 * What the service really writes: every line Powertools prints (log entries and EMF metric blobs) captured from
 * stdout and stderr, parsed. The logger reads `LOG_LEVEL` once and every invocation returns to it, so a file that
 * wants info lines sets it in `vi.hoisted`, before the logger is imported (and this restores the tests' level).
 */
import { afterAll, afterEach, beforeEach, vi } from "vitest";

export type Line = Record<string, unknown>;

/** Captures from each test's start; `lines()` are the log entries, `emf()` the metric blobs. */
export function captureOutput() {
  let written: string[] = [];
  afterAll(() => {
    process.env.LOG_LEVEL = "warn";
  });
  beforeEach(() => {
    written = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
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
