/**
 * Linq's webhook events, read into what this service acts on. Linq sends many event types; five are outcomes of the
 * operations we perform, the rest are acknowledged and ignored. Reading never throws: a signed delivery that cannot
 * be used (a missing field, a handle of unknown shape, an oversized id) is `unusable`, to be kept against its chat
 * and answered 2xx, since Linq does not retry a 4xx and its word would be lost for good.
 */
import type { ChangedBy, Part } from "./operation.ts";
import { normalizeHandle, parseChatId } from "./validation.ts";

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

/** Linq's ids are UUIDs or 32-hex; anything printable up to this length is kept, anything else refused as an id. */
const ID = /^[\x21-\x7e]{1,128}$/;
const MAX_VALUE_LENGTH = 4096;

class Unusable extends Error {}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Unusable(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function id(value: unknown, what: string): string {
  if (typeof value !== "string" || !ID.test(value)) throw new Unusable(`${what} is not a usable id`);
  return value;
}

function timestamp(value: unknown, fallback: string): string {
  if (typeof value !== "string" || Number.isNaN(Date.parse(value))) return fallback;
  return new Date(value).toISOString();
}

function changedBy(data: Record<string, unknown>): ChangedBy | null | undefined {
  if (!Object.hasOwn(data, "changed_by_handle")) return undefined;
  const value = data.changed_by_handle;
  if (value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) return undefined;
  const { handle, is_me } = value as Record<string, unknown>;
  // A shape we do not know says nothing we can rely on about who made the change.
  if (typeof handle !== "string" || typeof is_me !== "boolean") return undefined;
  return { handle: handle.slice(0, 320), is_me };
}

export function readLinqEvent(body: unknown): LinqEvent {
  let eventId: string | undefined;
  let eventType: string | undefined;
  let chatId: string | undefined;
  try {
    const envelope = object(body, "the event");
    eventType = typeof envelope.event_type === "string" ? envelope.event_type.slice(0, 128) : undefined;
    eventId = id(envelope.event_id, "event_id");
    if (eventType === undefined) throw new Unusable("event_type is missing");
    const meaning = Object.hasOwn(OUTCOMES, eventType) ? OUTCOMES[eventType] : undefined;
    if (meaning === undefined) return { type: "ignored", eventId, eventType };

    const data = object(envelope.data, "data");
    chatId = parseChatIdOrThrow(data.chat_id);
    const createdAt = timestamp(envelope.created_at, new Date(0).toISOString());
    const traceId = typeof envelope.trace_id === "string" && ID.test(envelope.trace_id) ? envelope.trace_id : undefined;
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
      const participant =
        data.participant === undefined || data.participant === null ? {} : object(data.participant, "data.participant");
      const handle = participant.handle ?? data.handle;
      try {
        normalizeHandle(handle);
      } catch {
        throw new Unusable("participant.removed names no handle of a known shape");
      }
      event.value = handle as string;
      event.at = timestamp(data.removed_at ?? participant.left_at, createdAt);
    } else if (meaning.outcome === "succeeded") {
      const value = data.new_value;
      if (typeof value !== "string" || value.length === 0 || value.length > MAX_VALUE_LENGTH) {
        throw new Unusable("data.new_value is not a usable value");
      }
      event.value = value;
      if (typeof data.old_value === "string" || data.old_value === null)
        event.oldValue = data.old_value?.slice(0, MAX_VALUE_LENGTH) ?? null;
      event.at = timestamp(data.updated_at, createdAt);
      const by = changedBy(data);
      if (by !== undefined) event.changedBy = by;
    } else {
      const code = data.error_code;
      if (typeof code !== "number" || !Number.isInteger(code)) throw new Unusable("data.error_code is not an integer");
      event.errorCode = code;
      event.at = timestamp(data.failed_at, createdAt);
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

function parseChatIdOrThrow(value: unknown): string {
  try {
    return parseChatId(value);
  } catch {
    throw new Unusable("data.chat_id is not a chat id");
  }
}
