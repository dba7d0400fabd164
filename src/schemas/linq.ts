/**
 * What Linq sends us, as this service reads it: its webhook events (the five outcome events we act on; any other type
 * is acknowledged and ignored) and its answers to our calls. Linq's word is read leniently: a field we do not use is
 * never a reason to refuse, and a field we do use either reads or makes the event unusable (kept, answered 2xx) or the
 * answer unreadable (its fate unknown), with the reason as the schema's message.
 */
import * as v from "valibot";
import { ChatId, Handle, isJsonObject, TRACE_ID } from "./requests.ts";

/** Linq's ids are UUIDs or 32-hex; anything printable up to this length is kept, anything else refused as an id. */
export const LINQ_ID = /^[\x21-\x7e]{1,128}$/;
/** The longest `new_value` / `old_value` kept: far above any name or icon URL. */
export const MAX_VALUE_LENGTH = 4096;
/** Linq's event types are short; a longer one is cut, never trusted whole. */
const MAX_EVENT_TYPE_LENGTH = 128;
/** An email is at most 320 characters; a longer `changed_by_handle.handle` is cut. */
const MAX_CHANGED_BY_LENGTH = 320;

/** An object, or the reason it is not one (`what` is not an object). */
const jsonObject = (what: string) => v.custom<Record<string, unknown>>(isJsonObject, `${what} is not an object`);

/** The whole delivery, and its `data`: objects whose fields are read one by one below. */
export const LinqEventObject = jsonObject("the event");
export const LinqEventData = jsonObject("data");
/** `data.participant` of a removal; null or absent is an empty one (the deprecated top-level `handle` then speaks). */
export const LinqParticipant = v.nullish(jsonObject("data.participant"));

export const LinqEventId = v.pipe(
  v.string("event_id is not a usable id"),
  v.regex(LINQ_ID, "event_id is not a usable id"),
  v.description("Linq's id of the event: a redelivery is recognised by it or by webhook-id"),
);

/** `event_type`, cut to a sane length, so an unusable event can still say what it claimed to be. */
export const LinqEventType = v.pipe(
  v.string(),
  v.transform((value) => value.slice(0, MAX_EVENT_TYPE_LENGTH)),
);

/** The envelope's trace id, when it is one we can key on; any other is ignored rather than refused. */
export const LinqTraceId = v.pipe(v.string(), v.regex(LINQ_ID));

/** A time Linq states, in UTC; anything unreadable falls back to the caller's time (`timestampOr`). */
export const LinqTimestamp = v.pipe(
  v.string(),
  v.check((value) => !Number.isNaN(Date.parse(value))),
  v.transform((value) => new Date(value).toISOString()),
);

export function timestampOr(value: unknown, fallback: string): string {
  const result = v.safeParse(LinqTimestamp, value);
  return result.success ? result.output : fallback;
}

export const EventChatId = v.pipe(
  v.unknown(),
  v.check((value) => v.is(ChatId, value), "data.chat_id is not a chat id"),
  ChatId,
);

/** A handle of a shape we know: the value a removal event reports, as Linq wrote it. */
export const RemovedHandle = v.pipe(
  v.unknown(),
  v.check((value) => v.is(Handle, value), "participant.removed names no handle of a known shape"),
  v.string(),
);

/** `new_value` of a change: what the chat now shows. */
export const NewValue = v.pipe(
  v.string("data.new_value is not a usable value"),
  v.nonEmpty("data.new_value is not a usable value"),
  v.maxLength(MAX_VALUE_LENGTH, "data.new_value is not a usable value"),
);

/** `old_value` of a change, cut to the same bound; null when there was none. */
export const OldValue = v.nullable(
  v.pipe(
    v.string(),
    v.transform((value) => value.slice(0, MAX_VALUE_LENGTH)),
  ),
);

/** `changed_by_handle`: absent says nothing, null says nobody; a shape we do not know says nothing we can rely on. */
export const LinqChangedBy = v.nullable(
  v.object({
    handle: v.pipe(
      v.string(),
      v.transform((handle) => handle.slice(0, MAX_CHANGED_BY_LENGTH)),
    ),
    is_me: v.boolean(),
  }),
);

export const LinqErrorCode = v.pipe(
  v.number("data.error_code is not an integer"),
  v.integer("data.error_code is not an integer"),
);

/**
 * An answer's body as an object: Linq answered 2xx, so what it did is done; a body that is not an object only leaves
 * every field to its default.
 */
function answerObject<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(
    v.unknown(),
    v.transform((value) => (isJsonObject(value) ? value : {})),
    v.looseObject(entries),
  );
}

/** A string Linq gave, or nothing when it gave none (or an empty or non-string one). */
const GivenString = v.fallback(v.optional(v.pipe(v.string(), v.nonEmpty())), undefined);

/** Linq's answer to `PUT /v3/chats/{chatId}`: only what we pass on is read; absent, the request's chat and `pending`. */
export const LinqUpdateAnswer = answerObject({ chat_id: GivenString, status: GivenString });

/** Linq's answer to `DELETE /v3/chats/{chatId}/participants`: its `trace_id`, when given, must be one we can key on. */
export const LinqRemovalAnswer = answerObject({
  message: GivenString,
  status: GivenString,
  trace_id: v.nullish(
    v.pipe(
      v.string("a removal answer with an unusable trace_id"),
      v.regex(TRACE_ID, "a removal answer with an unusable trace_id"),
    ),
  ),
});

const NullableTimestamp = v.fallback(v.nullable(LinqTimestamp), null);

/** Linq's `Chat`, as far as the reconciler reads it: its id and handles must be there, the rest may be null. */
export const LinqChatAnswer = answerObject({
  id: v.string("a chat without id or handles"),
  display_name: v.fallback(v.nullable(v.string()), null),
  group_chat_icon: v.fallback(v.nullable(v.string()), null),
  updated_at: NullableTimestamp,
  handles: v.array(
    answerObject({
      handle: v.string("a chat handle without its handle"),
      status: v.fallback(v.nullable(v.picklist(["active", "left", "removed"])), null),
      joined_at: NullableTimestamp,
    }),
    "a chat without id or handles",
  ),
});
