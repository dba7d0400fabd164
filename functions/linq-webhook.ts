import { outcomeDeps, systemClock, webhookVerifier } from "../src/app.ts";
import { applyLinqEvent } from "../src/domain/correlation.ts";
import { readLinqEvent } from "../src/domain/linq-events.ts";
import { webhookFunction } from "../src/http/http-function.ts";

const deps = { ...outcomeDeps(), clock: systemClock };
const verifier = webhookVerifier();

export const handler = webhookFunction(
  (raw, headers) => verifier.verify(raw, headers),
  async (payload, deliveryId) => {
    const event = readLinqEvent(payload);
    const settlement = await applyLinqEvent(deps, event, deliveryId);
    return {
      status: 200,
      body: { received: true, result: settlement.result },
      logFields: { eventType: event.eventType, eventId: event.eventId, result: settlement.result },
    };
  },
);
