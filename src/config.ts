/**
 * The one config reader. Each function reads only the parts its access flags give it (see definitions/functions.ts),
 * at cold start, and a missing or malformed value fails there, loudly, instead of on the first request.
 *
 * Resource names and settings come from the environment; secrets come from SST's `Resource`, never from a plain
 * variable. In Lambda, `Resource` decrypts the secrets linked to the function from the bundle (`resource.enc`, with the
 * `SST_KEY` SST sets); anywhere else (`npm start`, tests) it reads the same values from `SST_RESOURCE_<name>`
 * variables, which `linkedSecretsEnvironment` writes. Either way the code below is the same.
 */
import { Resource } from "sst/resource";
import type { SecretName } from "./definitions/functions.ts";

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is not set`);
  return value;
}

/** Comma-separated lists: rotation means two secrets or tokens are valid at once for a while. */
export function splitList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** The value of a secret linked to this function (stacks/functions.ts links each one its access flags name). */
function linkedSecret(name: SecretName): string {
  let linked: unknown;
  try {
    linked = (Resource as unknown as Record<string, unknown>)[name];
  } catch {
    // Resource throws when the name is not linked here, or when no SST link is active at all.
    throw new ConfigError(`the secret ${name} is not linked to this function`);
  }
  const value = (linked as { value?: unknown } | undefined)?.value;
  if (typeof value !== "string") throw new ConfigError(`the secret ${name} is linked without a value`);
  return value;
}

/**
 * Secrets in the form SST's `Resource` reads outside Lambda: `SST_RESOURCE_<name>` holding the link's JSON, as SST
 * itself writes it for a linked `sst.Secret`. For `npm start` and tests, which run without SST.
 */
export function linkedSecretsEnvironment(values: Partial<Record<SecretName, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([name, value]) => [`SST_RESOURCE_${name}`, JSON.stringify({ type: "sst.sst.Secret", value })]),
  );
}

function seconds(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(`${name} must be a number of seconds, got "${raw}"`);
  return value;
}

export function readOperationsTable(env: Env): string {
  return required(env, "OPERATIONS_TABLE");
}

/** Only the functions that take idempotency keys have the ledger (see their access flags). */
export function readLedgerTable(env: Env): string {
  return required(env, "LEDGER_TABLE");
}

export function readEventBusName(env: Env): string {
  return required(env, "EVENT_BUS_NAME");
}

export const LINQ_BASE_URL = "https://api.linqapp.com/api/partner";

export function readLinqConfig(env: Env): { apiKey: string; baseURL: string } {
  const apiKey = linkedSecret("LinqApiKey").trim();
  if (!apiKey) throw new ConfigError("the secret LinqApiKey is empty");
  return {
    apiKey,
    baseURL: (env.LINQ_API_V3_BASE_URL?.trim() || LINQ_BASE_URL).replace(/\/+$/, ""),
  };
}

export function readWebhookSecrets(): { secrets: string[]; legacySecrets: string[] } {
  const secrets = splitList(linkedSecret("LinqWebhookSecret"));
  if (secrets.length === 0) throw new ConfigError("the secret LinqWebhookSecret is empty");
  // Linked with an empty placeholder: the deprecated scheme is refused unless a stage sets it.
  return { secrets, legacySecrets: splitList(linkedSecret("LinqLegacyWebhookSecret")) };
}

export function readServiceTokens(): string[] {
  const tokens = splitList(linkedSecret("ServiceTokens"));
  if (tokens.length === 0) throw new ConfigError("the secret ServiceTokens is empty");
  return tokens;
}

export function readDeadLetterQueueUrl(env: Env): string {
  return required(env, "REQUEST_DLQ_URL");
}

/** How long a settled record or kept event stays in view of new evidence (a redelivery, a late second event). */
export function readWatchWindowMs(env: Env): number {
  return seconds(env, "WATCH_WINDOW_SECONDS", 3600) * 1000;
}

export interface ReconcilerConfig {
  settleAfterMs: number;
  failAfterMs: { "chat.update": number; "participant.remove": number };
  abandonCallAfterMs: number;
  batchSize: number;
  maxPages: number;
  concurrency: number;
}

/**
 * Defaults fit Linq: outcomes usually arrive within seconds to minutes, and Linq retries a webhook for about 25
 * minutes, so nothing is concluded from its absence before 30. `npm start` shortens them so a failed removal shows up
 * as failed while you watch.
 */
export function readReconcilerConfig(env: Env): ReconcilerConfig {
  const failAfter = seconds(env, "RECONCILE_FAIL_AFTER_SECONDS", 1800);
  const config = {
    settleAfterMs: seconds(env, "RECONCILE_AFTER_SECONDS", 120) * 1000,
    failAfterMs: {
      "chat.update": seconds(env, "RECONCILE_FAIL_UPDATE_AFTER_SECONDS", failAfter) * 1000,
      "participant.remove": seconds(env, "RECONCILE_FAIL_REMOVAL_AFTER_SECONDS", failAfter) * 1000,
    },
    // Past the slowest function's timeout (the reconciler's own 300 s).
    abandonCallAfterMs: seconds(env, "RECONCILE_ABANDON_AFTER_SECONDS", 360) * 1000,
    batchSize: 100,
    // 20 pages of 100 operations, each page one Linq read per chat.
    maxPages: 20,
    concurrency: 4,
  };
  const window = readWatchWindowMs(env);
  const longest = Math.max(...Object.values(config.failAfterMs));
  // A record must still be in view when the reconciler weighs the chat's later changes against it.
  if (window < longest) {
    throw new ConfigError(`WATCH_WINDOW_SECONDS (${window / 1000}) must be at least the longest fail-after deadline`);
  }
  return config;
}
