import { operationStore } from "../src/app/dynamodb.ts";
import { systemClock } from "../src/app/system.ts";
import { webhookVerifier } from "../src/app/webhooks.ts";
import { applyLinqEvent } from "../src/domain/correlation.ts";
import { readLinqEvent, type LinqEvent } from "../src/domain/linq-events.ts";
import { webhookFunction } from "../src/http/http-function.ts";
import { log } from "../src/log.ts";

const deps = { store: operationStore(), clock: systemClock };
const verifier = webhookVerifier();

export const handler = webhookFunction(
  (raw, headers) => verifier.verify(raw, headers),
  async (raw, deliveryId) => {
    const text = raw.toString("utf8");
    let event: LinqEvent;
    try {
      event = readLinqEvent(JSON.parse(text));
    } catch {
      event = { type: "unusable", reason: "the body is not JSON" };
    }
    // Signed but unusable: kept as it came, and answered 2xx, since Linq never retries a 4xx and its word would be lost.
    if (event.type === "unusable") event.raw = text;
    const settlement = await applyLinqEvent(deps, event, deliveryId);
    if (event.type === "unusable") log.warn("webhook kept unusable", { deliveryId, reason: event.reason });
    log.info("webhook applied", { deliveryId, eventType: eventTypeOf(event), result: settlement.result });
    return { status: 200, body: { received: true, result: settlement.result } };
  },
);

function eventTypeOf(event: LinqEvent): string | undefined {
  return event.type === "unusable" ? event.eventType : event.eventType;
}
