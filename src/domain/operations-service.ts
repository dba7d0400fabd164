/**
 * The two Linq operations, as every door (HTTP, EventBridge) runs them: bind the idempotency key to an operation, write
 * the operation, call Linq, record what Linq said on the operation.
 *
 * Writing first is what keeps outcomes from being lost: Linq can deliver the outcome webhook before its own HTTP answer
 * reaches us, and the record already exists for it to find. If this function dies after Linq accepted and before the
 * answer was written, the record is still there, pending, and the reconciler settles it by reading the chat.
 *
 * A key knows its operation before Linq is called, and the operation remembers its calls and the answer given, so a
 * retry with the key replays that answer, waits while a call is in flight, or carries the same operation on after a
 * call of unknown fate: one operation per key, and Linq called again only when it may not have been reached.
 */
import { createHash } from "node:crypto";
import { IdempotencyConflict, LinqRefusal, LinqUnavailable, type LinqTry } from "./errors.ts";
import {
  acceptedAnswer,
  isTerminal,
  newOperation,
  recordCall,
  startCall,
  type CallResult,
  type ChatUpdateRequest,
  type OperationKind,
  type OperationSource,
  type ParticipantRemoveRequest,
  type StoredOperation,
} from "./operation.ts";
import type {
  Answer,
  Clock,
  IdempotencyKeys,
  Ids,
  LinqAnswer,
  LinqApi,
  Metrics,
  OperationLog,
  OperationStore,
} from "./ports.ts";
import { normalizeHandle } from "./validation.ts";

export interface OperationsDeps {
  store: OperationStore;
  keys: IdempotencyKeys;
  linq: LinqApi;
  clock: Clock;
  ids: Ids;
  /** Longer than the slowest invocation that could still be calling Linq: until then a retry with the key waits. */
  callLeaseMs: number;
  metrics: Metrics;
  log: OperationLog;
}

export interface OperationCall<R> {
  chatId: string;
  request: R;
  source: OperationSource;
  /** Scoped by the caller's door: an HTTP key and an EventBridge key never collide. */
  idempotencyKey?: string;
}

/** What a request came to: Linq accepted it (maybe earlier, for a retry) or refused it, and the caller's answer. */
export interface OperationResult {
  outcome: "accepted" | "refused";
  answer: Answer;
  record: StoredOperation;
}

export function updateChat(deps: OperationsDeps, call: OperationCall<ChatUpdateRequest>): Promise<OperationResult> {
  return perform(deps, call, "chat.update", () => deps.linq.updateChat(call.chatId, call.request));
}

export function removeParticipant(
  deps: OperationsDeps,
  call: OperationCall<ParticipantRemoveRequest>,
): Promise<OperationResult> {
  return perform(deps, call, "participant.remove", () => deps.linq.removeParticipant(call.chatId, call.request.handle));
}

type Start = { record: StoredOperation; resumed: boolean } | { done: OperationResult };

async function perform(
  deps: OperationsDeps,
  call: OperationCall<ChatUpdateRequest | ParticipantRemoveRequest>,
  kind: OperationKind,
  callLinq: () => Promise<LinqAnswer<Record<string, unknown>>>,
): Promise<OperationResult> {
  const start = await begin(deps, call, kind);
  const begun = "done" in start ? start.done.record : start.record;
  deps.log.about({ chat_id: begun.chat_id, trace_id: begun.trace_id });
  if ("done" in start) return start.done;
  const called = await callOnce(callLinq, kind, start.resumed);
  const record = await recordAnswer(deps, start.record, called);
  // A removal's public trace id is Linq's, known only now.
  if (record.trace_id !== begun.trace_id) deps.log.about({ chat_id: record.chat_id, trace_id: record.trace_id });
  if (called.error !== undefined) throw called.error;
  const answer = record.answer ?? acceptedAnswer(record);
  return { outcome: called.result === "refused" ? "refused" : "accepted", answer, record };
}

/** The operation this request carries on: a new one, or the one its key is bound to. */
async function begin(
  deps: OperationsDeps,
  call: OperationCall<ChatUpdateRequest | ParticipantRemoveRequest>,
  kind: OperationKind,
): Promise<Start> {
  const now = deps.clock.now();
  const fresh = newOperation({
    id: deps.ids.operationId(),
    chatId: call.chatId,
    source: call.source,
    now: now.toISOString(),
    ...(kind === "chat.update"
      ? { kind, request: call.request as ChatUpdateRequest }
      : { kind, request: call.request as ParticipantRemoveRequest }),
  });
  if (call.idempotencyKey === undefined) return { record: await create(deps, fresh), resumed: false };

  const key = `${call.source}#${call.idempotencyKey}`;
  const fingerprint = createHash("sha256")
    .update(JSON.stringify([kind, call.chatId, comparable(call.request)]))
    .digest("base64url");
  const bound = await deps.keys.bind(key, fingerprint, { chatId: fresh.chat_id, id: fresh.id }, now);
  if (bound.state === "mismatch") throw new IdempotencyConflict("mismatch");
  if (bound.state === "bound") return { record: await create(deps, fresh), resumed: false };

  const earlier = await deps.store.get(bound.binding.chatId, bound.binding.id);
  // The key was bound and its request died before writing the operation: write it now, under the bound id.
  if (earlier === undefined) {
    const record = { ...fresh, id: bound.binding.id, trace_id: bound.binding.id };
    return { record: await create(deps, record), resumed: false };
  }
  return resume(deps, earlier, now);
}

/** A request as a key compares it: two spellings of one participant are the same request. */
function comparable(request: ChatUpdateRequest | ParticipantRemoveRequest): unknown {
  if (!("handle" in request)) return request;
  try {
    return { handle: normalizeHandle(request.handle) };
  } catch {
    return request;
  }
}

/**
 * A retry with the key: replay the answer given, or the operation's outcome if something else settled it; wait while a
 * call is in flight; otherwise the last call's fate is unknown and this request calls again for the same operation.
 */
async function resume(deps: OperationsDeps, earlier: StoredOperation, now: Date): Promise<Start> {
  if (earlier.answer !== undefined) {
    const outcome = earlier.answer.status < 300 ? "accepted" : "refused";
    return { done: { outcome, answer: earlier.answer, record: earlier } };
  }
  if (isTerminal(earlier.status)) {
    return { done: { outcome: "accepted", answer: acceptedAnswer(earlier), record: earlier } };
  }
  if (earlier.calling_since !== undefined) {
    const waited = now.getTime() - Date.parse(earlier.calling_since);
    if (waited < deps.callLeaseMs) {
      throw new IdempotencyConflict("in-progress", Math.ceil((deps.callLeaseMs - waited) / 1000));
    }
  }
  const committed = await deps.store.commit([
    { type: "operation", before: earlier, after: startCall(earlier, now.toISOString()) },
  ]);
  if (committed.result === "conflict") throw new IdempotencyConflict("in-progress", 1);
  return { record: committed.operations[0] as StoredOperation, resumed: true };
}

async function create(deps: OperationsDeps, record: StoredOperation): Promise<StoredOperation> {
  const committed = await deps.store.commit([{ type: "operation", before: undefined, after: record }]);
  // Ids are random UUIDs: a collision means the id source is broken, not that the request is a duplicate.
  if (committed.result === "conflict") throw new Error(`Operation ${record.id} already exists`);
  deps.metrics.record("OperationRequested", 1, { kind: record.kind, source: record.source });
  return committed.operations[0] as StoredOperation;
}

/** A call's result, and the error to throw when its fate is unknown and the caller must hear so. */
type Called = CallResult & { error?: LinqUnavailable };

async function callOnce(
  callLinq: () => Promise<LinqAnswer<Record<string, unknown>>>,
  kind: OperationKind,
  resumed: boolean,
): Promise<Called> {
  try {
    const answer = await callLinq();
    const status = kind === "participant.remove" ? 202 : 200;
    return { result: "accepted", status, body: answer.body, ...traceOf(answer), ...triesOf(answer) };
  } catch (error) {
    if (error instanceof LinqRefusal) {
      // The earlier call's fate is unknown: Linq may refuse this removal only because that call removed the
      // participant. Such a refusal proves nothing: the caller hears "accepted", and the reconciler reads the chat.
      if (resumed && kind === "participant.remove") {
        return {
          result: "unknown",
          status: error.status,
          presumedAccepted: true,
          ...traceOf(error),
          ...triesOf(error),
        };
      }
      return { result: "refused", refusal: error, ...traceOf(error), ...triesOf(error) };
    }
    if (error instanceof LinqUnavailable) return { result: "unknown", error, ...traceOf(error), ...triesOf(error) };
    throw error;
  }
}

/** Every try the client made, when it says: each one Linq may have done is one more event the operation may hear. */
function triesOf(source: { tries?: LinqTry[] | undefined }): { tries?: LinqTry[] } {
  return source.tries === undefined || source.tries.length === 0 ? {} : { tries: source.tries };
}

function traceOf(source: { traceId?: string | undefined }): { traceId?: string } {
  return source.traceId === undefined ? {} : { traceId: source.traceId };
}

/**
 * Writes what Linq answered onto the operation. A webhook may have settled the record while Linq's answer was on its
 * way, so on a conflict the answer is applied again to the record as it is now.
 */
async function recordAnswer(deps: OperationsDeps, record: StoredOperation, call: Called): Promise<StoredOperation> {
  let current = record;
  for (;;) {
    const next = recordCall(current, call, deps.clock.now().toISOString());
    const committed = await deps.store.commit([{ type: "operation", before: current, after: next }]);
    if (committed.result === "saved") return committed.operations[0] as StoredOperation;
    const reread = await deps.store.get(record.chat_id, record.id);
    if (reread === undefined) throw new Error(`Operation ${record.id} vanished`);
    current = reread;
  }
}
