/**
 * Settles operations from Linq's webhook events, never by guessing. An event is tied to an operation by, in order:
 * 1. its trace id equal to the `X-Trace-ID` of one of the operation's calls: exact, proven;
 * 2. its value: the one operation that asked for `new_value` (or the removed handle): proven when Linq says our own
 *    line made it, inferred when it does not say (a person might have typed the same value);
 * 3. elimination: the only operation that can still receive an event of that part: inferred.
 * A change a person made (`changed_by_handle.is_me: false`) never settles ours. An event that more than one operation
 * could own is kept against the chat, with its candidates, until the evidence decides (evidence.ts); one nobody of
 * ours could own is kept as a change of the chat (the reconciler reads it as "overwritten").
 *
 * A redelivery is recognised by `event_id` or `webhook-id` among the chat's recent evidence, read in the same query
 * that finds the candidates, so deduplication costs no write of its own.
 */
import {
  alreadySeen,
  byAge,
  candidatesFor,
  capacity,
  chosenByDeadline,
  Decision,
  outcomeReason,
  resolveAmbiguous,
  sameHandle,
} from "./evidence.ts";
import { keptEventId, type KeptEvent } from "./kept-event.ts";
import type { LinqEvent } from "./linq-events.ts";
import { settlePart, type Evidence, type Part, type StoredOperation } from "./operation.ts";
import type { ChatView, Clock, OperationStore } from "./ports.ts";
import { commitWithRetries } from "./commit.ts";

export type Settlement =
  | { result: "settled"; records: StoredOperation[] }
  | { result: "kept"; kind: KeptEvent["kind"] }
  | { result: "duplicate" }
  | { result: "ignored" };

export interface CorrelationDeps {
  store: OperationStore;
  clock: Clock;
}

type OutcomeEvent = Extract<LinqEvent, { type: "outcome" }>;

export async function applyLinqEvent(deps: CorrelationDeps, event: LinqEvent, webhookId: string): Promise<Settlement> {
  if (event.type === "ignored") return { result: "ignored" };
  const receivedAt = deps.clock.now().toISOString();
  if (event.type === "unusable") {
    return commitWithRetries(deps.store, event.chatId ?? UNATTRIBUTED, (view) =>
      keepUnusable(view, event, webhookId, receivedAt),
    );
  }
  return commitWithRetries(deps.store, event.chatId, (view) => decide(view, event, webhookId, receivedAt));
}

/** Where a delivery whose chat cannot be read is kept. */
export const UNATTRIBUTED = "unattributed";

function keepUnusable(
  view: ChatView,
  event: Extract<LinqEvent, { type: "unusable" }>,
  webhookId: string,
  receivedAt: string,
): { decision: Decision; settlement: Settlement } | "duplicate" {
  const id = keptEventId(event.eventId ?? webhookId);
  if (view.events.some((kept) => kept.id === id)) return "duplicate";
  const decision = new Decision(view);
  decision.event(undefined, {
    chat_id: view.chatId,
    id,
    kind: "unusable",
    reason: event.reason,
    ...(event.eventType === undefined ? {} : { event_type: event.eventType }),
    ...(event.raw === undefined ? {} : { raw: event.raw }),
    received_at: receivedAt,
    version: 0,
  });
  return { decision, settlement: { result: "kept", kind: "unusable" } };
}

/** The writes one event makes, from the chat as read. "duplicate" when the event has been applied already. */
export function decide(
  view: ChatView,
  event: OutcomeEvent,
  webhookId: string,
  receivedAt: string,
): { decision: Decision; settlement: Settlement } | "duplicate" {
  if (alreadySeen(view, event.eventId, webhookId)) return "duplicate";
  const evidence: Extract<Evidence, { source: "webhook" }> = {
    source: "webhook",
    event_id: event.eventId,
    event_type: event.eventType,
    webhook_id: webhookId,
    at: event.at,
    received_at: receivedAt,
  };
  if (event.traceId !== undefined) evidence.trace_id = event.traceId;
  if (event.value !== undefined) evidence.value = event.value;
  if (event.oldValue !== undefined) evidence.old_value = event.oldValue;
  if (event.changedBy !== undefined) evidence.changed_by = event.changedBy;
  if (event.errorCode !== undefined) evidence.error_code = event.errorCode;

  const decision = new Decision(view);
  const keep = (kind: KeptEvent["kind"], reason: string, candidates?: StoredOperation[]) => {
    decision.event(undefined, {
      chat_id: view.chatId,
      id: keptEventId(event.eventId),
      kind,
      part: event.part,
      outcome: event.outcome,
      evidence,
      reason,
      event_type: event.eventType,
      ...(candidates === undefined ? {} : { candidates: candidates.map((record) => record.id) }),
      received_at: receivedAt,
      version: 0,
    });
    return { decision, settlement: { result: "kept" as const, kind } };
  };
  const settle = (record: StoredOperation, basis: "proven" | "inferred", matchedBy: MatchedBy, how: string) => {
    const next = settlePart(decision.current(record), event.part, {
      status: event.outcome,
      at: event.at,
      recordedAt: receivedAt,
      by: "webhook",
      basis,
      ...(event.errorCode === undefined ? {} : { errorCode: event.errorCode }),
      reason: outcomeReason(evidence, how),
      evidence: { ...evidence, matched_by: matchedBy },
    });
    decision.operation(record, next);
    resolveAmbiguous(decision, event.part, receivedAt);
    return { decision, settlement: { result: "settled" as const, records: decision.settled() } };
  };

  if (event.changedBy && !event.changedBy.is_me) return keep("change", "made by a person, not by our line");

  // 1. Exact: the event names one of our calls. Even an operation with no room left keeps it (a late duplicate event).
  if (event.traceId !== undefined) {
    const named = view.operations.find(
      (record) =>
        record.results[event.part] !== undefined &&
        record.linq_attempts.some((attempt) => attempt.trace_id === event.traceId),
    );
    if (named !== undefined) return settle(named, "proven", "trace_id", "by its trace id");
  }

  const candidates = candidatesFor(view, event.part, event.outcome);
  // 2. By value: the operations that asked for exactly what Linq reports.
  if (event.outcome === "succeeded" && event.value !== undefined && event.value !== null) {
    const value = event.value;
    const asked = candidates.filter((record) => asks(record, event.part, value));
    if (asked.length > 0) {
      const chosen = pickForValue(asked, event.part);
      const ours = event.part === "participant" || event.changedBy?.is_me === true;
      const basis = asked.length === 1 && ours ? "proven" : "inferred";
      const how =
        asked.length > 1
          ? `by value, the oldest of ${asked.length} operations asking for it`
          : ours
            ? "by value, changed by our line"
            : "by value (Linq did not say who made the change)";
      return settle(chosen, basis, event.part === "participant" ? "handle" : "value", how);
    }
    // Linq may host an icon itself and report its own URL: any icon update of ours could be the one. A name or a
    // handle nobody asked for is somebody else's change.
    if (event.part !== "group_chat_icon") return keep("change", "no operation asked for this value");
  }

  // 3. By elimination.
  if (candidates.length === 1) {
    const only = candidates[0] as StoredOperation;
    return chosenByDeadline(view, event.part)
      ? settle(
          only,
          "inferred",
          "deadline",
          "as the only operation awaiting this part, after another was chosen by deadline",
        )
      : settle(only, "inferred", "elimination", "as the only operation awaiting this part");
  }
  if (candidates.length === 0) return keep("change", "no operation awaits an event of this part");
  decision.touch(candidates);
  const kept = keep("ambiguous", `${candidates.length} operations could own it`, candidates);
  resolveAmbiguous(decision, event.part, receivedAt);
  return kept;
}

type MatchedBy = "trace_id" | "value" | "handle" | "elimination" | "deadline";

function asks(record: StoredOperation, part: Part, value: string): boolean {
  if (record.kind === "participant.remove") return part === "participant" && sameHandle(record.request.handle, value);
  if (part === "participant") return false;
  return record.request[part] === value;
}

/** Several operations asked for the same value: the oldest still waiting, else the oldest with room. */
function pickForValue(asked: StoredOperation[], part: Part): StoredOperation {
  const waiting = asked.filter((record) => record.results[part]?.status === "pending").sort(byAge);
  return (waiting[0] ??
    asked.sort((a, b) => capacity(b, part) - capacity(a, part) || byAge(a, b))[0]) as StoredOperation;
}
