/**
 * One logger: a JSON line per entry, which CloudWatch indexes and a terminal still reads. Never given secrets or
 * request bodies, only ids and outcomes.
 */
export type LogFields = Record<string, unknown>;

export const log = {
  info(message: string, fields: LogFields = {}): void {
    console.log(JSON.stringify({ level: "info", message, ...fields }));
  },
  warn(message: string, fields: LogFields = {}): void {
    console.warn(JSON.stringify({ level: "warn", message, ...fields }));
  },
  error(message: string, error: unknown, fields: LogFields = {}): void {
    const detail =
      error instanceof Error ? { error: error.name, detail: error.message, stack: error.stack } : { error };
    console.error(JSON.stringify({ level: "error", message, ...fields, ...detail }));
  },
};
