/**
 * The one config reader. Each function reads only the parts its access flags give it (see definitions/functions.ts),
 * at cold start, and a missing or malformed value fails there, loudly, instead of on the first request.
 */

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
function list(env: Env, name: string): string[] {
  return (env[name] ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function seconds(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(`${name} must be a number of seconds, got "${raw}"`);
  return value;
}

export interface AwsConfig {
  region: string;
  /** Set only locally: DynamoDB Local and the local bus. */
  dynamodbEndpoint?: string;
  eventBridgeEndpoint?: string;
  sqsEndpoint?: string;
}

export function readAwsConfig(env: Env): AwsConfig {
  const config: AwsConfig = { region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1" };
  if (env.DYNAMODB_ENDPOINT) config.dynamodbEndpoint = env.DYNAMODB_ENDPOINT;
  if (env.EVENT_BUS_ENDPOINT) config.eventBridgeEndpoint = env.EVENT_BUS_ENDPOINT;
  if (env.SQS_ENDPOINT) config.sqsEndpoint = env.SQS_ENDPOINT;
  return config;
}

export function readOperationsTable(env: Env): string {
  return required(env, "OPERATIONS_TABLE");
}

/** Only functions that write deliveries, idempotency keys or chat changes have the ledger (see their access flags). */
export function readLedgerTable(env: Env): string | undefined {
  return env.LEDGER_TABLE?.trim() || undefined;
}

export function requireLedgerTable(env: Env): string {
  return required(env, "LEDGER_TABLE");
}

export function readEventBusName(env: Env): string {
  return required(env, "EVENT_BUS_NAME");
}

export const LINQ_BASE_URL = "https://api.linqapp.com/api/partner";

export function readLinqConfig(env: Env): { apiKey: string; baseURL: string } {
  return {
    apiKey: required(env, "LINQ_API_V3_API_KEY"),
    baseURL: (env.LINQ_API_V3_BASE_URL?.trim() || LINQ_BASE_URL).replace(/\/+$/, ""),
  };
}

export function readWebhookSecrets(env: Env): { secrets: string[]; legacySecrets: string[] } {
  const secrets = list(env, "LINQ_WEBHOOK_SECRET");
  if (secrets.length === 0) throw new ConfigError("LINQ_WEBHOOK_SECRET is not set");
  return { secrets, legacySecrets: list(env, "LINQ_LEGACY_WEBHOOK_SECRET") };
}

export function readServiceTokens(env: Env): string[] {
  const tokens = list(env, "API_TOKEN");
  if (tokens.length === 0) throw new ConfigError("API_TOKEN is not set");
  return tokens;
}

export function readDeadLetterQueueUrl(env: Env): string {
  return required(env, "REQUEST_DLQ_URL");
}

export interface ReconcilerConfig {
  settleAfterMs: number;
  failAfterMs: number;
  abandonAwaitingAfterMs: number;
  outboxAfterMs: number;
  batchSize: number;
  maxPages: number;
}

/**
 * Defaults fit Linq: outcomes usually arrive within seconds to a few minutes. `npm start` shortens them so a failed
 * removal shows up as failed while you watch.
 */
export function readReconcilerConfig(env: Env): ReconcilerConfig {
  return {
    settleAfterMs: seconds(env, "RECONCILE_AFTER_SECONDS", 120) * 1000,
    failAfterMs: seconds(env, "RECONCILE_FAIL_AFTER_SECONDS", 900) * 1000,
    abandonAwaitingAfterMs: seconds(env, "RECONCILE_ABANDON_AFTER_SECONDS", 300) * 1000,
    outboxAfterMs: seconds(env, "RECONCILE_OUTBOX_AFTER_SECONDS", 60) * 1000,
    batchSize: 100,
    // 20 pages of 100 operations, each page one Linq read per chat: well inside the reconciler's 300 s.
    maxPages: 20,
  };
}
