import { randomInt } from "node:crypto";
import type { FailMode } from "./faults.ts";

export interface WebhookTarget {
  readonly url: string;
  /** Standard Webhooks secret, `whsec_<base64>`. */
  readonly secret: string;
}

/** Whether an event's envelope `trace_id` is the `X-Trace-ID` of the call that caused it, or one of its own. */
export type TraceLink = "request" | "own";
/** Whether an icon set through the API is shown (and reported) as the URL sent, or as a URL Linq hosts. */
export type IconMode = "echo" | "rehost";
/** What `changed_by_handle` holds for a name or icon change made through the API. */
export type ChangedBy = "line" | "null" | "absent";
/** Whether a removed participant stays in `handles` (status `removed`, `left_at`) or disappears from it. */
export type RemovedHandles = "listed" | "dropped";

/**
 * Linq's own: "retried up to 10 times over ~25 minutes" (its docs since 2026-03-21). Doubling from 5 s, capped at
 * 5 min: 10 retries, 24 min 15 s in all. `npm start` and the tests pass shorter ones.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 240_000, 300_000, 300_000, 300_000,
];

/** The port `npm start` gives the sandbox, per the contract. */
const DEFAULT_ENV_PORT = 3001;

/** The webhook secret `npm start` gives the service, per the contract. */
export const LOCAL_WEBHOOK_SECRET = "whsec_bG9jYWwtZGV2LXdlYmhvb2stc2VjcmV0LTMyYnl0ZXMh";

export class SandboxConfigError extends Error {
  override name = "SandboxConfigError";
}

/**
 * One setting: its environment variable, if it has one, and the one check of its value. `read` takes an option's
 * value or a variable's text (a number may come as text) and throws naming `label`, the option or the variable.
 */
interface Setting<T> {
  readonly env?: string;
  readonly read: (label: string, value: unknown) => T;
  readonly fallback: () => T;
}

/**
 * Every setting, once, with what it means: `resolveOptions` and `sandboxOptionsFromEnv` both go through this table and
 * nothing else, and `SandboxOptions` is read off it. Linq's unknowns (linq.md, "What nobody here has confirmed") are
 * settings, so the service can be tested against every possible answer; each default is the likeliest answer, not a
 * confirmed one.
 */
const SETTINGS = {
  /** 0 picks a free port. */
  port: { env: "LINQ_SANDBOX_PORT", read: integer(0, 65535), fallback: () => 0 },
  host: { read: nonEmpty, fallback: () => "127.0.0.1" },
  /** When set, only this bearer key is accepted; otherwise any non-empty key is. */
  apiKey: { env: "SANDBOX_API_KEY", read: nonEmpty, fallback: () => undefined },
  /** Seeds every fault and id; a random one is picked (and reported) when absent. */
  seed: { env: "SANDBOX_SEED", read: integer(0, 2 ** 32 - 1), fallback: () => randomInt(0, 2 ** 32) },
  /** Fraction of API calls answered 500/3006. */
  failRate: { env: "SANDBOX_FAIL_RATE", read: fraction, fallback: () => 0 },
  /** Whether a 500 comes before the work (`before`), after it (`after`), or either at random (`either`). */
  failMode: {
    env: "SANDBOX_FAIL_MODE",
    read: oneOf<FailMode>(["before", "after", "either"]),
    fallback: (): FailMode => "either",
  },
  /** Fraction of API calls answered 429/1007. */
  rateLimitRate: { env: "SANDBOX_RATE_LIMIT_RATE", read: fraction, fallback: () => 0 },
  /** `Retry-After` of a 429, in seconds. */
  retryAfterSeconds: { env: "SANDBOX_RETRY_AFTER_SECONDS", read: integer(0), fallback: () => 1 },
  /** Fraction of events delivered twice with the same webhook-id. */
  duplicateRate: { env: "SANDBOX_DUPLICATE_RATE", read: fraction, fallback: () => 0 },
  /** Fraction of events never delivered. */
  dropRate: { env: "SANDBOX_DROP_RATE", read: fraction, fallback: () => 0 },
  /** Fraction of events held back until a later event of the same chat has gone out; `true`/`false` read as 1/0. */
  reorder: {
    env: "SANDBOX_REORDER",
    read: (label: string, value: unknown) => fraction(label, value === "true" ? 1 : value === "false" ? 0 : value),
    fallback: () => 0,
  },
  /** The longest an event is held back when no later event of its chat comes. */
  reorderWindowMs: { env: "SANDBOX_REORDER_WINDOW_MS", read: integer(0), fallback: () => 1000 },
  /** Time from an accepted update/removal to its outcome and event. */
  delayMs: { env: "SANDBOX_DELAY_MS", read: integer(0), fallback: () => 500 },
  /** Receivers of every event, besides the webhook subscriptions made through the API. */
  webhookTargets: { read: webhookTargets, fallback: () => [] },
  /** Waits before each retry of a delivery answered 5xx/429 or lost; its length is the number of retries. */
  retryScheduleMs: { env: "SANDBOX_RETRY_SCHEDULE_MS", read: schedule, fallback: () => [...DEFAULT_RETRY_SCHEDULE_MS] },
  /** A delivery attempt not answered within this is a network error (Linq: 10 s). */
  deliveryTimeoutMs: { env: "SANDBOX_DELIVERY_TIMEOUT_MS", read: integer(1), fallback: () => 10_000 },
  /** `partner_id` of every event. */
  partnerId: { read: nonEmpty, fallback: () => "sandbox-partner" },
  traceLink: {
    env: "SANDBOX_TRACE_LINK",
    read: oneOf<TraceLink>(["request", "own"]),
    fallback: (): TraceLink => "request",
  },
  iconMode: { env: "SANDBOX_ICON_MODE", read: oneOf<IconMode>(["echo", "rehost"]), fallback: (): IconMode => "echo" },
  /** The default, `line`, is the chat's own handle, `is_me: true`. */
  changedBy: {
    env: "SANDBOX_CHANGED_BY",
    read: oneOf<ChangedBy>(["line", "null", "absent"]),
    fallback: (): ChangedBy => "line",
  },
  /**
   * How many of the latest records of each kind (calls, operations, events, deliveries) `truth()` keeps; the older are
   * forgotten. Default all: a test or a chaos run judges the whole run.
   */
  truthRecords: { env: "SANDBOX_TRUTH_RECORDS", read: integer(1), fallback: () => Infinity },
  /** For this long after a chat is created (through the API or `seedChat`), changes to it answer 409/2009. */
  creatingMs: { env: "SANDBOX_CREATING_MS", read: integer(0), fallback: () => 0 },
  removedHandles: {
    env: "SANDBOX_REMOVED_HANDLES",
    read: oneOf<RemovedHandles>(["listed", "dropped"]),
    fallback: (): RemovedHandles => "listed",
  },
  log: {
    read: (label: string, value: unknown) => {
      if (typeof value !== "function") throw new SandboxConfigError(`${label} must be a function`);
      return value as (line: string) => void;
    },
    fallback: () => () => {},
  },
};

type Settings = typeof SETTINGS;
/** Each option is of the type its setting's check reads. */
export type SandboxOptions = { [K in keyof Settings]?: ReturnType<Settings[K]["read"]> };
export type ResolvedOptions = Required<Omit<SandboxOptions, "apiKey">> & { readonly apiKey: string | undefined };
// Each default is of its setting's type.
SETTINGS satisfies { readonly [K in keyof ResolvedOptions]: Setting<ResolvedOptions[K]> };

/** Checks every option once and fills in the defaults; a bad value throws a `SandboxConfigError` naming the option. */
export function resolveOptions(options: SandboxOptions): ResolvedOptions {
  const resolved: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as [keyof Settings, Setting<unknown>][]) {
    const value = options[key];
    resolved[key] = value === undefined ? setting.fallback() : setting.read(key, value);
  }
  return resolved as ResolvedOptions;
}

/**
 * Options from `SANDBOX_*`, `LINQ_SANDBOX_PORT` (default 3001) and, for a webhook receiver, `SANDBOX_WEBHOOK_URL` with
 * `LINQ_WEBHOOK_SECRET` (default the local one). An unset or empty variable keeps the default; a bad one throws,
 * naming the variable.
 */
export function sandboxOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): SandboxOptions {
  const read = (name: string): string | undefined => env[name]?.trim() || undefined;
  const options: Record<string, unknown> = { port: DEFAULT_ENV_PORT };
  for (const [key, setting] of Object.entries(SETTINGS) as [keyof Settings, Setting<unknown>][]) {
    const raw = setting.env === undefined ? undefined : read(setting.env);
    if (raw !== undefined) options[key] = setting.read(setting.env!, raw);
  }
  const webhookUrl = read("SANDBOX_WEBHOOK_URL");
  if (webhookUrl !== undefined) {
    const target = { url: webhookUrl, secret: read("LINQ_WEBHOOK_SECRET") ?? LOCAL_WEBHOOK_SECRET };
    options.webhookTargets = webhookTargets("SANDBOX_WEBHOOK_URL/LINQ_WEBHOOK_SECRET", [target]);
  }
  return options as SandboxOptions;
}

/** A number, or the text of one (from the environment), that `fits`; `what` says what fits. */
function numberIn(label: string, value: unknown, what: string, fits: (number: number) => boolean): number {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isFinite(number)) {
    throw new SandboxConfigError(`${label} must be ${what}, got ${JSON.stringify(value)}`);
  }
  if (!fits(number)) throw new SandboxConfigError(`${label} must be ${what}, got ${String(value)}`);
  return number;
}

function fraction(label: string, value: unknown): number {
  return numberIn(label, value, "a fraction between 0 and 1", (number) => number >= 0 && number <= 1);
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER): (label: string, value: unknown) => number {
  const what = `an integer from ${min} to ${max}`;
  return (label, value) => numberIn(label, value, what, (n) => Number.isInteger(n) && n >= min && n <= max);
}

/** Milliseconds: a list, or comma-separated text. */
function schedule(label: string, value: unknown): number[] {
  const parts = typeof value === "string" ? value.split(",") : value;
  if (!Array.isArray(parts)) throw new SandboxConfigError(`${label} must be a list of milliseconds`);
  return parts.map((part: unknown, index) => {
    if (typeof part === "string" && part.trim() === "") {
      throw new SandboxConfigError(`${label} must be comma-separated milliseconds, got ${JSON.stringify(value)}`);
    }
    return integer(0)(`${label}[${index}]`, part);
  });
}

function nonEmpty(label: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw new SandboxConfigError(`${label} must be a non-empty string`);
  return value;
}

function oneOf<T extends string>(values: readonly T[]): (label: string, value: unknown) => T {
  return (label, value) => {
    const found = values.find((candidate) => candidate === value);
    if (found === undefined) {
      throw new SandboxConfigError(`${label} must be one of ${values.join(", ")}, got ${JSON.stringify(value)}`);
    }
    return found;
  };
}

const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

function webhookTargets(label: string, value: unknown): WebhookTarget[] {
  if (!Array.isArray(value)) throw new SandboxConfigError(`${label} must be a list of {url, secret}`);
  return value.map((target: WebhookTarget, index) => {
    const at = label.includes("/") ? label : `${label}[${index}]`;
    const url: unknown = target?.url;
    if (typeof url !== "string" || !URL.canParse(url) || !["http:", "https:"].includes(new URL(url).protocol)) {
      throw new SandboxConfigError(`${at}: url must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
    if (typeof target.secret !== "string" || !SECRET.test(target.secret)) {
      throw new SandboxConfigError(`${at}: secret must look like whsec_<base64>`);
    }
    return { url: target.url, secret: target.secret };
  });
}
