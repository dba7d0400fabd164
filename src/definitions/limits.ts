/**
 * How hard the service may press on Linq, set per deploy from the deploying shell's environment (`stacks/` reads it
 * when `sst deploy` runs). Plain data only: no AWS import.
 *
 * What actually bounds parallel calls to Linq in Lambda: one instance runs one invocation at a time, so an in-process
 * limiter in a request function would bound nothing. Reserved concurrency does: a function that calls Linq for a
 * request (`concurrency: "linq"` in definitions/functions.ts) never runs more than `linqConcurrency` instances, each
 * making one call at a time; the reconciler runs one instance (reserved concurrency 1) reading
 * `ReconcilerPolicy.concurrency` chats at once, its own in-process limit. So the calls in flight are bounded by those
 * numbers, whatever arrives.
 *
 * What happens to the surplus depends on the door. A request event is invoked asynchronously: Lambda keeps it in the
 * function's queue and retries the throttled invocation with backoff (up to 5 minutes apart) until the event is
 * `REQUEST_DELIVERY.maximumEventAgeSeconds` old, then sends it to the dead-letter queue; throttling does not use up the
 * retries meant for errors. An HTTP request cannot wait: the API stage's throttling answers the surplus 429 (which
 * Linq's SDKs retry) before it reaches a function that would be throttled into a 500.
 */

export interface LinqPressure {
  /** Reserved concurrency of each function that calls Linq for a request; `undefined`: the account's unreserved pool. */
  readonly linqConcurrency: number | undefined;
  /** The HTTP API stage: requests per second, steady state, over all routes together. */
  readonly apiRateLimit: number;
  /** The HTTP API stage: requests served at once above the rate before answering 429 (the token bucket's size). */
  readonly apiBurstLimit: number;
}

export const DEFAULT_LINQ_PRESSURE: LinqPressure = {
  // 10 for each of the four request functions: 40 calls in flight at most, plus the reconciler's few, and 41 of an
  // account's default 1,000 concurrent executions reserved.
  linqConcurrency: 10,
  // A Linq call takes well under a second when Linq is well: 10 instances serve about 20 requests a second each, and
  // reads and webhooks cost no Linq call. Raise these with `LINQ_CONCURRENCY`.
  apiRateLimit: 50,
  apiBurstLimit: 100,
};

export class LimitsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LimitsError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new LimitsError(`${name} must be a whole number above 0, got "${raw}"`);
  return value;
}

/**
 * `LINQ_CONCURRENCY` (a whole number, or `unreserved` for an account whose concurrency quota cannot spare a
 * reservation), `API_THROTTLE_RATE` and `API_THROTTLE_BURST`.
 */
export function readLinqPressure(env: Env): LinqPressure {
  const concurrency = env.LINQ_CONCURRENCY?.trim();
  return {
    linqConcurrency:
      concurrency === "unreserved"
        ? undefined
        : positiveInteger(env, "LINQ_CONCURRENCY", DEFAULT_LINQ_PRESSURE.linqConcurrency!),
    apiRateLimit: positiveInteger(env, "API_THROTTLE_RATE", DEFAULT_LINQ_PRESSURE.apiRateLimit),
    apiBurstLimit: positiveInteger(env, "API_THROTTLE_BURST", DEFAULT_LINQ_PRESSURE.apiBurstLimit),
  };
}

/** A function's reserved concurrency: its own fixed number, the Linq setting, or none. */
export function reservedConcurrency(
  definition: { readonly concurrency?: number | "linq" },
  pressure: LinqPressure,
): number | undefined {
  if (definition.concurrency === "linq") return pressure.linqConcurrency;
  return definition.concurrency;
}
