/**
 * Input rules, the way Linq would answer them, applied before anything is called or written. The HTTP routes and the
 * EventBridge subscribers both use these, so a request is judged the same whichever door it came through.
 *
 * The rules themselves are the schemas of `src/schemas/requests.ts` (which also generate the OpenAPI document); this is
 * the domain's view of them: a parsed value in the domain's types, or the ServiceError Linq would have answered.
 */
import type { ChatUpdateRequest, ParticipantRemoveRequest } from "./operation.ts";
import { parseOrRefuse } from "../schemas/refusal.ts";
import {
  ChatId,
  ChatUpdateBody,
  ChatUpdateRequestedDetail,
  Handle,
  handleKey,
  IdempotencyKey,
  ListLimit,
  ParticipantRemoveBody,
  ParticipantRemoveRequestedDetail,
  TraceId,
} from "../schemas/requests.ts";

export {
  DISPLAY_NAME_MAX_LENGTH,
  ICON_URL_MAX_LENGTH,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  LIST_LIMIT_DEFAULT,
  LIST_LIMIT_MAX,
} from "../schemas/requests.ts";

export function parseChatId(value: unknown): string {
  return parseOrRefuse(ChatId, value);
}

export function parseTraceId(value: unknown): string {
  return parseOrRefuse(TraceId, value);
}

/** One participant, one spelling: phones lose their separators, emails their case. */
export function normalizeHandle(value: unknown): string {
  return handleKey(parseHandle(value));
}

/**
 * The handle as Linq gets it: a phone without its separators (Linq takes E.164), an email as the caller wrote it.
 * Case is normalised only where handles are compared, never in what Linq is sent.
 */
export function parseHandle(value: unknown): string {
  return parseOrRefuse(Handle, value);
}

/** Only the fields given: an absent field stays absent, so the record holds exactly what was asked. */
function chatUpdate(body: {
  display_name?: string | undefined;
  group_chat_icon?: string | undefined;
}): ChatUpdateRequest {
  return {
    ...(body.display_name === undefined ? {} : { display_name: body.display_name }),
    ...(body.group_chat_icon === undefined ? {} : { group_chat_icon: body.group_chat_icon }),
  };
}

export function parseChatUpdate(body: unknown): ChatUpdateRequest {
  return chatUpdate(parseOrRefuse(ChatUpdateBody, body));
}

export function parseParticipantRemove(body: unknown): ParticipantRemoveRequest {
  return { handle: parseOrRefuse(ParticipantRemoveBody, body).handle };
}

export function parseIdempotencyKey(value: unknown): string | undefined {
  return parseOrRefuse(IdempotencyKey, value) ?? undefined;
}

/** A request event's `detail`: the chat, the HTTP body's fields under the HTTP body's rules, an optional key. */
export interface RequestedOperation<R> {
  chatId: string;
  request: R;
  idempotencyKey?: string;
}

function requested<R>(detail: { chat_id: string; idempotency_key?: string | null | undefined }, request: R) {
  const operation: RequestedOperation<R> = { chatId: detail.chat_id, request };
  if (detail.idempotency_key !== undefined && detail.idempotency_key !== null) {
    operation.idempotencyKey = detail.idempotency_key;
  }
  return operation;
}

/** `detail` of `chat.update.requested`. */
export function parseChatUpdateRequested(detail: unknown): RequestedOperation<ChatUpdateRequest> {
  const parsed = parseOrRefuse(ChatUpdateRequestedDetail, detail);
  return requested(parsed, chatUpdate(parsed));
}

/** `detail` of `participant.remove.requested`. */
export function parseParticipantRemoveRequested(detail: unknown): RequestedOperation<ParticipantRemoveRequest> {
  const parsed = parseOrRefuse(ParticipantRemoveRequestedDetail, detail);
  return requested(parsed, { handle: parsed.handle });
}

export function parseListLimit(value: string | undefined): number {
  return parseOrRefuse(ListLimit, value);
}
