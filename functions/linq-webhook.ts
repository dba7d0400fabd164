import { operationStore } from "../src/app/dynamodb.ts";
import { metrics } from "../src/app/observability.ts";
import { systemClock } from "../src/app/system.ts";
import { webhookVerifier } from "../src/app/webhooks.ts";
import { applyLinqEvent } from "../src/domain/correlation.ts";
import { readLinqEvent, type LinqEvent } from "../src/domain/linq-events.ts";
import { webhookFunction } from "../src/http/http-function.ts";
import { logKeys } from "../src/log.ts";

const deps = { store: operationStore(), clock: systemClock };
const verifier = webhookVerifier();

export const handler = webhookFunction(
  (raw, headers) => verifier.verify(raw, headers),
  async ({ deliveryId, raw, payload }) => {
    const event: LinqEvent =
      payload === undefined ? { type: "unusable", reason: "the body is not JSON" } : readLinqEvent(payload);
    // Signed but unusable: kept as it came and answered 2xx, since Linq never retries a 4xx and its word would be lost.
    if (event.type === "unusable") event.raw = raw.toString("utf8");
    if ("chatId" in event && event.chatId !== undefined) logKeys({ chat_id: event.chatId });
    const settlement = await applyLinqEvent(deps, event, deliveryId);
    if (settlement.result === "duplicate") metrics.record("WebhookDuplicate", 1, {});
    if (settlement.result === "kept") metrics.record("WebhookUnmatched", 1, { kept: settlement.kind });
    const settled = settlement.result === "settled" ? settlement.records.map((record) => record.trace_id) : [];
    if (settled[0] !== undefined) logKeys({ trace_id: settled[0] });
    const logFields = {
      eventType: event.eventType,
      eventId: event.eventId,
      result: settlement.result,
      ...(settled.length > 1 ? { settled } : {}),
      ...(event.type === "unusable" ? { unusable: event.reason } : {}),
    };
    return { status: 200, body: { received: true, result: settlement.result }, logFields };
  },
);
