/**
 * Input rules, the way Linq would answer them, applied before anything is called or written. The HTTP routes and the
 * EventBridge subscribers both use these, so a request is judged the same whichever door it came through.
 */
import type { ChatUpdateRequest, ParticipantRemoveRequest } from "./operation.ts";
import { badRequest, LinqCode } from "./errors.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const E164 = /^\+[1-9]\d{6,14}$/;
/** Deliberately plain: one @, a dot in the domain, no spaces. Linq decides deliverability. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Trace ids are ours (UUIDs) or Linq's (opaque); this keeps them safe as keys and in URLs. */
const TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Phone numbers are often written with separators; they are not part of the number. */
const PHONE_SEPARATORS = /[\s().-]/g;

export const DISPLAY_NAME_MAX_LENGTH = 255;
export const ICON_URL_MAX_LENGTH = 2048;
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

export function parseChatId(value: unknown): string {
  if (typeof value !== "string" || !UUID.test(value)) {
    throw badRequest(LinqCode.invalidParameter, "chatId must be a UUID");
  }
  return value.toLowerCase();
}

export function parseTraceId(value: unknown): string {
  if (typeof value !== "string" || !TRACE_ID.test(value)) {
    throw badRequest(LinqCode.invalidParameter, "traceId is not a valid trace id");
  }
  return value;
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest(LinqCode.invalidBody, "Request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

function rejectUnknownFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw badRequest(LinqCode.invalidBody, `Unknown field: ${unknown.join(", ")}`);
  }
}

export function parseDisplayName(value: unknown): string {
  if (typeof value !== "string") throw badRequest(LinqCode.invalidBody, "display_name must be a string");
  const name = value.trim();
  if (name.length === 0) throw badRequest(LinqCode.invalidParameter, "display_name must not be empty");
  if (name.length > DISPLAY_NAME_MAX_LENGTH) {
    throw badRequest(LinqCode.invalidParameter, `display_name must be at most ${DISPLAY_NAME_MAX_LENGTH} characters`);
  }
  // Control characters cannot be shown as a group name and would make the webhook's new_value never match.
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw badRequest(LinqCode.invalidParameter, "display_name must not contain control characters");
  }
  return name;
}

/**
 * Trimmed once, here, before Linq sees it: Linq echoes (or re-hosts) what it was sent, and the value is compared as
 * sent, so the request, Linq and the record must all hold the same string.
 */
export function parseIconUrl(raw: unknown): string {
  if (typeof raw !== "string") throw badRequest(LinqCode.invalidBody, "group_chat_icon must be a string");
  const value = raw.trim();
  if (value.length > ICON_URL_MAX_LENGTH) {
    throw badRequest(LinqCode.invalidParameter, `group_chat_icon must be at most ${ICON_URL_MAX_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badRequest(LinqCode.invalidParameter, "group_chat_icon must be a URL");
  }
  if (url.protocol !== "https:") throw badRequest(LinqCode.invalidParameter, "group_chat_icon must be an https URL");
  return value;
}

/** One participant, one spelling: phones lose their separators, emails their case. */
export function normalizeHandle(value: unknown): string {
  if (value === undefined || value === null || value === "") {
    throw badRequest(LinqCode.missingField, "handle is required");
  }
  if (typeof value !== "string") throw badRequest(LinqCode.invalidBody, "handle must be a string");
  const trimmed = value.trim();
  if (trimmed.includes("@")) {
    if (!EMAIL.test(trimmed)) throw badRequest(LinqCode.invalidParameter, "handle is not a valid email address");
    return trimmed.toLowerCase();
  }
  const phone = trimmed.replace(PHONE_SEPARATORS, "");
  if (!E164.test(phone)) throw badRequest(LinqCode.invalidPhone, "Phone number must be in E.164 format");
  return phone;
}

export function parseChatUpdate(body: unknown): ChatUpdateRequest {
  const object = asObject(body);
  rejectUnknownFields(object, ["display_name", "group_chat_icon"]);
  const request: ChatUpdateRequest = {};
  if (object.display_name !== undefined) request.display_name = parseDisplayName(object.display_name);
  if (object.group_chat_icon !== undefined) request.group_chat_icon = parseIconUrl(object.group_chat_icon);
  if (request.display_name === undefined && request.group_chat_icon === undefined) {
    throw badRequest(LinqCode.missingField, "At least one of display_name or group_chat_icon is required");
  }
  return request;
}

/**
 * The handle as Linq gets it: a phone without its separators (Linq takes E.164), an email as the caller wrote it.
 * Case is normalised only where handles are compared, never in what Linq is sent.
 */
export function parseHandle(value: unknown): string {
  const normalized = normalizeHandle(value);
  return normalized.includes("@") ? (value as string).trim() : normalized;
}

export function parseParticipantRemove(body: unknown): ParticipantRemoveRequest {
  const object = asObject(body);
  rejectUnknownFields(object, ["handle"]);
  return { handle: parseHandle(object.handle) };
}

export function parseIdempotencyKey(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    throw badRequest(
      LinqCode.invalidParameter,
      `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`,
    );
  }
  return value;
}

/** An event names its chat in a field of its detail: a missing one is a missing required field (1001), as for any other. */
function parseDetailChatId(value: unknown): string {
  if (value === undefined || value === null || value === "")
    throw badRequest(LinqCode.missingField, "chat_id is required");
  return parseChatId(value);
}

/** A request event's `detail`: the chat, the HTTP body's fields under the HTTP body's rules, an optional key. */
export interface RequestedOperation<R> {
  chatId: string;
  request: R;
  idempotencyKey?: string;
}

function parseRequested<R>(detail: unknown, parseBody: (body: unknown) => R): RequestedOperation<R> {
  const { chat_id, idempotency_key, ...body } = asObject(detail);
  const idempotencyKey = parseIdempotencyKey(idempotency_key);
  return {
    chatId: parseDetailChatId(chat_id),
    request: parseBody(body),
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  };
}

/** `detail` of `chat.update.requested`. */
export function parseChatUpdateRequested(detail: unknown): RequestedOperation<ChatUpdateRequest> {
  return parseRequested(detail, parseChatUpdate);
}

/** `detail` of `participant.remove.requested`. */
export function parseParticipantRemoveRequested(detail: unknown): RequestedOperation<ParticipantRemoveRequest> {
  return parseRequested(detail, parseParticipantRemove);
}

export const LIST_LIMIT_DEFAULT = 20;
export const LIST_LIMIT_MAX = 100;

export function parseListLimit(value: string | undefined): number {
  if (value === undefined) return LIST_LIMIT_DEFAULT;
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > LIST_LIMIT_MAX) {
    throw badRequest(LinqCode.invalidParameter, `limit must be an integer from 1 to ${LIST_LIMIT_MAX}`);
  }
  return limit;
}
