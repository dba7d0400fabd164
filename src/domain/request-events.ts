/**
 * Operations requested by EventBridge events: the same service calls as the HTTP routes, with the event's rules.
 *
 * - At least once: the event's `idempotency_key`, or else its EventBridge `id`, is the idempotency key, so a
 *   redelivered event calls Linq once and records one operation.
 * - Malformed (can never succeed): sent to the dead-letter queue with the reason and not retried; when the chat is
 *   known, a `failed` operation is recorded too, so the requester hears `operation.failed` like any other outcome.
 * - Refused by Linq for good: recorded `failed` by the service, nothing to retry.
 * - Transient (Linq unreachable, a store failure): thrown, so Lambda's asynchronous retries run it again and the event
 *   ends in the dead-letter queue with the error once they run out.
 */
import { createHash } from "node:crypto";
import type { RequestDetailType } from "../definitions/events.ts";
import { IdempotencyConflict, ServiceError } from "./errors.ts";
import { newOperation, refuse, type OperationKind, type StoredOperation } from "./operation.ts";
import { removeParticipant, updateChat, type OperationResult, type OperationsDeps } from "./operations-service.ts";
import type { RejectedRequests } from "./ports.ts";
import {
  parseChatId,
  parseChatUpdateRequested,
  parseParticipantRemoveRequested,
  type RequestedOperation,
} from "./validation.ts";

export interface RequestEventDeps extends OperationsDeps {
  rejected: RejectedRequests;
}

export type RequestOutcome =
  | { result: "accepted" | "refused"; traceId: string }
  | { result: "rejected"; reason: string; traceId?: string; duplicate?: true };

const KIND: Record<RequestDetailType, OperationKind> = {
  "chat.update.requested": "chat.update",
  "participant.remove.requested": "participant.remove",
};

export async function runRequestEvent(deps: RequestEventDeps, event: unknown): Promise<RequestOutcome> {
  const envelope = typeof event === "object" && event !== null ? (event as Record<string, unknown>) : {};
  const detailType = envelope["detail-type"];
  const kind =
    typeof detailType === "string" && Object.hasOwn(KIND, detailType)
      ? KIND[detailType as RequestDetailType]
      : undefined;
  if (typeof envelope.id !== "string" || kind === undefined) {
    return reject(deps, event, undefined, "not a chat.update.requested or participant.remove.requested event");
  }

  let run: () => Promise<OperationResult>;
  try {
    run = prepare(deps, kind, envelope.detail, envelope.id);
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    return reject(deps, event, { kind, detail: envelope.detail, error }, error.message);
  }

  try {
    const { outcome, record } = await run();
    return { result: outcome, traceId: record.trace_id };
  } catch (error) {
    // A key reused for another request never becomes valid; one still in progress will answer on a retry.
    if (error instanceof IdempotencyConflict && error.reason === "mismatch") {
      return reject(deps, event, undefined, error.message);
    }
    throw error;
  }
}

/** Validates the detail (throwing a ServiceError) and returns the operation to run, as the HTTP route would run it. */
function prepare(
  deps: RequestEventDeps,
  kind: OperationKind,
  detail: unknown,
  eventId: string,
): () => Promise<OperationResult> {
  const call = <R>(parsed: RequestedOperation<R>) => ({
    chatId: parsed.chatId,
    request: parsed.request,
    source: "eventbridge" as const,
    idempotencyKey: parsed.idempotencyKey ?? `event:${eventId}`,
  });
  if (kind === "chat.update") {
    const parsed = parseChatUpdateRequested(detail);
    return () => updateChat(deps, call(parsed));
  }
  const parsed = parseParticipantRemoveRequested(detail);
  return () => removeParticipant(deps, call(parsed));
}

type Invalid = { kind: OperationKind; detail: unknown; error: ServiceError };

/**
 * A malformed event goes to the dead-letter queue with the reason and, when it names a chat, is recorded `failed`
 * under an id derived from its idempotency key (its own, or `event:<id>` as the valid path derives it), so its
 * requester hears `operation.failed` like any other outcome, once: a redelivery, and a redrive from the queue (which
 * carries the key, see dead-letters.ts), find the record and add none. Every delivery is dead-lettered, since a
 * redrive took the earlier message out of the queue; the record is written after the dead letter, so a death in
 * between repeats the dead letter rather than losing it.
 *
 * The key is not bound in the ledger: the request never ran, and once a fix is deployed the same event, redriven,
 * must be free to bind it and run. Until then the key names nothing but this record.
 */
async function reject(
  deps: RequestEventDeps,
  event: unknown,
  invalid: Invalid | undefined,
  reason: string,
): Promise<RequestOutcome> {
  const id = (event as { id?: unknown } | null)?.id;
  const failed = invalid === undefined || typeof id !== "string" ? undefined : invalidRecord(deps, invalid, id);
  await deps.rejected.reject(event, reason);
  if (failed === undefined) return { result: "rejected", reason };
  if ((await deps.store.get(failed.chat_id, failed.id)) !== undefined) {
    return { result: "rejected", reason, traceId: failed.trace_id, duplicate: true };
  }
  const committed = await deps.store.commit([{ type: "operation", before: undefined, after: failed }]);
  if (committed.result === "saved")
    deps.metrics.record("OperationRequested", 1, { kind: failed.kind, source: "eventbridge" });
  return { result: "rejected", reason, traceId: failed.trace_id };
}

/**
 * An invalid request for a chat we can name, recorded `failed` with what was asked kept as far as it is printable.
 */
function invalidRecord(deps: RequestEventDeps, invalid: Invalid, eventId: string): StoredOperation | undefined {
  const detail =
    typeof invalid.detail === "object" && invalid.detail !== null ? (invalid.detail as Record<string, unknown>) : {};
  let chatId: string;
  try {
    chatId = parseChatId(detail.chat_id);
  } catch {
    return undefined;
  }
  const now = deps.clock.now().toISOString();
  const key = typeof detail.idempotency_key === "string" ? detail.idempotency_key : `event:${eventId}`;
  const base = { id: idFor(invalid.kind, chatId, key), chatId, source: "eventbridge" as const, now };
  const record =
    invalid.kind === "chat.update"
      ? newOperation({
          ...base,
          kind: "chat.update",
          request: {
            ...(typeof detail.display_name === "string" ? { display_name: detail.display_name.slice(0, 300) } : {}),
            ...(typeof detail.group_chat_icon === "string"
              ? { group_chat_icon: detail.group_chat_icon.slice(0, 2100) }
              : {}),
          },
        })
      : newOperation({
          ...base,
          kind: "participant.remove",
          request: { handle: typeof detail.handle === "string" ? detail.handle.slice(0, 300) : "" },
        });
  const { calling_since: _never, ...notCalled } = record;
  return refuse(notCalled, invalid.error, now, "service");
}

/**
 * A UUID-shaped id derived from the request's key, so every delivery and redrive of one malformed request names one
 * record; the kind and the chat are part of it, so one key misused across chats cannot give two requests one trace id.
 */
function idFor(kind: OperationKind, chatId: string, key: string): string {
  const hex = createHash("sha256")
    .update(JSON.stringify(["rejected", kind, chatId, key]))
    .digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
