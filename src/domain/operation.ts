/**
 * The operation record and the only ways it may change. Pure functions: the store decides nothing, it only persists
 * what these return under a version check it owns, so "never backwards, never out of a terminal state" lives here, once.
 */
import { errorEnvelope, LinqCode, type LinqRefusal, type LinqTry } from "./errors.ts";
import type { Answer } from "./ports.ts";

export type OperationKind = "chat.update" | "participant.remove";
export type OperationStatus = "pending" | "succeeded" | "failed";
export type OperationSource = "http" | "eventbridge";
export type UpdatePart = "display_name" | "group_chat_icon";
/** The parts an operation waits on: an update's one or two fields, or the removal itself. */
export type Part = UpdatePart | "participant";
export type PartStatus = "pending" | "succeeded" | "failed";
/**
 * Who settled a part: a Linq webhook, the reconciler reading the chat, Linq's immediate answer, or this service
 * refusing a request event it could never run.
 */
export type Settler = "webhook" | "reconciler" | "linq" | "service";
/**
 * What a settled part rests on. `proven`: an event naming it (its trace id, or our line reporting our value), Linq's own
 * refusal, or the chat showing the change. `inferred`: by elimination, by a later change, or by deadline.
 */
export type Basis = "proven" | "inferred";

export const UPDATE_PARTS: readonly UpdatePart[] = ["display_name", "group_chat_icon"];

export interface ChatUpdateRequest {
  display_name?: string;
  group_chat_icon?: string;
}

export interface ParticipantRemoveRequest {
  handle: string;
}

/** Who Linq says made a change: `is_me` is our own line. `null` when Linq said nobody; absent when it said nothing. */
export interface ChangedBy {
  handle: string;
  is_me: boolean;
}

/** One fact an outcome rests on, kept on the record as it was seen. */
export type Evidence =
  | {
      source: "webhook";
      event_id: string;
      event_type: string;
      /** The delivery's `webhook-id`: Linq names it and `event_id` as the key of a redelivery. */
      webhook_id?: string;
      /** The envelope's trace id, and whether it equals one of this operation's Linq trace ids. */
      trace_id?: string;
      /** `new_value` of a change, or the removed handle. */
      value?: string | null;
      /** `old_value` of a change, when Linq gave it. */
      old_value?: string | null;
      changed_by?: ChangedBy | null;
      error_code?: number;
      /** When Linq says it happened. */
      at: string;
      /** When we learned it. */
      received_at: string;
      /** How the event was tied to this operation. */
      /**
       * How the event was tied to this operation. `deadline`: several operations could own it and nothing Linq sent
       * told which; the oldest took it once past its deadline. Such an outcome is the service's best reading, not a
       * finding.
       */
      matched_by?: "trace_id" | "value" | "handle" | "elimination" | "deadline" | "late";
    }
  | {
      source: "reconciler";
      /** What the chat showed when read, as far as this part is concerned. */
      read: {
        display_name?: string | null;
        group_chat_icon?: string | null;
        handle_status?: string | null;
        joined_at?: string | null;
        updated_at?: string | null;
        refused?: { status: number; code: number };
      };
      conclusion: string;
      at: string;
    }
  | { source: "linq" | "service"; status: number; code: number; trace_id?: string; at: string };

export interface PartResult {
  status: PartStatus;
  settled_at?: string;
  settled_by?: Settler;
  basis?: Basis;
  /** Linq's error code when the part failed (4001 delivery failed, 3007 retries exhausted, ...), or ours (9xxx). */
  error_code?: number;
  reason?: string;
  /** Every fact seen about this part, the ones that arrived after it settled included. */
  evidence?: Evidence[];
}

/** One call to Linq for this operation. */
export interface LinqAttempt {
  at: string;
  /** `accepted`: Linq did the request; `refused`: Linq said no for good; `unknown`: no answer, it may have. */
  result: "accepted" | "refused" | "unknown";
  /** Linq's `X-Trace-ID` of this call, when an answer came. */
  trace_id?: string;
  status?: number;
}

export interface OperationError {
  /** Linq's code, or ours in the same style. */
  code: number;
  message: string;
  /** The HTTP status Linq answered with, when Linq refused the request outright. */
  status?: number;
}

interface RecordBase {
  chat_id: string;
  trace_id: string;
  status: OperationStatus;
  results: Partial<Record<Part, PartResult>>;
  source: OperationSource;
  created_at: string;
  updated_at: string;
  completed_at?: string;
  error?: OperationError;
  /** Every call made to Linq for it: Linq may have done the request once per accepted or unknown attempt. */
  linq_attempts: LinqAttempt[];
}

export interface ChatUpdateRecord extends RecordBase {
  kind: "chat.update";
  request: ChatUpdateRequest;
}

export interface ParticipantRemoveRecord extends RecordBase {
  kind: "participant.remove";
  request: ParticipantRemoveRequest;
}

/** The public record: what the GET routes answer and what outcome events carry. */
export type OperationRecord = ChatUpdateRecord | ParticipantRemoveRecord;

/**
 * A record as stored: the public record plus what the service needs.
 * - `id` is the record's key within its chat, ours, fixed at creation; `trace_id` is the public id (Linq's, for a
 *   removal, once Linq named it), so nothing is renamed.
 * - `version` is owned by the store: every save is conditioned on it and writes the next.
 * - `calling_since` marks a call to Linq in flight, so a retry with the same key knows to wait.
 * - `answer` is what the caller was told, replayed to a retry with the same idempotency key.
 */
export type StoredOperation = OperationRecord & {
  id: string;
  version: number;
  calling_since?: string;
  answer?: Answer;
};

export function isTerminal(status: OperationStatus): boolean {
  return status !== "pending";
}

export function partsOf(record: OperationRecord): Part[] {
  if (record.kind === "participant.remove") return ["participant"];
  return UPDATE_PARTS.filter((part) => record.request[part] !== undefined);
}

/** The parts still waiting for an outcome. */
export function awaitingParts(record: OperationRecord): Part[] {
  return partsOf(record).filter((part) => record.results[part]?.status === "pending");
}

export function newOperation(
  input: {
    id: string;
    chatId: string;
    source: OperationSource;
    now: string;
  } & (
    | { kind: "chat.update"; request: ChatUpdateRequest }
    | { kind: "participant.remove"; request: ParticipantRemoveRequest }
  ),
): StoredOperation {
  const base = {
    id: input.id,
    chat_id: input.chatId,
    trace_id: input.id,
    status: "pending" as const,
    results: {},
    source: input.source,
    created_at: input.now,
    updated_at: input.now,
    linq_attempts: [],
    version: 0,
    calling_since: input.now,
  };
  const record: StoredOperation =
    input.kind === "chat.update"
      ? { ...base, kind: "chat.update", request: input.request }
      : { ...base, kind: "participant.remove", request: input.request };
  for (const part of partsOf(record)) record.results[part] = { status: "pending" };
  return record;
}

/**
 * A call to Linq starts (again, after an earlier one's fate stayed unknown). A call still marked in flight was
 * abandoned by a function that died: it may have reached Linq, so it is kept as a call of unknown fate.
 */
export function startCall(record: StoredOperation, at: string): StoredOperation {
  const abandoned: LinqAttempt[] =
    record.calling_since === undefined ? [] : [{ at: record.calling_since, result: "unknown" }];
  return { ...record, linq_attempts: [...record.linq_attempts, ...abandoned], calling_since: at, updated_at: at };
}

/**
 * A call whose function died before writing Linq's answer: it counts as a call of unknown fate, and the record no
 * longer waits for it (its outcome, if settled meanwhile, can go out).
 */
export function abandonCall(record: StoredOperation, at: string): StoredOperation {
  if (record.calling_since === undefined) return record;
  const { calling_since, ...rest } = record;
  return {
    ...rest,
    linq_attempts: [...record.linq_attempts, { at: calling_since, result: "unknown" }],
    updated_at: at,
  };
}

/**
 * What Linq answered a call, and what the caller is told. `tries`: every try the client made for the call (it retries
 * a 5xx or a timeout), when it tells them; otherwise the call counts as one try.
 */
export type CallResult = (
  | { result: "accepted"; traceId?: string; status: number; body: Record<string, unknown> }
  | { result: "refused"; traceId?: string; refusal: LinqRefusal }
  | { result: "unknown"; traceId?: string; status?: number; presumedAccepted?: true }
) & { tries?: LinqTry[] };

/**
 * Records one call's answer. An accepted removal takes Linq's trace id as its public id. A refusal settles every part
 * as failed, proven by Linq's own answer. A call of unknown fate only counts: Linq may have done it, so one more event
 * may come.
 */
export function recordCall(record: StoredOperation, call: CallResult, at: string): StoredOperation {
  const attempts: LinqAttempt[] = (call.tries ?? [triedOnce(call)]).map((tried) => ({
    at,
    result: tried.fate,
    ...(tried.traceId === undefined ? {} : { trace_id: tried.traceId }),
    ...(tried.status === undefined ? {} : { status: tried.status }),
  }));
  const { calling_since: _calling, ...rest } = record;
  let next: StoredOperation = { ...rest, linq_attempts: [...record.linq_attempts, ...attempts], updated_at: at };

  if (call.result === "accepted") {
    const linqTraceId = typeof call.body.trace_id === "string" ? call.body.trace_id : undefined;
    if (record.kind === "participant.remove" && linqTraceId !== undefined) next.trace_id = linqTraceId;
    next.answer ??= { status: call.status, body: { ...call.body, trace_id: next.trace_id } };
  } else if (call.result === "refused") {
    next.answer ??= { status: call.refusal.status, body: errorEnvelope(call.refusal) };
    next = refuse(next, call.refusal, at, "linq", call.traceId);
  } else if (call.presumedAccepted) {
    next.answer ??= acceptedAnswer(next);
  }
  return next;
}

/**
 * Refused for good (by Linq, or by us for a request that can never run): every part still waiting fails, proven by the
 * refusal itself, and the operation carries the refusal as its error.
 */
export function refuse(
  record: StoredOperation,
  error: { status: number; code: number; message: string },
  at: string,
  by: "linq" | "service",
  traceId?: string,
): StoredOperation {
  const evidence: Evidence = { source: by, status: error.status, code: error.code, at };
  if (traceId !== undefined) evidence.trace_id = traceId;
  let next = record;
  for (const part of awaitingParts(record)) {
    next = settlePart(next, part, {
      status: "failed",
      at,
      by,
      basis: "proven",
      errorCode: error.code,
      reason: error.message,
      evidence,
    });
  }
  // A request refused whole is terminal even when it names no part it could fail (an event with no usable field).
  if (next.status === "pending") next = { ...next, status: "failed", completed_at: at, updated_at: at };
  if (next.status === "failed" && next !== record) {
    next = { ...next, error: { code: error.code, message: error.message, status: error.status } };
  }
  return next;
}

function triedOnce(call: CallResult): LinqTry {
  const status = call.result === "refused" ? call.refusal.status : call.status;
  return {
    fate: call.result,
    ...(call.traceId === undefined ? {} : { traceId: call.traceId }),
    ...(status === undefined ? {} : { status }),
  };
}

export interface PartOutcome {
  status: "succeeded" | "failed";
  /** When it happened (a webhook's own timestamp), for `settled_at` and `completed_at`. */
  at: string;
  /** When we learned it, by our clock, if that differs: `updated_at` uses it. */
  recordedAt?: string;
  by: Settler;
  basis: Basis;
  errorCode?: number;
  reason?: string;
  evidence: Evidence;
}

/**
 * Settles one part, or, when the part is settled already, keeps the evidence on it and changes nothing else (an
 * outcome never moves backwards, and the first one wins).
 *
 * The operation fails as soon as any part fails (the outcome cannot change any more, so callers hear it at once) and
 * succeeds when every part has. A part settled after the operation is terminal is still recorded in `results`.
 */
export function settlePart(record: StoredOperation, part: Part, outcome: PartOutcome): StoredOperation {
  const current = record.results[part];
  if (current === undefined) return record;
  const evidence = [...(current.evidence ?? []), outcome.evidence];
  const updatedAt = outcome.recordedAt ?? outcome.at;
  if (current.status !== "pending") {
    return { ...record, results: { ...record.results, [part]: { ...current, evidence } }, updated_at: updatedAt };
  }

  const result: PartResult = {
    status: outcome.status,
    settled_at: outcome.at,
    settled_by: outcome.by,
    basis: outcome.basis,
  };
  if (outcome.errorCode !== undefined) result.error_code = outcome.errorCode;
  if (outcome.reason !== undefined) result.reason = outcome.reason;
  result.evidence = evidence;
  const next: StoredOperation = { ...record, results: { ...record.results, [part]: result }, updated_at: updatedAt };
  if (isTerminal(record.status)) return next;

  if (outcome.status === "failed") {
    next.status = "failed";
    next.completed_at = outcome.at;
    next.error = {
      code: outcome.errorCode ?? LinqCode.internal,
      message: outcome.reason ?? `${describePart(part)} failed at Linq`,
    };
  } else if (partsOf(next).every((p) => next.results[p]?.status === "succeeded")) {
    next.status = "succeeded";
    next.completed_at = outcome.at;
  }
  return next;
}

/** Keeps a fact about a part without deciding anything from it. */
export function addEvidence(record: StoredOperation, part: Part, evidence: Evidence, at: string): StoredOperation {
  const current = record.results[part];
  if (current === undefined) return record;
  const next = { ...current, evidence: [...(current.evidence ?? []), evidence] };
  return { ...record, results: { ...record.results, [part]: next }, updated_at: at };
}

/** Every webhook evidence on the record, of every part: what redeliveries are recognised by. */
export function webhookEvidence(record: OperationRecord): Extract<Evidence, { source: "webhook" }>[] {
  return Object.values(record.results).flatMap((result) =>
    (result?.evidence ?? []).filter((e): e is Extract<Evidence, { source: "webhook" }> => e.source === "webhook"),
  );
}

/** The record in the contract's field order, without what only the store needs. */
export function toPublicRecord(record: StoredOperation): OperationRecord {
  const base = {
    chat_id: record.chat_id,
    trace_id: record.trace_id,
    kind: record.kind,
    status: record.status,
    request: record.request,
    results: record.results,
    source: record.source,
    created_at: record.created_at,
    updated_at: record.updated_at,
    ...(record.completed_at === undefined ? {} : { completed_at: record.completed_at }),
    ...(record.error === undefined ? {} : { error: record.error }),
    linq_attempts: record.linq_attempts,
  };
  return base as OperationRecord;
}

/** What Linq would have answered, for a caller whose operation something else settled meanwhile. */
export function acceptedAnswer(record: StoredOperation): Answer {
  if (record.answer !== undefined) return record.answer;
  return record.kind === "chat.update"
    ? { status: 200, body: { chat_id: record.chat_id, status: "pending", trace_id: record.trace_id } }
    : { status: 202, body: { message: "Participant removal queued", status: "accepted", trace_id: record.trace_id } };
}

export function describePart(part: Part): string {
  switch (part) {
    case "display_name":
      return "The display name update";
    case "group_chat_icon":
      return "The group icon update";
    case "participant":
      return "The participant removal";
  }
}
