/**
 * Settles operations from Linq's webhook events. No event names the request that caused it, so each is matched:
 * - `*_updated` settles the oldest pending update of that chat whose requested value equals `new_value`;
 * - `*_update_failed` settles the oldest pending update of that part for that chat (the event carries no value);
 * - `participant.removed` settles the pending removal of that chat and handle.
 * An event that matches nothing (a person renamed the group on their phone) is recorded against the chat instead of
 * being forced onto an operation.
 *
 * Every write carries the delivery's `webhook-id`, atomically: a redelivery finds the id taken and changes nothing,
 * which matters here because a second `*_updated` with the same value would otherwise settle the *next* request.
 */
import { awaitingParts, settlePart, type Part, type PartOutcome, type StoredOperation } from "./operation.ts";
import type { LinqEvent } from "./linq-events.ts";
import { publishAfterWrite, type OutcomeDeps } from "./outcomes.ts";
import type { Clock, OperationStore } from "./ports.ts";

export type Settlement =
  | { result: "settled"; record: StoredOperation }
  | { result: "recorded-against-chat" }
  | { result: "duplicate" }
  | { result: "ignored" };

/** Concurrent writers to one record are few (a webhook, the reconciler, the caller renaming a removal). */
const MAX_ATTEMPTS = 8;

interface Match {
  part: Part;
  outcome: PartOutcome;
  matches(record: StoredOperation): boolean;
}

function matchFor(event: Exclude<LinqEvent, { type: "ignored" }>, recordedAt: string): Match {
  switch (event.type) {
    case "part.updated":
      return {
        part: event.part,
        outcome: { status: "succeeded", at: event.at, recordedAt, by: "webhook" },
        matches: (record) =>
          record.kind === "chat.update" &&
          event.newValue !== null &&
          record.request[event.part] === event.newValue.trim(),
      };
    case "part.update_failed":
      return {
        part: event.part,
        outcome: {
          status: "failed",
          at: event.at,
          recordedAt,
          by: "webhook",
          errorCode: event.errorCode,
          reason: `Linq reported ${event.eventType} (error_code ${event.errorCode})`,
        },
        matches: (record) => record.kind === "chat.update",
      };
    case "participant.removed":
      return {
        part: "participant",
        outcome: { status: "succeeded", at: event.at, recordedAt, by: "webhook" },
        matches: (record) => record.kind === "participant.remove" && record.request.handle === event.handle,
      };
  }
}

export interface CorrelationDeps extends OutcomeDeps {
  clock: Clock;
}

export async function applyLinqEvent(deps: CorrelationDeps, event: LinqEvent, deliveryId: string): Promise<Settlement> {
  if (event.type === "ignored") return { result: "ignored" };
  const match = matchFor(event, deps.clock.now().toISOString());
  const kind = event.type === "participant.removed" ? "participant.remove" : "chat.update";

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const candidate = await oldestMatch(deps.store, event.chatId, kind, match);
    if (candidate === undefined) {
      const saved = await deps.store.recordChatChange(
        { chat_id: event.chatId, event_id: event.eventId, event_type: event.eventType, at: event.at, data: event.data },
        deliveryId,
      );
      return saved === "saved" ? { result: "recorded-against-chat" } : { result: "duplicate" };
    }
    const next = settlePart(candidate, match.part, match.outcome);
    if (next === undefined) continue;
    const saved = await deps.store.save(next, candidate.version, deliveryId);
    if (saved === "duplicate-delivery") return { result: "duplicate" };
    if (saved === "saved") {
      await publishAfterWrite(deps, candidate, next);
      return { result: "settled", record: next };
    }
    // Another writer moved the record between our read and our write: read again and decide again.
  }
  throw new Error(`Could not settle ${event.eventType} ${event.eventId}: the chat's operations kept changing`);
}

async function oldestMatch(
  store: OperationStore,
  chatId: string,
  kind: StoredOperation["kind"],
  match: Match,
): Promise<StoredOperation | undefined> {
  const open = await store.openOperations(chatId, kind);
  return open.find((record) => awaitingParts(record).includes(match.part) && match.matches(record));
}
