/**
 * Linq webhook envelopes as Linq sends them (see shared/docs/linq.md), for feeding `readLinqEvent`.
 * Each gets a fresh event id unless one is given, and Linq's timestamp `at` (default 12:00:05, five seconds after the
 * fake clock's start); the delivery id (`webhook-id`) is the test's to choose.
 */
let events = 0;

function envelope(eventType: string, data: Record<string, unknown>, eventId?: string) {
  return {
    api_version: "v3",
    webhook_version: "2026-02-03",
    event_type: eventType,
    event_id: eventId ?? `evt-${++events}`,
    created_at: "2026-03-01T12:00:05.000Z",
    trace_id: `evt-trace-${events}`,
    partner_id: "partner-1",
    data,
  };
}

const AT = "2026-03-01T12:00:05.000Z";

export function groupNameUpdated(chatId: string, newValue: string, options: { eventId?: string; at?: string } = {}) {
  return envelope(
    "chat.group_name_updated",
    { chat_id: chatId, updated_at: options.at ?? AT, new_value: newValue, old_value: "Old name" },
    options.eventId,
  );
}

export function groupIconUpdated(chatId: string, newValue: string, options: { eventId?: string; at?: string } = {}) {
  return envelope(
    "chat.group_icon_updated",
    { chat_id: chatId, updated_at: options.at ?? AT, new_value: newValue },
    options.eventId,
  );
}

export function groupNameUpdateFailed(
  chatId: string,
  errorCode: number,
  options: { eventId?: string; at?: string } = {},
) {
  return envelope(
    "chat.group_name_update_failed",
    { chat_id: chatId, error_code: errorCode, failed_at: options.at ?? AT },
    options.eventId,
  );
}

export function groupIconUpdateFailed(
  chatId: string,
  errorCode: number,
  options: { eventId?: string; at?: string } = {},
) {
  return envelope(
    "chat.group_icon_update_failed",
    { chat_id: chatId, error_code: errorCode, failed_at: options.at ?? AT },
    options.eventId,
  );
}

export function participantRemoved(chatId: string, handle: string, options: { eventId?: string; at?: string } = {}) {
  const at = options.at ?? AT;
  return envelope(
    "participant.removed",
    { chat_id: chatId, participant: { handle, status: "removed", left_at: at }, removed_at: at },
    options.eventId,
  );
}

/** An older account's shape: only the deprecated top-level `handle`. */
export function participantRemovedDeprecated(chatId: string, handle: string) {
  return envelope("participant.removed", { chat_id: chatId, handle, removed_at: AT });
}

export function otherEvent(eventType: string, data: Record<string, unknown> = {}) {
  return envelope(eventType, data);
}
