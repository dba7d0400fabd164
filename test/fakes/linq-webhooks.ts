/**
 * Linq webhook envelopes as Linq sends them (see shared/docs/linq.md), for feeding `readLinqEvent`.
 * Each gets a fresh event id and a trace id of its own (`evt-trace-N`, which names none of our calls) unless told
 * otherwise, and Linq's timestamp `at` (default 12:00:05, five seconds after the fake clock's start); the delivery id
 * (`webhook-id`) is the test's to choose.
 */
let events = 0;

const AT = "2026-03-01T12:00:05.000Z";

export interface EnvelopeOptions {
  eventId?: string;
  at?: string;
  /** The envelope's `trace_id`; `null` leaves it out. */
  traceId?: string | null;
}

export interface ChangeOptions extends EnvelopeOptions {
  /** `changed_by_handle`: a person (`is_me: false`), our line (`is_me: true`), `null`; absent when not given. */
  changedBy?: { handle: string; is_me: boolean } | null;
}

/** Our own line, as Linq names it in `changed_by_handle`. */
export const OUR_LINE = { handle: "+15550000001", is_me: true };
/** A person in the chat, on their phone. */
export const A_PERSON = { handle: "+15550000002", is_me: false };

function envelope(eventType: string, data: Record<string, unknown>, options: EnvelopeOptions = {}) {
  const n = ++events;
  return {
    api_version: "v3",
    webhook_version: "2026-02-03",
    event_type: eventType,
    event_id: options.eventId ?? `evt-${n}`,
    created_at: AT,
    ...(options.traceId === null ? {} : { trace_id: options.traceId ?? `evt-trace-${n}` }),
    partner_id: "partner-1",
    data,
  };
}

function changedBy(options: ChangeOptions) {
  return options.changedBy === undefined ? {} : { changed_by_handle: options.changedBy };
}

export function groupNameUpdated(chatId: string, newValue: string, options: ChangeOptions = {}) {
  return envelope(
    "chat.group_name_updated",
    {
      chat_id: chatId,
      updated_at: options.at ?? AT,
      new_value: newValue,
      old_value: "Old name",
      ...changedBy(options),
    },
    options,
  );
}

export function groupIconUpdated(chatId: string, newValue: string, options: ChangeOptions = {}) {
  return envelope(
    "chat.group_icon_updated",
    { chat_id: chatId, updated_at: options.at ?? AT, new_value: newValue, ...changedBy(options) },
    options,
  );
}

export function groupNameUpdateFailed(chatId: string, errorCode: number, options: EnvelopeOptions = {}) {
  return envelope(
    "chat.group_name_update_failed",
    { chat_id: chatId, error_code: errorCode, failed_at: options.at ?? AT },
    options,
  );
}

export function groupIconUpdateFailed(chatId: string, errorCode: number, options: EnvelopeOptions = {}) {
  return envelope(
    "chat.group_icon_update_failed",
    { chat_id: chatId, error_code: errorCode, failed_at: options.at ?? AT },
    options,
  );
}

export function participantRemoved(chatId: string, handle: string, options: EnvelopeOptions = {}) {
  const at = options.at ?? AT;
  return envelope(
    "participant.removed",
    { chat_id: chatId, participant: { handle, status: "removed", left_at: at }, removed_at: at },
    options,
  );
}

/** An older account's shape: only the deprecated top-level `handle`. */
export function participantRemovedDeprecated(chatId: string, handle: string, options: EnvelopeOptions = {}) {
  return envelope("participant.removed", { chat_id: chatId, handle, removed_at: options.at ?? AT }, options);
}

export function otherEvent(eventType: string, data: Record<string, unknown> = {}, options: EnvelopeOptions = {}) {
  return envelope(eventType, data, options);
}
