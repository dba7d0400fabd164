/**
 * Linq's webhook events, read into what this service acts on. Linq sends many event types; only five settle
 * operations, the rest are acknowledged and ignored. A delivery that is signed but unreadable can never succeed, so it
 * is refused with a 4xx (Linq does not retry those) rather than a 5xx.
 */
import { badRequest, LinqCode } from "./errors.ts";
import type { UpdatePart } from "./operation.ts";
import { normalizeHandle } from "./validation.ts";

export type LinqEvent =
  | {
      type: "part.updated";
      eventId: string;
      eventType: string;
      chatId: string;
      part: UpdatePart;
      newValue: string | null;
      at: string;
      data: unknown;
    }
  | {
      type: "part.update_failed";
      eventId: string;
      eventType: string;
      chatId: string;
      part: UpdatePart;
      errorCode: number;
      at: string;
      data: unknown;
    }
  | {
      type: "participant.removed";
      eventId: string;
      eventType: string;
      chatId: string;
      handle: string;
      at: string;
      data: unknown;
    }
  | { type: "ignored"; eventId: string; eventType: string };

const UPDATED: Record<string, UpdatePart> = {
  "chat.group_name_updated": "display_name",
  "chat.group_icon_updated": "group_chat_icon",
};
const UPDATE_FAILED: Record<string, UpdatePart> = {
  "chat.group_name_update_failed": "display_name",
  "chat.group_icon_update_failed": "group_chat_icon",
};

function invalid(message: string): never {
  throw badRequest(LinqCode.invalidBody, `Invalid webhook event: ${message}`);
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) invalid(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function string(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length === 0) invalid(`${what} must be a non-empty string`);
  return value;
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  return string(value, what);
}

/** Time of the change: the payload's own timestamp when it has one, else the envelope's. */
function timestamp(value: unknown, fallback: string, what: string): string {
  const text = optionalString(value, what) ?? fallback;
  if (Number.isNaN(Date.parse(text))) invalid(`${what} must be a timestamp`);
  return new Date(text).toISOString();
}

export function readLinqEvent(body: unknown): LinqEvent {
  const envelope = object(body, "the event");
  const eventType = string(envelope.event_type, "event_type");
  const eventId = string(envelope.event_id, "event_id");
  const createdAt = timestamp(envelope.created_at, new Date(0).toISOString(), "created_at");

  const updatedPart = UPDATED[eventType];
  const failedPart = UPDATE_FAILED[eventType];
  if (updatedPart === undefined && failedPart === undefined && eventType !== "participant.removed") {
    return { type: "ignored", eventId, eventType };
  }

  const data = object(envelope.data, "data");
  if (updatedPart !== undefined) {
    return {
      type: "part.updated",
      eventId,
      eventType,
      chatId: string(data.chat_id, "data.chat_id").toLowerCase(),
      part: updatedPart,
      newValue: optionalString(data.new_value, "data.new_value") ?? null,
      at: timestamp(data.updated_at, createdAt, "data.updated_at"),
      data,
    };
  }
  if (failedPart !== undefined) {
    const errorCode = data.error_code;
    if (typeof errorCode !== "number" || !Number.isInteger(errorCode)) invalid("data.error_code must be an integer");
    return {
      type: "part.update_failed",
      eventId,
      eventType,
      chatId: string(data.chat_id, "data.chat_id").toLowerCase(),
      part: failedPart,
      errorCode,
      at: timestamp(data.failed_at, createdAt, "data.failed_at"),
      data,
    };
  }
  // Linq's schema makes the chat optional on a removal; without it nothing of ours can be matched.
  if (data.chat_id === undefined || data.chat_id === null) return { type: "ignored", eventId, eventType };
  // participant.removed: `participant.handle` is current, top-level `handle` deprecated but still sent by older accounts.
  const participant =
    data.participant === undefined || data.participant === null ? {} : object(data.participant, "data.participant");
  const rawHandle = participant.handle ?? data.handle;
  if (rawHandle === undefined) invalid("participant.removed names no handle");
  let handle: string;
  try {
    handle = normalizeHandle(rawHandle);
  } catch {
    invalid("participant.removed names an unreadable handle");
  }
  return {
    type: "participant.removed",
    eventId,
    eventType,
    chatId: string(data.chat_id, "data.chat_id").toLowerCase(),
    handle,
    at: timestamp(data.removed_at ?? participant.left_at, createdAt, "data.removed_at"),
    data,
  };
}
