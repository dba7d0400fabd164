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
import type { RequestDetailType } from "../definitions/events.ts";
import { ServiceError } from "./errors.ts";
import { newOperation, refuse, type OperationKind } from "./operation.ts";
import { IdempotencyConflict, removeParticipant, updateChat, type OperationsDeps } from "./operations-service.ts";
import { publishAfterWrite } from "./outcomes.ts";
import type { Answer, RejectedRequests } from "./ports.ts";
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
  | { result: "accepted"; status: number; body: unknown }
  | { result: "refused"; status: number; body: unknown }
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

  let run: () => Promise<Answer>;
  try {
    run = prepare(deps, kind, envelope.detail, envelope.id);
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    return reject(deps, event, { kind, detail: envelope.detail, error }, error.message);
  }

  let answer: Answer;
  try {
    answer = await run();
  } catch (error) {
    // A key reused for another request never becomes valid; one still in progress will answer on a retry.
    if (error instanceof IdempotencyConflict && error.reason === "mismatch") {
      return reject(deps, event, undefined, error.message);
    }
    throw error;
  }
  return answer.status < 300
    ? { result: "accepted", status: answer.status, body: answer.body }
    : { result: "refused", status: answer.status, body: answer.body };
}

/** Validates the detail (throwing a ServiceError) and returns the operation to run, as the HTTP route would run it. */
function prepare(deps: RequestEventDeps, kind: OperationKind, detail: unknown, eventId: string): () => Promise<Answer> {
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

async function reject(
  deps: RequestEventDeps,
  event: unknown,
  invalid: { kind: OperationKind; detail: unknown; error: ServiceError } | undefined,
  reason: string,
): Promise<RequestOutcome> {
  // A redelivered malformed event is rejected once: one dead letter, one failed record, one operation.failed.
  const id = (event as { id?: unknown } | null)?.id;
  const key = typeof id === "string" ? `eventbridge#rejected:${id}` : undefined;
  if (key !== undefined) {
    const claim = await deps.idempotency.claim(key, "rejected", deps.clock.now());
    if (claim.state !== "claimed") return { result: "rejected", reason, duplicate: true };
  }
  try {
    await deps.rejected.reject(event, reason);
    const traceId = invalid === undefined ? undefined : await recordInvalid(deps, invalid);
    const outcome: RequestOutcome =
      traceId === undefined ? { result: "rejected", reason } : { result: "rejected", reason, traceId };
    if (key !== undefined) {
      await deps.idempotency.complete(key, "rejected", { status: 400, body: outcome }, deps.clock.now());
    }
    return outcome;
  } catch (error) {
    if (key !== undefined) await deps.idempotency.release(key, "rejected", undefined, deps.clock.now());
    throw error;
  }
}

/**
 * An invalid request for a chat we can name is recorded `failed`, with what was asked kept as far as it is printable,
 * so the requester sees the failure where they look for every other outcome.
 */
async function recordInvalid(
  deps: RequestEventDeps,
  invalid: { kind: OperationKind; detail: unknown; error: ServiceError },
): Promise<string | undefined> {
  const detail =
    typeof invalid.detail === "object" && invalid.detail !== null ? (invalid.detail as Record<string, unknown>) : {};
  let chatId: string;
  try {
    chatId = parseChatId(detail.chat_id);
  } catch {
    return undefined;
  }
  const now = deps.clock.now().toISOString();
  const base = { chatId, traceId: deps.ids.traceId(), source: "eventbridge" as const, now };
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
  const failed = refuse(
    record,
    { code: invalid.error.code, message: invalid.error.message, status: invalid.error.status },
    now,
  );
  if (failed === undefined || !(await deps.store.create(failed))) return undefined;
  await publishAfterWrite(deps, undefined, failed);
  return failed.trace_id;
}
