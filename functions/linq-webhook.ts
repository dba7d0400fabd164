import { outcomeDeps, systemClock, webhookVerifier } from "../src/app.ts";
import { applyLinqEvent } from "../src/domain/correlation.ts";
import { badRequest, LinqCode } from "../src/domain/errors.ts";
import { readLinqEvent } from "../src/domain/linq-events.ts";
import { webhookFunction } from "../src/http/http-function.ts";
import { log } from "../src/log.ts";

const deps = { ...outcomeDeps(), clock: systemClock };
const verifier = webhookVerifier();

export const handler = webhookFunction(
  (raw, headers) => verifier.verify(raw, headers),
  async (raw, deliveryId) => {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      // Signed but unreadable: it will never parse, so a 4xx tells Linq not to retry it.
      throw badRequest(LinqCode.invalidBody, "Webhook body is not valid JSON");
    }
    const event = readLinqEvent(body);
    const settlement = await applyLinqEvent(deps, event, deliveryId);
    log.info("webhook applied", {
      deliveryId,
      eventType: event.eventType,
      eventId: event.eventId,
      result: settlement.result,
    });
    return { status: 200, body: { received: true, result: settlement.result } };
  },
);
