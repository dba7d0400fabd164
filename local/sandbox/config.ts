import { randomInt } from "node:crypto";
import type { FailMode } from "./faults.ts";

export interface WebhookTarget {
  readonly url: string;
  /** Standard Webhooks secret, `whsec_<base64>`. */
  readonly secret: string;
}

export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** When set, only this bearer key is accepted; otherwise any non-empty key is. */
  apiKey?: string;
  /** Seeds every fault and id; a random one is picked (and reported) when absent. */
  seed?: number;
  /** Fraction of API calls answered 500/3006. */
  failRate?: number;
  /** Whether a 500 comes before the work (`before`), after it (`after`), or either at random (`either`). */
  failMode?: FailMode;
  /** Fraction of API calls answered 429/1007. */
  rateLimitRate?: number;
  /** `Retry-After` of a 429, in seconds. */
  retryAfterSeconds?: number;
  /** Fraction of events delivered twice with the same webhook-id. */
  duplicateRate?: number;
  /** Fraction of events never delivered. */
  dropRate?: number;
  /** Fraction of events held back until a later event of the same chat has gone out. */
  reorder?: number;
  /** The longest an event is held back when no later event of its chat comes. */
  reorderWindowMs?: number;
  /** Time from an accepted update/removal to its outcome and event. */
  delayMs?: number;
  /** Receivers of every event, besides the webhook subscriptions made through the API. */
  webhookTargets?: WebhookTarget[];
  /** Waits before each retry of a delivery answered 5xx/429 or lost; its length is the number of retries. */
  retryScheduleMs?: number[];
  /** A delivery attempt not answered within this is a network error (Linq: 10 s). */
  deliveryTimeoutMs?: number;
  /** `partner_id` of every event. */
  partnerId?: string;
  log?: (line: string) => void;
}

export type ResolvedOptions = Required<Omit<SandboxOptions, "apiKey">> & { readonly apiKey: string | undefined };

export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [1000, 2000, 4000, 8000, 16000];

/** The port `npm start` gives the sandbox, per the contract. */
export const DEFAULT_ENV_PORT = 3001;

/** The webhook secret `npm start` gives the service, per the contract. */
export const LOCAL_WEBHOOK_SECRET = "whsec_bG9jYWwtZGV2LXdlYmhvb2stc2VjcmV0LTMyYnl0ZXMh";

export class SandboxConfigError extends Error {
  override name = "SandboxConfigError";
}

const FAIL_MODES: readonly FailMode[] = ["before", "after", "either"];
const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

export function resolveOptions(options: SandboxOptions): ResolvedOptions {
  const targets = options.webhookTargets ?? [];
  targets.forEach((target, index) => webhookTarget(`webhookTargets[${index}]`, target));
  return {
    port: integer("port", options.port ?? 0, 0, 65535),
    host: options.host ?? "127.0.0.1",
    apiKey: options.apiKey === undefined ? undefined : nonEmpty("apiKey", options.apiKey),
    seed: integer("seed", options.seed ?? randomInt(0, 2 ** 32), 0, 2 ** 32 - 1),
    failRate: rate("failRate", options.failRate ?? 0),
    failMode: failMode("failMode", options.failMode ?? "either"),
    rateLimitRate: rate("rateLimitRate", options.rateLimitRate ?? 0),
    retryAfterSeconds: integer("retryAfterSeconds", options.retryAfterSeconds ?? 1, 0),
    duplicateRate: rate("duplicateRate", options.duplicateRate ?? 0),
    dropRate: rate("dropRate", options.dropRate ?? 0),
    reorder: rate("reorder", options.reorder ?? 0),
    reorderWindowMs: integer("reorderWindowMs", options.reorderWindowMs ?? 1000, 0),
    delayMs: integer("delayMs", options.delayMs ?? 500, 0),
    webhookTargets: [...targets],
    retryScheduleMs: (options.retryScheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS).map((ms, index) =>
      integer(`retryScheduleMs[${index}]`, ms, 0),
    ),
    deliveryTimeoutMs: integer("deliveryTimeoutMs", options.deliveryTimeoutMs ?? 10_000, 1),
    partnerId: nonEmpty("partnerId", options.partnerId ?? "sandbox-partner"),
    log: options.log ?? (() => {}),
  };
}

/**
 * Options from `SANDBOX_*`, `LINQ_SANDBOX_PORT` (default 3001) and, for a webhook receiver, `SANDBOX_WEBHOOK_URL` with
 * `LINQ_WEBHOOK_SECRET` (default the local one). An unset or empty variable keeps the default; a bad one throws,
 * naming the variable.
 */
export function sandboxOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): SandboxOptions {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const numberOf = (name: string): number | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new SandboxConfigError(`${name} must be a number, got ${JSON.stringify(raw)}`);
    return value;
  };
  const rateOf = (name: string): number | undefined => {
    const value = numberOf(name);
    return value === undefined ? undefined : rate(name, value);
  };
  const integerOf = (name: string, min: number, max?: number): number | undefined => {
    const value = numberOf(name);
    return value === undefined ? undefined : integer(name, value, min, max);
  };

  const options: SandboxOptions = { port: integerOf("LINQ_SANDBOX_PORT", 0, 65535) ?? DEFAULT_ENV_PORT };
  const assign = <K extends keyof SandboxOptions>(key: K, value: SandboxOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  assign("apiKey", read("SANDBOX_API_KEY"));
  assign("seed", integerOf("SANDBOX_SEED", 0, 2 ** 32 - 1));
  assign("failRate", rateOf("SANDBOX_FAIL_RATE"));
  const mode = read("SANDBOX_FAIL_MODE");
  assign("failMode", mode === undefined ? undefined : failMode("SANDBOX_FAIL_MODE", mode));
  assign("rateLimitRate", rateOf("SANDBOX_RATE_LIMIT_RATE"));
  assign("retryAfterSeconds", integerOf("SANDBOX_RETRY_AFTER_SECONDS", 0));
  assign("duplicateRate", rateOf("SANDBOX_DUPLICATE_RATE"));
  assign("dropRate", rateOf("SANDBOX_DROP_RATE"));
  assign("reorder", reorderOf(read("SANDBOX_REORDER")));
  assign("reorderWindowMs", integerOf("SANDBOX_REORDER_WINDOW_MS", 0));
  assign("delayMs", integerOf("SANDBOX_DELAY_MS", 0));
  assign("deliveryTimeoutMs", integerOf("SANDBOX_DELIVERY_TIMEOUT_MS", 1));
  const schedule = read("SANDBOX_RETRY_SCHEDULE_MS");
  assign("retryScheduleMs", schedule === undefined ? undefined : scheduleOf(schedule));
  const webhookUrl = read("SANDBOX_WEBHOOK_URL");
  if (webhookUrl !== undefined) {
    const target = { url: webhookUrl, secret: read("LINQ_WEBHOOK_SECRET") ?? LOCAL_WEBHOOK_SECRET };
    options.webhookTargets = [webhookTarget("SANDBOX_WEBHOOK_URL/LINQ_WEBHOOK_SECRET", target)];
  }
  return options;
}

/** `true`/`false` read as 1/0, for those who think of reordering as a switch. */
function reorderOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (raw === "true") return 1;
  if (raw === "false") return 0;
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    throw new SandboxConfigError(`SANDBOX_REORDER must be a fraction between 0 and 1 (or true/false), got "${raw}"`);
  }
  return rate("SANDBOX_REORDER", value);
}

function scheduleOf(raw: string): number[] {
  return raw.split(",").map((part, index) => {
    const value = Number(part.trim());
    if (part.trim() === "" || !Number.isFinite(value)) {
      throw new SandboxConfigError(`SANDBOX_RETRY_SCHEDULE_MS must be comma-separated milliseconds, got "${raw}"`);
    }
    return integer(`SANDBOX_RETRY_SCHEDULE_MS[${index}]`, value, 0);
  });
}

function rate(label: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new SandboxConfigError(`${label} must be a fraction between 0 and 1, got ${String(value)}`);
  }
  return value;
}

function integer(label: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new SandboxConfigError(`${label} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function nonEmpty(label: string, value: string): string {
  if (typeof value !== "string" || value === "") throw new SandboxConfigError(`${label} must be a non-empty string`);
  return value;
}

function failMode(label: string, value: string): FailMode {
  const mode = FAIL_MODES.find((candidate) => candidate === value);
  if (mode === undefined) {
    throw new SandboxConfigError(`${label} must be one of ${FAIL_MODES.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return mode;
}

function webhookTarget(label: string, target: WebhookTarget): WebhookTarget {
  if (!URL.canParse(target.url) || !["http:", "https:"].includes(new URL(target.url).protocol)) {
    throw new SandboxConfigError(`${label}: url must be an http(s) URL, got ${JSON.stringify(target.url)}`);
  }
  if (!SECRET.test(target.secret)) throw new SandboxConfigError(`${label}: secret must look like whsec_<base64>`);
  return target;
}
