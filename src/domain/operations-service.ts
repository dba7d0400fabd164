/**
 * The two Linq operations, as every door (HTTP, EventBridge) runs them: claim the idempotency key, write the operation
 * before calling Linq, call Linq, record what Linq said.
 *
 * Writing first is what keeps outcomes from being lost. Linq can deliver the outcome webhook before its own HTTP answer
 * reaches us; since the record already exists, the webhook always finds it. If this function dies after Linq accepted
 * and before we wrote Linq's answer, the record is still there, pending, and the reconciler settles it by reading the
 * chat from Linq.
 *
 * A removal's trace id is Linq's and only known from Linq's answer, so the removal is first written under a trace id of
 * ours marked `awaiting_trace_id`, then renamed to Linq's once it answers (carrying anything a webhook settled
 * meanwhile). If Linq's answer is lost, the reconciler keeps our trace id for good.
 */
import { createHash } from "node:crypto";
import { errorEnvelope, LinqCode, LinqRefusal, LinqUnavailable, ServiceError } from "./errors.ts";
import {
  nameTraceId,
  newOperation,
  refuse,
  type ChatUpdateRequest,
  type OperationSource,
  type ParticipantRemoveRequest,
  type StoredOperation,
} from "./operation.ts";
import { publishAfterWrite } from "./outcomes.ts";
import type { Answer, Clock, IdempotencyStore, Ids, LinqApi, OperationStore, OutcomePublisher } from "./ports.ts";

export interface OperationsDeps {
  store: OperationStore;
  idempotency: IdempotencyStore;
  linq: LinqApi;
  publisher: OutcomePublisher;
  clock: Clock;
  ids: Ids;
}

export interface OperationCall<R> {
  chatId: string;
  request: R;
  source: OperationSource;
  /** Scoped by the caller's door: an HTTP key and an EventBridge key never collide. */
  idempotencyKey?: string;
}

/** The same key with another request, or while its first request still runs: a 409 either way. */
export class IdempotencyConflict extends ServiceError {
  readonly reason: "mismatch" | "in-progress";

  constructor(reason: "mismatch" | "in-progress") {
    super(
      409,
      LinqCode.invalidParameter,
      reason === "mismatch"
        ? "Idempotency-Key was already used with a different request"
        : "A request with this Idempotency-Key is still in progress",
    );
    this.name = "IdempotencyConflict";
    this.reason = reason;
  }
}

export function updateChat(deps: OperationsDeps, call: OperationCall<ChatUpdateRequest>): Promise<Answer> {
  return once(deps, call, "chat.update", async (attempt) => {
    const start = await startOrResume(deps.store, attempt, call.chatId, () =>
      newOperation({
        kind: "chat.update",
        chatId: call.chatId,
        traceId: deps.ids.traceId(),
        request: call.request,
        source: call.source,
        now: deps.clock.now().toISOString(),
      }),
    );
    if ("settled" in start) return acceptedAnswer(deps, start.settled);
    const { record } = start;
    try {
      const answer = await deps.linq.updateChat(call.chatId, call.request);
      return { status: 200, body: { chat_id: answer.chat_id, status: answer.status, trace_id: record.trace_id } };
    } catch (error) {
      return refused(deps, record, error);
    }
  });
}

export function removeParticipant(
  deps: OperationsDeps,
  call: OperationCall<ParticipantRemoveRequest>,
): Promise<Answer> {
  return once(deps, call, "participant.remove", async (attempt) => {
    const start = await startOrResume(deps.store, attempt, call.chatId, () =>
      newOperation({
        kind: "participant.remove",
        chatId: call.chatId,
        traceId: deps.ids.traceId(),
        request: call.request,
        source: call.source,
        now: deps.clock.now().toISOString(),
        awaitingTraceId: true,
      }),
    );
    if ("settled" in start) return acceptedAnswer(deps, start.settled);
    const { record: intent } = start;
    let answer: Awaited<ReturnType<LinqApi["removeParticipant"]>>;
    try {
      answer = await deps.linq.removeParticipant(call.chatId, call.request.handle);
    } catch (error) {
      // The earlier attempt's fate is unknown: Linq may refuse this one only because that one removed the participant.
      // Such a refusal proves nothing, so the operation stays pending and the reconciler reads the chat.
      if (start.resumed && error instanceof LinqRefusal) throw new LinqUnavailable("unavailable", { cause: error });
      return refused(deps, withoutAwaiting(intent), error);
    }
    const named = await adoptLinqTraceId(deps, intent, answer.trace_id);
    attempt.traceId = named.trace_id;
    await publishAfterWrite(deps, intent, named);
    return {
      status: 202,
      body: { message: answer.message, status: answer.status, trace_id: named.trace_id },
    };
  });
}

/** What an attempt knows of the operation: the one an earlier attempt left unfinished, and the one it writes. */
interface Attempt {
  readonly previousTraceId?: string;
  traceId?: string;
}

/**
 * Runs an operation at most once per idempotency key. A refusal is an answer like any other and is replayed; an
 * unknown outcome (Linq unreachable, our own failure) gives the key back, naming the operation it started, so the
 * caller's retry carries that operation on rather than recording a second one.
 */
async function once(
  deps: OperationsDeps,
  call: OperationCall<unknown>,
  kind: string,
  run: (attempt: Attempt) => Promise<Answer>,
): Promise<Answer> {
  const key = call.idempotencyKey === undefined ? undefined : `${call.source}#${call.idempotencyKey}`;
  if (key === undefined) return run({});

  const fingerprint = createHash("sha256")
    .update(JSON.stringify([kind, call.chatId, call.request]))
    .digest("base64url");
  const claim = await deps.idempotency.claim(key, fingerprint, deps.clock.now());
  if (claim.state === "replay") return claim.answer;
  if (claim.state !== "claimed") throw new IdempotencyConflict(claim.state);

  const attempt: Attempt = claim.traceId === undefined ? {} : { previousTraceId: claim.traceId };
  let answer: Answer;
  try {
    answer = await run(attempt);
  } catch (error) {
    await deps.idempotency.release(key, fingerprint, attempt.traceId, deps.clock.now());
    throw error;
  }
  await deps.idempotency.complete(key, fingerprint, answer, deps.clock.now());
  return answer;
}

/**
 * The earlier attempt's operation if it is still waiting to be carried on, else a new one written now. If a webhook or
 * the reconciler settled the earlier one meanwhile, Linq did accept it: that operation is the answer, not a new one.
 */
async function startOrResume(
  store: OperationStore,
  attempt: Attempt,
  chatId: string,
  fresh: () => StoredOperation,
): Promise<{ record: StoredOperation; resumed: boolean } | { settled: StoredOperation }> {
  if (attempt.previousTraceId !== undefined) {
    const previous = await store.get(chatId, attempt.previousTraceId);
    if (previous !== undefined) {
      attempt.traceId = previous.trace_id;
      return previous.status === "pending" ? { record: previous, resumed: true } : { settled: previous };
    }
  }
  const record = fresh();
  await createOrThrow(store, record);
  attempt.traceId = record.trace_id;
  return { record, resumed: false };
}

/**
 * Linq's acceptance, answered from an operation an earlier attempt started and something else settled. A removal
 * settled before Linq's trace id reached us keeps ours, and its held-back outcome goes out now.
 */
async function acceptedAnswer(deps: OperationsDeps, settled: StoredOperation): Promise<Answer> {
  let record = settled;
  if (record.awaiting_trace_id) {
    const kept = { ...withoutAwaiting(record), version: record.version + 1 };
    if ((await deps.store.save(kept, record.version)) === "saved") record = kept;
  }
  await publishAfterWrite(deps, settled, record);
  return record.kind === "chat.update"
    ? { status: 200, body: { chat_id: record.chat_id, status: "pending", trace_id: record.trace_id } }
    : { status: 202, body: { message: "Participant removal queued", status: "accepted", trace_id: record.trace_id } };
}

async function createOrThrow(store: OperationStore, record: StoredOperation): Promise<void> {
  // Our trace ids are random UUIDs: a collision means the id source is broken, not that the request is a duplicate.
  if (!(await store.create(record))) throw new Error(`Operation ${record.trace_id} already exists`);
}

/** Linq said no for good: the operation fails with Linq's code, and the caller gets Linq's answer. */
async function refused(deps: OperationsDeps, record: StoredOperation, error: unknown): Promise<Answer> {
  if (!(error instanceof LinqRefusal)) throw error;
  const failed = refuse(
    record,
    { code: error.code, message: error.message, status: error.status },
    deps.clock.now().toISOString(),
  );
  if (failed !== undefined) {
    // No webhook follows a refusal, so nothing else writes this record meanwhile and its version still holds.
    if ((await deps.store.save(failed, record.version)) === "saved") {
      await publishAfterWrite(deps, record, failed);
    }
  }
  return { status: error.status, body: errorEnvelope(error) };
}

function withoutAwaiting(intent: StoredOperation): StoredOperation {
  const { awaiting_trace_id: _awaiting, ...rest } = intent;
  return rest;
}

/**
 * Renames the removal to Linq's trace id. A webhook may settle the intent while we wait for Linq's answer; the rename
 * is conditioned on the intent's version, so on a conflict we read what the webhook wrote and carry it over.
 */
async function adoptLinqTraceId(
  deps: OperationsDeps,
  intent: StoredOperation,
  linqTraceId: string | undefined,
): Promise<StoredOperation> {
  if (linqTraceId === undefined || linqTraceId === intent.trace_id) {
    const kept = { ...withoutAwaiting(intent), version: intent.version + 1 };
    return (await deps.store.save(kept, intent.version)) === "saved" ? kept : intent;
  }
  let current: StoredOperation | undefined = intent;
  for (let attempt = 0; attempt < 5 && current !== undefined; attempt++) {
    const named = nameTraceId(current, linqTraceId, deps.clock.now().toISOString());
    if ((await deps.store.rename(current, named)) === "saved") return named;
    current = await deps.store.get(intent.chat_id, intent.trace_id);
  }
  // The intent is gone (renamed by a retry of ours) or keeps changing: Linq's record is the one to read.
  return (await deps.store.get(intent.chat_id, linqTraceId)) ?? intent;
}
