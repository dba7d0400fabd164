/**
 * The operation record and the only ways it may change. Pure functions: the store decides nothing, it only persists
 * what these return under a version check, so "never backwards, never out of a terminal state" lives here, once.
 */

import { LinqCode } from "./errors.ts";

export type OperationKind = "chat.update" | "participant.remove";
export type OperationStatus = "pending" | "succeeded" | "failed";
export type OperationSource = "http" | "eventbridge";
export type UpdatePart = "display_name" | "group_chat_icon";
/** The parts an operation waits on: an update's one or two fields, or the removal itself. */
export type Part = UpdatePart | "participant";
export type PartStatus = "pending" | "succeeded" | "failed";
/** Who settled a part: a Linq webhook, the reconciler reading the chat, or Linq's immediate answer. */
export type Settler = "webhook" | "reconciler" | "linq";

export const UPDATE_PARTS: readonly UpdatePart[] = ["display_name", "group_chat_icon"];

export interface ChatUpdateRequest {
  display_name?: string;
  group_chat_icon?: string;
}

export interface ParticipantRemoveRequest {
  handle: string;
}

export interface PartResult {
  status: PartStatus;
  settled_at?: string;
  settled_by?: Settler;
  /** Linq's error code when the part failed (4001 delivery failed, 3007 retries exhausted, ...). */
  error_code?: number;
  reason?: string;
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
 * A record as stored: the public record plus what the service needs to write it safely.
 * - `version` is the optimistic lock every save is conditioned on.
 * - `awaiting_trace_id` marks a removal written before Linq named its trace id (see operations-service).
 * - `outbox_since` marks a settled operation whose outcome event has not been published yet.
 */
export type StoredOperation = OperationRecord & {
  version: number;
  awaiting_trace_id?: boolean;
  outbox_since?: string;
};

export function isTerminal(status: OperationStatus): boolean {
  return status !== "pending";
}

export function partsOf(record: OperationRecord): Part[] {
  if (record.kind === "participant.remove") return ["participant"];
  return UPDATE_PARTS.filter((part) => record.request[part] !== undefined);
}

/** The parts still waiting for an outcome. A failed update may still hear about its other part; that is recorded. */
export function awaitingParts(record: OperationRecord): Part[] {
  return partsOf(record).filter((part) => record.results[part]?.status === "pending");
}

export function newOperation(
  input: {
    chatId: string;
    traceId: string;
    source: OperationSource;
    now: string;
    awaitingTraceId?: boolean;
  } & (
    | { kind: "chat.update"; request: ChatUpdateRequest }
    | { kind: "participant.remove"; request: ParticipantRemoveRequest }
  ),
): StoredOperation {
  const base = {
    chat_id: input.chatId,
    trace_id: input.traceId,
    status: "pending" as const,
    results: {},
    source: input.source,
    created_at: input.now,
    updated_at: input.now,
    version: 1,
    ...(input.awaitingTraceId ? { awaiting_trace_id: true } : {}),
  };
  const record: StoredOperation =
    input.kind === "chat.update"
      ? { ...base, kind: "chat.update", request: input.request }
      : { ...base, kind: "participant.remove", request: input.request };
  for (const part of partsOf(record)) record.results[part] = { status: "pending" };
  return record;
}

export interface PartOutcome {
  status: "succeeded" | "failed";
  /** When it happened (a webhook's own timestamp), for `settled_at` and `completed_at`. */
  at: string;
  /**
   * When we learned it, by our clock, if that differs: `updated_at` and the outbox mark use it, so a webhook Linq
   * redelivers late, or a clock of Linq's that runs ahead, cannot make the mark look older or newer than it is.
   */
  recordedAt?: string;
  by: Settler;
  errorCode?: number;
  reason?: string;
}

/**
 * Settles one part. Returns undefined when nothing may change: the part is not this operation's, or it is settled
 * already (an outcome never moves backwards, and the first one wins).
 *
 * The operation fails as soon as any part fails (the outcome cannot change any more, so callers hear it at once) and
 * succeeds when every part has. A part settled after the operation is terminal is still recorded in `results`, for
 * the record's completeness, but the status and `completed_at` never move again.
 */
export function settlePart(record: StoredOperation, part: Part, outcome: PartOutcome): StoredOperation | undefined {
  const current = record.results[part];
  if (current === undefined || current.status !== "pending") return undefined;

  const result: PartResult = { status: outcome.status, settled_at: outcome.at, settled_by: outcome.by };
  if (outcome.errorCode !== undefined) result.error_code = outcome.errorCode;
  if (outcome.reason !== undefined) result.reason = outcome.reason;
  const next: StoredOperation = {
    ...record,
    results: { ...record.results, [part]: result },
    updated_at: outcome.recordedAt ?? outcome.at,
    version: record.version + 1,
  };
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
  if (isTerminal(next.status)) next.outbox_since = outcome.recordedAt ?? outcome.at;
  return next;
}

/** Linq refused the request outright: every part fails with Linq's code, and the operation is terminal. */
export function refuse(record: StoredOperation, error: OperationError, at: string): StoredOperation | undefined {
  if (isTerminal(record.status)) return undefined;
  const results: Partial<Record<Part, PartResult>> = {};
  for (const part of partsOf(record)) {
    results[part] = {
      status: "failed",
      settled_at: at,
      settled_by: "linq",
      error_code: error.code,
      reason: error.message,
    };
  }
  return {
    ...record,
    status: "failed",
    results,
    error,
    updated_at: at,
    completed_at: at,
    version: record.version + 1,
    outbox_since: at,
  };
}

/**
 * The removal as Linq named it: the same operation under Linq's trace id, carrying whatever was learned meanwhile
 * (a webhook may have settled it before Linq's answer reached us).
 */
export function nameTraceId(intent: StoredOperation, traceId: string, at: string): StoredOperation {
  const { awaiting_trace_id: _awaiting, ...rest } = intent;
  return { ...rest, trace_id: traceId, updated_at: at, version: 1 };
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
  };
  return base as OperationRecord;
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
