/**
 * Linq's webhook events, read into what this service acts on. Linq sends many event types; five are outcomes of the
 * operations we perform, the rest are acknowledged and ignored. Reading never throws: a signed delivery that cannot
 * be used (a missing field, a handle of unknown shape, an oversized id) is `unusable`, to be kept against its chat
 * and answered 2xx, since Linq does not retry a 4xx and its word would be lost for good.
 */
import type { ChangedBy, Part } from "./operation.ts";
import {
  EventChatId,
  LinqChangedBy,
  LinqErrorCode,
  LinqEventData,
  LinqEventId,
  LinqEventObject,
  LinqEventType,
  LinqParticipant,
  LinqTraceId,
  NewValue,
  OldValue,
  RemovedHandle,
  timestampOr,
} from "../schemas/linq.ts";
import { parseOrReason, parseOrUndefined, type Schema } from "../schemas/refusal.ts";

export type LinqEvent =
  | {
      type: "outcome";
      eventId: string;
      eventType: string;
      chatId: string;
      /** The envelope's trace id: maybe the `X-Trace-ID` of the request that caused it (unconfirmed). */
      traceId?: string;
      part: Part;
      outcome: "succeeded" | "failed";
      /** `new_value` of a change, or the removed handle as Linq wrote it. */
      value?: string | null;
      /** `old_value` of a change: what it replaced. */
      oldValue?: string | null;
      /** Absent when the event says nothing of who made the change. */
      changedBy?: ChangedBy | null;
      errorCode?: number;
      at: string;
    }
  | { type: "unusable"; eventId?: string; eventType?: string; chatId?: string; reason: string; raw?: string }
  | { type: "ignored"; eventId: string; eventType: string };

const OUTCOMES: Record<string, { part: Part; outcome: "succeeded" | "failed" }> = {
  "chat.group_name_updated": { part: "display_name", outcome: "succeeded" },
  "chat.group_icon_updated": { part: "group_chat_icon", outcome: "succeeded" },
  "chat.group_name_update_failed": { part: "display_name", outcome: "failed" },
  "chat.group_icon_update_failed": { part: "group_chat_icon", outcome: "failed" },
  "participant.removed": { part: "participant", outcome: "succeeded" },
};

/** The event types this service acts on: what its webhook subscription asks Linq for, no more. */
export const OUTCOME_EVENT_TYPES: readonly string[] = Object.keys(OUTCOMES);

/** A signed delivery we cannot use, and why: kept against its chat, answered 2xx. */
class Unusable extends Error {}

/** The field as its schema reads it; otherwise the event is unusable, for the schema's reason. */
function read<T>(schema: Schema<T>, value: unknown): T {
  const result = parseOrReason(schema, value);
  if (!result.ok) throw new Unusable(result.reason);
  return result.value;
}

/** The field as its schema reads it, or undefined: for what may be absent or unusable without spoiling the event. */
const readIf = parseOrUndefined;

export function readLinqEvent(body: unknown): LinqEvent {
  let eventId: string | undefined;
  let eventType: string | undefined;
  let chatId: string | undefined;
  try {
    const envelope = read(LinqEventObject, body);
    eventType = readIf(LinqEventType, envelope.event_type);
    eventId = read(LinqEventId, envelope.event_id);
    if (eventType === undefined) throw new Unusable("event_type is missing");
    const meaning = Object.hasOwn(OUTCOMES, eventType) ? OUTCOMES[eventType] : undefined;
    if (meaning === undefined) return { type: "ignored", eventId, eventType };

    const data = read(LinqEventData, envelope.data);
    chatId = read(EventChatId, data.chat_id);
    const createdAt = timestampOr(envelope.created_at, new Date(0).toISOString());
    const traceId = readIf(LinqTraceId, envelope.trace_id);
    const event: Extract<LinqEvent, { type: "outcome" }> = {
      type: "outcome",
      eventId,
      eventType,
      chatId,
      part: meaning.part,
      outcome: meaning.outcome,
      at: createdAt,
    };
    if (traceId !== undefined) event.traceId = traceId;

    if (meaning.part === "participant") {
      // `participant.handle` is current, the top-level `handle` deprecated but still sent by older accounts.
      const participant = read(LinqParticipant, data.participant) ?? {};
      event.value = read(RemovedHandle, participant.handle ?? data.handle);
      event.at = timestampOr(data.removed_at ?? participant.left_at, createdAt);
    } else if (meaning.outcome === "succeeded") {
      event.value = read(NewValue, data.new_value);
      const oldValue = readIf(OldValue, data.old_value);
      if (oldValue !== undefined) event.oldValue = oldValue;
      event.at = timestampOr(data.updated_at, createdAt);
      if (Object.hasOwn(data, "changed_by_handle")) {
        const by = readIf(LinqChangedBy, data.changed_by_handle);
        if (by !== undefined) event.changedBy = by;
      }
    } else {
      event.errorCode = read(LinqErrorCode, data.error_code);
      event.at = timestampOr(data.failed_at, createdAt);
    }
    return event;
  } catch (error) {
    if (!(error instanceof Unusable)) throw error;
    const unusable: LinqEvent = { type: "unusable", reason: error.message };
    if (eventId !== undefined) unusable.eventId = eventId;
    if (eventType !== undefined) unusable.eventType = eventType;
    if (chatId !== undefined) unusable.chatId = chatId;
    return unusable;
  }
}
