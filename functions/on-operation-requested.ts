import type { EventBridgeEvent } from "aws-lambda";
import { requestEventDeps } from "../src/app.ts";
import { runRequestEvent } from "../src/domain/request-events.ts";
import { log } from "../src/log.ts";

const deps = requestEventDeps();

/**
 * Both request detail-types: each has its own function (its own retries, concurrency and alarms), the same entry point,
 * since the event says which operation it asks for.
 */
export async function handler(event: EventBridgeEvent<string, unknown>): Promise<void> {
  const outcome = await runRequestEvent(deps, event);
  log.info("request event handled", { eventId: event.id, detailType: event["detail-type"], ...outcome });
}
