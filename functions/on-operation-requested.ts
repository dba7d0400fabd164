import type { EventBridgeEvent } from "aws-lambda";
import { lambdaFunction } from "../src/app/observability.ts";
import { operationsDeps } from "../src/app/operations.ts";
import { rejectedRequests } from "../src/app/sqs.ts";
import { runRequestEvent } from "../src/domain/request-events.ts";
import { log } from "../src/log.ts";

/** Both subscribers share this entry point and their 60 s timeout (src/definitions/functions.ts). */
const deps = { ...operationsDeps(60), rejected: rejectedRequests() };

/**
 * Both request detail-types: each has its own function (its own retries, concurrency and alarms), the same entry point,
 * since the event says which operation it asks for.
 */
export const handler = lambdaFunction(async (event: EventBridgeEvent<string, unknown>): Promise<void> => {
  const outcome = await runRequestEvent(deps, event);
  // A rejected event is in the dead-letter queue with its reason; this line says why, once, where it was decided.
  const line = { eventId: event.id, detailType: event["detail-type"], ...outcome };
  if (outcome.result === "rejected") log.warn("request event rejected", line);
  else log.info("request event handled", line);
});
