/**
 * The one logger: Powertools' Logger, a JSON line per entry with the Lambda context (request id, function, cold start)
 * and the ids of the operation the invocation works on (`logKeys`, cleared when the invocation ends). Every value
 * written passes through `redact`: a phone number or an email anywhere in a line is masked, and a field named like a
 * credential is dropped, so a Linq message or an error that quotes a handle cannot leak it.
 *
 * `LOG_LEVEL` (info, warn, error, silent) is read once. `LOG_FORMAT=text` (set by `npm start`) prints the same entries
 * as short readable lines instead of JSON.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import type { LogItem } from "@aws-lambda-powertools/logger";
import type { OperationLog } from "./domain/ports.ts";

export type LogFields = Record<string, unknown>;

/**
 * A phone number written with `+`, as E.164 or as people type it (`+1 (555) 000-0004`, `+(1) 555-123-0000`): 7 to 15
 * digits.
 */
const PLUS_PHONE = /\+[ (]*\d(?:[ ().-]{0,2}\d){6,14}/g;
/**
 * A number without `+` (`15551230000`, `(555) 123-0000`, as an SDK or a person might quote it): 10 to 15 digits, alone.
 * Alone means not continuing an id or a time: a UUID (hyphens between groups, 12 digits at most in one) or an ISO
 * timestamp (`-`, `:`, `T` between short groups) never yields such a run, and dots are left out so addresses and
 * decimals stay. A 10-digit or longer number inside a text is taken for a phone: counts and durations are shorter, and
 * numeric fields are numbers, which are never masked.
 */
const BARE_PHONE = /(?<![\w+.:/-])\(?\d(?:[ ()-]{0,2}\d){9,14}(?!\w|[.:/-]\w)/g;
/** An email, its local part or its domain in any script (`josé@example.com`, `a@exämple.com`). */
const EMAIL = /[^\s@"'<>()[\],;:]+@[^\s@"'<>()[\],;:]+\.[^\s@"'<>()[\],;:]+/gu;
/** Field names whose values are credentials, whatever a caller put in them. */
const CREDENTIAL = /authorization|api[-_]?key|secret|token|password|signature/i;
const MASK = "•••";

/**
 * Masks every handle in a text: a phone number keeps a fifth of its digits at each end, two of a full number
 * (`+15•••00`), an email its first letter and its domain (`a•••@example.com`). Enough to tell lines apart, never enough
 * to reach the person.
 */
export function maskHandles(text: string): string {
  // Every line passes every value through here: a pattern whose sign (`@`, `+`) or digits the text lacks is skipped,
  // which spares most values (ids, routes, names) the scans, the email's being the costliest.
  let masked = text;
  if (masked.includes("@")) {
    masked = masked.replace(EMAIL, (email) => `${Array.from(email)[0]!}${MASK}${email.slice(email.lastIndexOf("@"))}`);
  }
  if (masked.includes("+")) masked = masked.replace(PLUS_PHONE, (phone) => `+${maskDigits(phone)}`);
  if (digits(masked) >= BARE_PHONE_DIGITS) masked = masked.replace(BARE_PHONE, maskDigits);
  return masked;
}

/** The fewest digits BARE_PHONE matches. */
const BARE_PHONE_DIGITS = 10;

/** How many ASCII digits a text holds, in one pass (a regex for "10 digits anywhere" backtracks on long texts). */
function digits(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) count++;
  }
  return count;
}

function maskDigits(phone: string): string {
  const digits = phone.replace(/\D/g, "");
  const kept = Math.floor(digits.length / 5);
  return `${digits.slice(0, kept)}${MASK}${digits.slice(digits.length - kept)}`;
}

/** Powertools' JSON replacer hook: runs on every key and value of a line, the message and errors included. */
export function redact(key: string, value: unknown): unknown {
  if (key !== "" && CREDENTIAL.test(key) && value !== undefined) return "[redacted]";
  return typeof value === "string" ? maskHandles(value) : value;
}

/** What a readable line leaves out: the same on every line of a run, or only useful in CloudWatch. */
const QUIET_KEYS = new Set([
  "level",
  "message",
  "timestamp",
  "service",
  "sampling_rate",
  "cold_start",
  "function_arn",
  "function_memory_size",
  "function_name",
  "function_request_id",
  "xray_trace_id",
]);

/** Powertools' Logger, printing readable lines when `LOG_FORMAT=text`. */
class ServiceLogger extends Logger {
  protected override printLog(logLevel: number, item: LogItem): void {
    if (process.env.LOG_FORMAT !== "text") return super.printLog(logLevel, item);
    item.prepareForPrint();
    const attributes = JSON.parse(JSON.stringify(item.getAttributes(), this.getJsonReplacer())) as LogFields;
    const level = String(attributes.level ?? "").padEnd(5);
    const time = String(attributes.timestamp ?? "").slice(11, 23);
    const where = attributes.function_name === undefined ? "" : ` ${String(attributes.function_name)}:`;
    const fields = Object.entries(attributes)
      .filter(([key]) => !QUIET_KEYS.has(key))
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
    const line = `${time} ${level}${where} ${String(attributes.message ?? "")} ${fields.join(" ")}`.trimEnd();
    (logLevel >= WARN ? process.stderr : process.stdout).write(`${line}\n`);
  }
}

const WARN = 16;
const LEVELS = ["INFO", "WARN", "ERROR", "SILENT"] as const;
const configured = (process.env.LOG_LEVEL ?? "info").toUpperCase() as (typeof LEVELS)[number];

export const logger: Logger = new ServiceLogger({
  logLevel: LEVELS.includes(configured) ? configured : "INFO",
  jsonReplacerFn: redact,
});

/** The calls the code makes; never given bodies or secrets, only ids and outcomes. */
export const log = {
  info(message: string, fields: LogFields = {}): void {
    logger.info(message, fields);
  },
  warn(message: string, fields: LogFields = {}): void {
    logger.warn(message, fields);
  },
  /** `error`: what failed, with its stack and its cause chain. */
  error(message: string, error: unknown, fields: LogFields = {}): void {
    logger.error(message, { ...fields, error: error instanceof Error ? error : String(error) });
  },
};

/** Ids every later line of the current invocation carries (`chat_id`, `trace_id`); cleared when it ends. */
export function logKeys(keys: { chat_id?: string; trace_id?: string }): void {
  logger.appendKeys(keys);
}

/** The domain's port onto the log. */
export const operationLog: OperationLog = { about: (operation) => logKeys(operation) };
