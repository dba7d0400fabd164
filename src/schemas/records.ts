/**
 * What this service answers and publishes, one schema per shape: the operation record, the two operations' answers,
 * the list page, the webhook's answer, Linq's error envelope, and the outcome events' detail. Nothing parses with
 * these at run time (the domain's types build the values); they exist so the OpenAPI document and the events' JSON
 * Schemas say exactly what goes out, and tests check real answers and the contract's examples against them.
 */
import * as v from "valibot";
import { OUTCOME_SCHEMA_VERSION } from "../definitions/events.ts";
import { ChatId, TraceId } from "./requests.ts";

const Timestamp = v.pipe(v.string(), v.isoTimestamp(), v.description("ISO 8601, UTC"));
const LinqCodeNumber = v.pipe(v.number(), v.integer(), v.description("Linq's error code, or ours (9xxx)"));

const ChangedBy = v.object({
  handle: v.string(),
  is_me: v.pipe(v.boolean(), v.description("the change was made by this service's own line")),
});

const WebhookEvidence = v.object({
  source: v.literal("webhook"),
  event_id: v.string(),
  event_type: v.string(),
  webhook_id: v.optional(v.string()),
  trace_id: v.optional(v.string()),
  value: v.optional(v.nullable(v.string())),
  old_value: v.optional(v.nullable(v.string())),
  changed_by: v.optional(v.nullable(ChangedBy)),
  error_code: v.optional(LinqCodeNumber),
  at: Timestamp,
  received_at: Timestamp,
  matched_by: v.optional(v.picklist(["trace_id", "value", "handle", "elimination", "deadline", "late"])),
});

const ReconcilerEvidence = v.object({
  source: v.literal("reconciler"),
  read: v.object({
    display_name: v.optional(v.nullable(v.string())),
    group_chat_icon: v.optional(v.nullable(v.string())),
    handle_status: v.optional(v.nullable(v.string())),
    joined_at: v.optional(v.nullable(v.string())),
    updated_at: v.optional(v.nullable(v.string())),
    refused: v.optional(v.object({ status: v.number(), code: v.number() })),
  }),
  conclusion: v.string(),
  at: Timestamp,
});

const RefusalEvidence = v.object({
  source: v.picklist(["linq", "service"]),
  status: v.number(),
  code: LinqCodeNumber,
  trace_id: v.optional(v.string()),
  at: Timestamp,
});

export const Evidence = v.variant("source", [WebhookEvidence, ReconcilerEvidence, RefusalEvidence]);

export const PartResult = v.object({
  status: v.picklist(["pending", "succeeded", "failed"]),
  settled_at: v.optional(Timestamp),
  settled_by: v.optional(v.picklist(["webhook", "reconciler", "linq", "service"])),
  basis: v.optional(v.picklist(["proven", "inferred"])),
  error_code: v.optional(LinqCodeNumber),
  reason: v.optional(v.string()),
  evidence: v.optional(v.array(Evidence)),
});

const LinqAttempt = v.object({
  at: Timestamp,
  result: v.picklist(["accepted", "refused", "unknown"]),
  trace_id: v.optional(v.string()),
  status: v.optional(v.number()),
});

const OperationError = v.object({ code: LinqCodeNumber, message: v.string(), status: v.optional(v.number()) });

const recordEntries = {
  chat_id: ChatId,
  trace_id: TraceId,
  status: v.picklist(["pending", "succeeded", "failed"]),
  results: v.object({
    display_name: v.optional(PartResult),
    group_chat_icon: v.optional(PartResult),
    participant: v.optional(PartResult),
  }),
  source: v.picklist(["http", "eventbridge"]),
  created_at: Timestamp,
  updated_at: Timestamp,
  completed_at: v.optional(Timestamp),
  error: v.optional(OperationError),
  linq_attempts: v.array(LinqAttempt),
};

/** A record as stored keeps what the caller asked, as given (an invalid request event's included). */
const ChatUpdateRecord = v.object({
  ...recordEntries,
  kind: v.literal("chat.update"),
  request: v.object({ display_name: v.optional(v.string()), group_chat_icon: v.optional(v.string()) }),
});

const ParticipantRemoveRecord = v.object({
  ...recordEntries,
  kind: v.literal("participant.remove"),
  request: v.object({ handle: v.string() }),
});

export const OperationRecord = v.pipe(
  v.variant("kind", [ChatUpdateRecord, ParticipantRemoveRecord]),
  v.description("An operation and how it settled: what the GET routes answer and what outcome events carry"),
);

/** An outcome event's detail: the record, and the version of this shape (`OUTCOME_SCHEMA_VERSION`). */
export const OutcomeEventDetail = v.pipe(
  v.intersect([OperationRecord, v.object({ schema_version: v.literal(OUTCOME_SCHEMA_VERSION) })]),
  v.description("The operation record as it settled, with the version of this shape"),
);

export const ChatUpdateAnswer = v.object({
  chat_id: ChatId,
  status: v.literal("pending"),
  trace_id: TraceId,
});

export const ParticipantRemoveAnswer = v.object({
  message: v.string(),
  status: v.literal("accepted"),
  trace_id: TraceId,
});

export const OperationPage = v.object({
  data: v.pipe(v.array(OperationRecord), v.description("newest first")),
  next_cursor: v.pipe(v.nullable(v.string()), v.description("`?cursor=` of the next page; null on the last")),
});

export const WebhookAnswer = v.object({
  received: v.literal(true),
  result: v.pipe(v.picklist(["settled", "kept", "duplicate", "ignored"]), v.description("what the delivery did")),
});

/** Linq's error envelope: every error this service answers, its own or Linq's. */
export const ErrorEnvelope = v.object({
  error: v.object({ status: v.number(), code: LinqCodeNumber, message: v.string() }),
  success: v.literal(false),
});
