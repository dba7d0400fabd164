/**
 * One logger: a JSON line per entry, which CloudWatch indexes and a terminal still reads. Never given secrets or
 * request bodies, only ids and outcomes. `LOG_LEVEL` (info, warn, error, silent) is read once; tests run at warn.
 */
export type LogFields = Record<string, unknown>;

const LEVELS = ["info", "warn", "error", "silent"] as const;
const threshold = Math.max(0, LEVELS.indexOf((process.env.LOG_LEVEL ?? "info") as (typeof LEVELS)[number]));
const enabled = (level: (typeof LEVELS)[number]) => LEVELS.indexOf(level) >= threshold;

export const log = {
  info(message: string, fields: LogFields = {}): void {
    if (enabled("info")) console.log(JSON.stringify({ level: "info", message, ...fields }));
  },
  warn(message: string, fields: LogFields = {}): void {
    if (enabled("warn")) console.warn(JSON.stringify({ level: "warn", message, ...fields }));
  },
  error(message: string, error: unknown, fields: LogFields = {}): void {
    if (!enabled("error")) return;
    const detail =
      error instanceof Error ? { error: error.name, detail: error.message, stack: error.stack } : { error };
    console.error(JSON.stringify({ level: "error", message, ...fields, ...detail }));
  },
};
