/**
 * What callers send, one schema per shape: the path and query parameters, the two bodies, the `Idempotency-Key`, and
 * the request events' details. The HTTP routes and the EventBridge subscribers both parse with these, so a request is
 * judged the same whichever door it came through, and the OpenAPI document and the events' JSON Schemas are generated
 * from them (`openapi.ts`), so what is documented is what is enforced.
 *
 * Each schema checks in the order Linq answers (the first problem wins): not an object, then unknown fields (all named
 * at once), then each field in order, then rules across fields. Messages carry their Linq code (`refusal.ts`):
 * 1001 a missing field, 1002 a handle that is not E.164, 1003 a body or field of the wrong type or an unknown field,
 * 1005 a value out of its rules.
 */
import * as v from "valibot";
import { LinqCode } from "../domain/errors.ts";
import { FIRST_ISSUE, refusal } from "./refusal.ts";

/** UUIDs in either case (answered in lower case); written without flags so JSON Schema can carry it as a pattern. */
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const E164 = /^\+[1-9]\d{6,14}$/;
/** Deliberately plain: one @, a dot in the domain, no spaces. Linq decides deliverability. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Trace ids are ours (UUIDs) or Linq's (opaque); this keeps them safe as keys and in URLs. */
export const TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Phone numbers are often written with separators; they are not part of the number. */
const PHONE_SEPARATORS = /[\s().-]/g;
/** Control characters cannot be shown as a group name and would make the webhook's new_value never match. */
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

export const DISPLAY_NAME_MAX_LENGTH = 255;
export const ICON_URL_MAX_LENGTH = 2048;
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
export const LIST_LIMIT_DEFAULT = 20;
export const LIST_LIMIT_MAX = 100;

const NOT_AN_OBJECT = refusal(LinqCode.invalidBody, "Request body must be a JSON object");

/** A JSON object: what a body, a detail or an envelope must be (an array is not one, though `typeof` says so). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Present means given and not empty: a null or "" field is as missing as an absent one. */
function required(field: string) {
  return v.check(
    (value: unknown) => value !== undefined && value !== null && value !== "",
    refusal(LinqCode.missingField, `${field} is required`),
  );
}

/**
 * A JSON object with exactly these fields, judged in Linq's order. The trailing `strictObject` is the shape (and what
 * JSON Schema shows); the checks before it give the answers Linq gives first.
 */
function jsonObject<const E extends v.ObjectEntries>(entries: E) {
  const known = Object.keys(entries);
  return v.pipe(
    v.unknown(),
    v.check(isJsonObject, NOT_AN_OBJECT),
    v.rawCheck(({ dataset, addIssue }) => {
      const unknown = Object.keys(dataset.value as object).filter((key) => !known.includes(key));
      if (unknown.length > 0)
        addIssue({ message: refusal(LinqCode.invalidBody, `Unknown field: ${unknown.join(", ")}`) });
    }),
    v.strictObject(entries, (issue) => {
      const key = issue.path?.[0]?.key;
      return typeof key === "string" ? refusal(LinqCode.missingField, `${key} is required`) : NOT_AN_OBJECT;
    }),
  );
}

export const ChatId = v.pipe(
  v.string(refusal(LinqCode.invalidParameter, "chatId must be a UUID")),
  v.regex(UUID, refusal(LinqCode.invalidParameter, "chatId must be a UUID")),
  v.toLowerCase(),
  v.description("A Linq chat id: a UUID, in either case"),
);

export const TraceId = v.pipe(
  v.string(refusal(LinqCode.invalidParameter, "traceId is not a valid trace id")),
  v.regex(TRACE_ID, refusal(LinqCode.invalidParameter, "traceId is not a valid trace id")),
  v.description("An operation's public id: ours (a UUID) or Linq's"),
);

export const DisplayName = v.pipe(
  v.string(refusal(LinqCode.invalidBody, "display_name must be a string")),
  v.trim(),
  v.nonEmpty(refusal(LinqCode.invalidParameter, "display_name must not be empty")),
  v.maxLength(
    DISPLAY_NAME_MAX_LENGTH,
    refusal(LinqCode.invalidParameter, `display_name must be at most ${DISPLAY_NAME_MAX_LENGTH} characters`),
  ),
  v.regex(
    NO_CONTROL_CHARACTERS,
    refusal(LinqCode.invalidParameter, "display_name must not contain control characters"),
  ),
  v.description("The group's new name, trimmed"),
);

/**
 * Trimmed once, here, before Linq sees it: Linq echoes (or re-hosts) what it was sent, and the value is compared as
 * sent, so the request, Linq and the record must all hold the same string.
 */
export const IconUrl = v.pipe(
  v.string(refusal(LinqCode.invalidBody, "group_chat_icon must be a string")),
  v.trim(),
  v.maxLength(
    ICON_URL_MAX_LENGTH,
    refusal(LinqCode.invalidParameter, `group_chat_icon must be at most ${ICON_URL_MAX_LENGTH} characters`),
  ),
  v.url(refusal(LinqCode.invalidParameter, "group_chat_icon must be a URL")),
  v.check(
    (value) => new URL(value).protocol === "https:",
    refusal(LinqCode.invalidParameter, "group_chat_icon must be an https URL"),
  ),
  v.description("The group's new icon: an https URL, trimmed"),
);

/**
 * A handle as Linq gets it: a phone without its separators (Linq takes E.164), an email as the caller wrote it. Case is
 * normalised only where handles are compared (`handleKey`), never in what Linq is sent.
 */
export const Handle = v.pipe(
  v.unknown(),
  required("handle"),
  v.string(refusal(LinqCode.invalidBody, "handle must be a string")),
  v.trim(),
  v.check(
    (handle) => !handle.includes("@") || EMAIL.test(handle),
    refusal(LinqCode.invalidParameter, "handle is not a valid email address"),
  ),
  v.check(
    (handle) => handle.includes("@") || E164.test(handle.replace(PHONE_SEPARATORS, "")),
    refusal(LinqCode.invalidPhone, "Phone number must be in E.164 format"),
  ),
  v.transform((handle) => (handle.includes("@") ? handle : handle.replace(PHONE_SEPARATORS, ""))),
  v.string(refusal(LinqCode.invalidBody, "handle must be a string")),
  v.description("A participant: a phone number in E.164 (separators are dropped) or an email address"),
);

/** The one spelling handles are compared in: phones as E.164, emails in lower case. */
export function handleKey(handle: string): string {
  return handle.includes("@") ? handle.toLowerCase() : handle;
}

/** Optional; null is as good as absent. */
export const IdempotencyKey = v.nullish(
  v.pipe(
    v.string(
      refusal(LinqCode.invalidParameter, `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`),
    ),
    v.minLength(
      1,
      refusal(LinqCode.invalidParameter, `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`),
    ),
    v.maxLength(
      IDEMPOTENCY_KEY_MAX_LENGTH,
      refusal(LinqCode.invalidParameter, `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`),
    ),
    v.description("Makes a retry safe: the same key with the same request within 24 h answers the first answer"),
  ),
);

const LIMIT_REFUSAL = refusal(LinqCode.invalidParameter, `limit must be an integer from 1 to ${LIST_LIMIT_MAX}`);

/** The list's `?limit=`, as the query string gives it: digits only, absent for the default. */
export const ListLimit = v.pipe(
  v.optional(v.pipe(v.string(LIMIT_REFUSAL), v.regex(/^\d+$/, LIMIT_REFUSAL))),
  // Enough digits make Infinity, which only these two refuse: each with the answer the others give.
  v.transform((value) => (value === undefined ? LIST_LIMIT_DEFAULT : Number(value))),
  v.number(LIMIT_REFUSAL),
  v.integer(LIMIT_REFUSAL),
  v.minValue(1, LIMIT_REFUSAL),
  v.maxValue(LIST_LIMIT_MAX, LIMIT_REFUSAL),
  v.metadata({ description: "How many records a page holds", default: LIST_LIMIT_DEFAULT }),
);

/** The list's `?cursor=`: opaque, handed out by the previous page. */
export const ListCursor = v.optional(
  v.pipe(
    v.string(refusal(LinqCode.invalidParameter, "cursor is not valid for this list")),
    v.description("`next_cursor` of the previous page"),
  ),
);

const chatUpdateEntries = {
  display_name: v.optional(DisplayName),
  group_chat_icon: v.optional(IconUrl),
};

const AT_LEAST_ONE = refusal(LinqCode.missingField, "At least one of display_name or group_chat_icon is required");

/** `PUT /v3/chats/{chatId}`'s body. */
export const ChatUpdateBody = v.pipe(
  jsonObject(chatUpdateEntries),
  v.check((body) => body.display_name !== undefined || body.group_chat_icon !== undefined, AT_LEAST_ONE),
  v.title("ChatUpdateRequest"),
  v.description("At least one of the two fields"),
);

/** `DELETE /v3/chats/{chatId}/participants`'s body. */
export const ParticipantRemoveBody = v.pipe(jsonObject({ handle: Handle }), v.title("ParticipantRemoveRequest"));

/** A request event's chat is a field of its detail: a missing one is a missing field (1001), as for any other. */
const DetailChatId = v.pipe(v.unknown(), required("chat_id"), ChatId);

/**
 * A request event's detail: the chat, an optional key, and the HTTP body's fields under the HTTP body's rules. The key
 * and the chat are judged before the body's fields, as they decide what the request is about.
 */
function requestDetail<const E extends v.ObjectEntries>(bodyEntries: E) {
  const head = { idempotency_key: IdempotencyKey, chat_id: DetailChatId };
  return v.pipe(
    v.unknown(),
    v.check(isJsonObject, NOT_AN_OBJECT),
    v.rawCheck(({ dataset, addIssue }) => {
      for (const [key, schema] of Object.entries(head)) {
        const field = v.safeParse(schema, (dataset.value as Record<string, unknown>)[key], FIRST_ISSUE);
        if (!field.success) return addIssue({ message: field.issues[0].message });
      }
    }),
    jsonObject({ ...head, ...bodyEntries }),
  );
}

/** `detail` of `chat.update.requested`. */
export const ChatUpdateRequestedDetail = v.pipe(
  requestDetail(chatUpdateEntries),
  v.check((detail) => detail.display_name !== undefined || detail.group_chat_icon !== undefined, AT_LEAST_ONE),
  v.title("chat.update.requested"),
  v.description("The same update as PUT /v3/chats/{chatId}, under the same rules"),
);

/** `detail` of `participant.remove.requested`. */
export const ParticipantRemoveRequestedDetail = v.pipe(
  requestDetail({ handle: Handle }),
  v.title("participant.remove.requested"),
  v.description("The same removal as DELETE /v3/chats/{chatId}/participants, under the same rules"),
);
