/** What the two operations need, for the HTTP functions and the request-event subscribers alike. */
import type { Env } from "../config.ts";
import type { OperationsDeps } from "../domain/operations-service.ts";
import { idempotencyKeys, operationStore } from "./dynamodb.ts";
import { HTTP_LINQ_POLICY, linqClient } from "./linq.ts";
import { operationLog } from "../log.ts";
import { metrics } from "./observability.ts";
import { randomIds, systemClock } from "./system.ts";

const linq = linqClient(HTTP_LINQ_POLICY);

/** `callLeaseMs`: longer than the function calling Linq can run (its timeout), so a retry never overlaps it. */
export function operationsDeps(timeoutSeconds: number, env: Env = process.env): OperationsDeps {
  return {
    store: operationStore(env),
    keys: idempotencyKeys(env),
    linq: linq(env),
    clock: systemClock,
    ids: randomIds,
    callLeaseMs: (timeoutSeconds + 5) * 1000,
    metrics,
    log: operationLog,
  };
}
