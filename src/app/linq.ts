/** The one Linq client per process, with the retry policy of the function that calls it. */
import { LinqClient, type RetryPolicy } from "../adapters/linq-client.ts";
import { readLinqConfig } from "../config.ts";
import { metrics } from "./observability.ts";
import { memo } from "./system.ts";

/**
 * Inside an HTTP function's 28 s: Linq gets 20 s in all, leaving time to write the outcome and answer.
 * 8 s per attempt fits two slow attempts or several quick failures with backoff.
 */
export const HTTP_LINQ_POLICY: RetryPolicy = {
  deadlineMs: 20_000,
  attemptTimeoutMs: 8_000,
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
};

/** The reconciler reads many chats: a slow one is skipped this run rather than holding up the rest. */
export const RECONCILER_LINQ_POLICY: RetryPolicy = {
  deadlineMs: 8_000,
  attemptTimeoutMs: 4_000,
  maxAttempts: 2,
  baseDelayMs: 250,
  maxDelayMs: 1_000,
};

export function linqClient(policy: RetryPolicy) {
  return memo((env) => {
    const linq = readLinqConfig(env);
    return new LinqClient({ apiKey: linq.apiKey, baseURL: linq.baseURL, policy, metrics });
  });
}
