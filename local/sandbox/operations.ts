import {
  activeParticipants,
  type Chat,
  type ChatHandle,
  type Chats,
  isE164,
  isHandle,
  ownHandle,
  participant,
} from "./chats.ts";
import {
  chatBeingCreated,
  chatUnavailable,
  directMessageChat,
  invalidHandle,
  invalidValue,
  missingField,
  notFound,
} from "./errors.ts";
import type { ResolvedOptions } from "./config.ts";
import type { EventFate, Faults } from "./faults.ts";
import type { Ids } from "./ids.ts";
import type { Scheduler } from "../scheduler.ts";
import type { Reply } from "./server.ts";
import type { EventRecord, OperationKind, OperationRecord, Outcome, TruthLog } from "./truth.ts";
import type { Deliveries } from "./webhooks.ts";
import {
  found,
  isHttpsUrl,
  type JsonObject,
  jsonObject,
  optionalString,
  requiredArray,
  requiredString,
  requireUuid,
} from "./validate.ts";

/**
 * The chat routes: answered at once, their outcomes applied `delayMs` later and reported by webhook only, as on
 * Linq. The magic values of the contract live here.
 */

type ChatEventType =
  | "chat.group_name_updated"
  | "chat.group_icon_updated"
  | "chat.group_name_update_failed"
  | "chat.group_icon_update_failed"
  | "participant.added"
  | "participant.removed";

/** A `display_name` starting with this fails with `chat.group_name_update_failed`. */
const FAIL_NAME_PREFIX = "fail:";
/** A `group_chat_icon` containing this fails with `chat.group_icon_update_failed`. */
const FAIL_ICON_MARK = "/fail";
/** Removing a handle ending with this is accepted but never happens, and no event says so. */
const LOST_REMOVAL_SUFFIX = "0000";
/** `error_code` of the failure events (Linq: delivery failed). */
const UPDATE_FAILED_CODE = 4001;

const MIN_GROUP_SIZE = 3;
const MAX_RECIPIENTS = 31;

/**
 * One outcome still to come, and the ids and faults of the event that will report it: drawn when the request is
 * answered, because the outcome comes later, on a timer, and drawing then would tie the sequence to timing.
 */
interface Pending {
  readonly chat: Chat;
  readonly operationSeq: number;
  readonly outcome: Outcome;
  readonly ticket: Pick<EventRecord, "eventId" | "webhookId" | "traceId"> & { readonly fate: EventFate };
}

export interface OperationDeps {
  readonly chats: Chats;
  readonly ids: Ids;
  readonly faults: Faults;
  readonly deliveries: Deliveries;
  readonly scheduler: Scheduler;
  readonly truth: TruthLog;
  readonly clock: () => Date;
  readonly config: ResolvedOptions;
}

export class ChatOperations {
  readonly #deps: OperationDeps;

  constructor(deps: OperationDeps) {
    this.#deps = deps;
  }

  /** `POST /v3/chats`: the chat exists at once; the first message is reported sent. */
  create(raw: string): Reply {
    const body = jsonObject(raw);
    const from = requiredString(body, "from");
    const to = requiredArray(body, "to");
    const message = body["message"];
    if (message === undefined || message === null) throw missingField("message");
    if (typeof message !== "object" || Array.isArray(message)) throw invalidValue("message must be an object");
    const parts = requiredArray(message as JsonObject, "parts");
    if (!isE164(from)) throw invalidHandle();
    if (to.some((handle) => typeof handle !== "string")) throw invalidValue("to must be a list of handles");
    const recipients = to as string[];
    if (recipients.some((handle) => !isHandle(handle))) throw invalidHandle();
    if (recipients.length > MAX_RECIPIENTS) throw invalidValue(`to takes at most ${MAX_RECIPIENTS} handles`);
    if (new Set([from, ...recipients]).size !== recipients.length + 1) throw invalidValue("to repeats a handle");
    const sentParts = parts.map(partOf);

    const chat = this.#deps.chats.create({ handles: [from, ...recipients] });
    const now = this.#deps.clock().toISOString();
    const effect = (message as JsonObject)["effect"];
    return {
      status: 201,
      body: {
        chat: {
          id: chat.id,
          display_name: chat.display_name,
          service: chat.service,
          is_group: chat.is_group,
          handles: chat.handles,
          health_status: chat.health_status,
          message: {
            id: this.#deps.ids.uuid(),
            created_at: now,
            sent_at: now,
            delivered_at: null,
            delivery_status: "sent",
            is_read: false,
            parts: sentParts.map((part) => (part.type === "media" ? { ...part, id: this.#deps.ids.uuid() } : part)),
            effect: effect ?? null,
            from_handle: ownHandle(chat) ?? null,
            preferred_service: null,
            reply_to: null,
            service: chat.service,
          },
        },
      },
    };
  }

  retrieve(chatId: string): Reply {
    return { status: 200, body: this.#chat(chatId) };
  }

  /** `PUT /v3/chats/{chatId}`: each field is its own outcome and its own event. */
  update(chatId: string, raw: string, traceId: string): Reply {
    requireUuid(chatId, "chatId");
    const body = jsonObject(raw);
    const name = optionalString(body, "display_name");
    const icon = optionalString(body, "group_chat_icon");
    if (name === undefined && icon === undefined) throw missingField("display_name or group_chat_icon");
    if (icon !== undefined && !isHttpsUrl(icon)) throw invalidValue("group_chat_icon must be an https URL");
    const chat = this.#changeable(chatId);
    if (!chat.is_group) throw directMessageChat();

    const request = {
      ...(name === undefined ? {} : { display_name: name }),
      ...(icon === undefined ? {} : { group_chat_icon: icon }),
    };
    const operation = this.#accept("chat.update", chat, request, { traceId, answer: 200 });
    const settlements: (() => void)[] = [];
    if (name !== undefined) {
      const pending = this.#pending(operation, chat, "display_name");
      settlements.push(() => this.#settle(pending, name, name));
    }
    if (icon !== undefined) {
      const pending = this.#pending(operation, chat, "group_chat_icon");
      // Drawn now, with the request's other ids, so a replay hosts the icon at the same URL.
      const shown = this.#deps.config.iconMode === "rehost" ? this.#deps.ids.hostedIconUrl() : icon;
      settlements.push(() => this.#settle(pending, icon, shown));
    }
    this.#deps.scheduler.after(this.#deps.config.delayMs, () => settlements.forEach((settle) => settle()));
    return { status: 200, body: { chat_id: chat.id, status: "pending" }, operation };
  }

  /** `DELETE /v3/chats/{chatId}/participants`. Linq has no failure event: a removal that fails is silent. */
  removeParticipant(chatId: string, raw: string, traceId: string): Reply {
    requireUuid(chatId, "chatId");
    const handle = requiredString(jsonObject(raw), "handle");
    if (!isHandle(handle)) throw invalidHandle();
    const chat = this.#changeable(chatId);
    const member = participant(chat, handle);
    if (member === undefined || member.status !== "active") throw notFound();
    if (member.is_me) throw invalidValue("handle is your own number: leave the chat instead");
    if (activeParticipants(chat).length - 1 < MIN_GROUP_SIZE) throw chatUnavailable();

    const operation = this.#accept("participant.remove", chat, { handle }, { traceId, answer: 202 });
    const pending = this.#pending(operation, chat, "participant");
    this.#deps.scheduler.after(this.#deps.config.delayMs, () => {
      if (handle.endsWith(LOST_REMOVAL_SUFFIX)) {
        return this.#never(pending, `a handle ending in ${LOST_REMOVAL_SUFFIX} is never removed`);
      }
      const current = participant(chat, handle);
      if (current === undefined || current.status !== "active") return this.#never(pending, "no longer a participant");
      if (activeParticipants(chat).length - 1 < MIN_GROUP_SIZE) {
        return this.#never(pending, `would leave fewer than ${MIN_GROUP_SIZE} participants`);
      }
      this.#removeNow(pending, current);
    });
    const body = { message: "Participant removal queued", status: "accepted", trace_id: traceId };
    return { status: 202, body, operation };
  }

  /** `POST /v3/chats/{chatId}/participants`. */
  addParticipant(chatId: string, raw: string, traceId: string): Reply {
    requireUuid(chatId, "chatId");
    const handle = requiredString(jsonObject(raw), "handle");
    if (!isHandle(handle)) throw invalidHandle();
    const chat = this.#changeable(chatId);
    if (!chat.is_group) throw directMessageChat();
    if (participant(chat, handle)?.status === "active") throw invalidValue("handle is already a participant");

    const operation = this.#accept("participant.add", chat, { handle }, { traceId, answer: 202 });
    const pending = this.#pending(operation, chat, "participant");
    const handleId = this.#deps.ids.uuid();
    this.#deps.scheduler.after(this.#deps.config.delayMs, () => {
      if (participant(chat, handle)?.status === "active") return this.#never(pending, "already a participant");
      this.#addNow(pending, handle, handleId);
    });
    const body = { message: "Participant addition queued", status: "accepted", trace_id: traceId };
    return { status: 202, body, operation };
  }

  /**
   * People on their phones. Each change happens at once and Linq reports it with the same event as the change made
   * through the API (naming the person where the event type has `changed_by_handle`), which is why such an event
   * proves nothing about a request. `byHandle` defaults to the first active participant other than you and the one
   * added or removed; it is never your own line. Recorded in the truth as `human.*` operations; also served as
   * `POST /_sandbox/chats/{chatId}/human-*`.
   */
  humanRename(chatId: string, name: string, byHandle?: string): EventRecord {
    if (name === "") throw invalidValue("display_name must be a non-empty string");
    const { chat, by } = this.#person(chatId, byHandle);
    const operation = this.#accept("human.rename", chat, { display_name: name, by: by.handle });
    return this.#apply(this.#pending(operation, chat, "display_name"), name, by);
  }

  /** An icon set on a phone is an upload that Linq hosts: `url` is that hosted URL, a fresh one unless given. */
  humanSetIcon(chatId: string, url?: string, byHandle?: string): EventRecord {
    if (url !== undefined && !isHttpsUrl(url)) throw invalidValue("group_chat_icon must be an https URL");
    const { chat, by } = this.#person(chatId, byHandle);
    const shown = url ?? this.#deps.ids.hostedIconUrl();
    const operation = this.#accept("human.set_icon", chat, { group_chat_icon: shown, by: by.handle });
    return this.#apply(this.#pending(operation, chat, "group_chat_icon"), shown, by);
  }

  /** Adds `handle`, or brings a participant who left or was removed back, active with a fresh `joined_at`. */
  humanAdd(chatId: string, handle: string, byHandle?: string): EventRecord {
    if (!isHandle(handle)) throw invalidHandle();
    const { chat, by } = this.#person(chatId, byHandle, handle);
    if (!chat.is_group) throw directMessageChat();
    if (participant(chat, handle)?.status === "active") throw invalidValue("handle is already a participant");
    const operation = this.#accept("human.add", chat, { handle, by: by.handle });
    return this.#addNow(this.#pending(operation, chat, "participant"), handle, this.#deps.ids.uuid());
  }

  /** Removes `handle` (`participant.removed`), as a removal through the API would. */
  humanRemove(chatId: string, handle: string, byHandle?: string): EventRecord {
    const { chat, by } = this.#person(chatId, byHandle, handle);
    const member = participant(chat, handle);
    if (member === undefined || member.status !== "active") throw notFound();
    if (member.is_me) throw invalidValue("a person cannot remove your own line");
    if (activeParticipants(chat).length - 1 < MIN_GROUP_SIZE) throw chatUnavailable();
    const operation = this.#accept("human.remove", chat, { handle, by: by.handle });
    return this.#removeNow(this.#pending(operation, chat, "participant"), member);
  }

  /** The chat, and the person making a change in it (never your own line, never `otherThan`). */
  #person(chatId: string, byHandle: string | undefined, otherThan?: string): { chat: Chat; by: ChatHandle } {
    const chat = found(this.#deps.chats.find(chatId));
    const by = activeParticipants(chat).find((candidate) =>
      byHandle === undefined ? !candidate.is_me && candidate.handle !== otherThan : candidate.handle === byHandle,
    );
    if (by === undefined || by.is_me || by.handle === otherThan) {
      const who = byHandle === undefined ? "nobody" : byHandle;
      throw invalidValue(`${who} is not another active participant of chat ${chatId} who could make this change`);
    }
    return { chat, by };
  }

  #removeNow(pending: Pending, member: ChatHandle): EventRecord {
    const at = this.#deps.clock();
    const removed = this.#deps.chats.remove(member, pending.chat, at);
    return this.#report(pending, "applied", "participant.removed", at, {
      chat_id: pending.chat.id,
      handle: removed.handle,
      participant: { ...removed },
      removed_at: at.toISOString(),
    });
  }

  #addNow(pending: Pending, handle: string, handleId: string): EventRecord {
    const at = this.#deps.clock();
    const added = this.#deps.chats.add(pending.chat, handle, handleId, at);
    return this.#report(pending, "applied", "participant.added", at, {
      chat_id: pending.chat.id,
      handle,
      participant: { ...added },
      added_at: at.toISOString(),
    });
  }

  /** `requested`: what the partner sent, where the magic values are; `shown`: what the chat will show. */
  #settle(pending: Pending, requested: string, shown: string): void {
    if (pending.outcome.part === "display_name" && requested.startsWith(FAIL_NAME_PREFIX)) {
      this.#fail(pending, "chat.group_name_update_failed");
    } else if (pending.outcome.part === "group_chat_icon" && requested.includes(FAIL_ICON_MARK)) {
      this.#fail(pending, "chat.group_icon_update_failed");
    } else {
      this.#apply(pending, shown, undefined);
    }
  }

  /** Sets the name or icon and reports it; `person` is who changed it on their phone, undefined for the API. */
  #apply(pending: Pending, value: string, person: ChatHandle | undefined): EventRecord {
    const { chat, outcome } = pending;
    const at = this.#deps.clock();
    const isName = outcome.part === "display_name";
    const previous = this.#deps.chats.set(chat, isName ? "display_name" : "group_chat_icon", value, at);
    outcome.value = value;
    return this.#report(pending, "applied", isName ? "chat.group_name_updated" : "chat.group_icon_updated", at, {
      chat_id: chat.id,
      updated_at: at.toISOString(),
      ...this.#changedBy(chat, person),
      new_value: value,
      old_value: previous,
    });
  }

  /** A person's change names them; what Linq puts for a change made through the API is the `changedBy` setting. */
  #changedBy(chat: Chat, person: ChatHandle | undefined): { changed_by_handle?: ChatHandle | null } {
    if (person !== undefined) return { changed_by_handle: { ...person } };
    if (this.#deps.config.changedBy === "absent") return {};
    const own = ownHandle(chat);
    return { changed_by_handle: this.#deps.config.changedBy === "line" && own !== undefined ? { ...own } : null };
  }

  #fail(pending: Pending, type: ChatEventType): void {
    const at = this.#deps.clock();
    pending.outcome.errorCode = UPDATE_FAILED_CODE;
    this.#report(pending, "failed", type, at, {
      chat_id: pending.chat.id,
      error_code: UPDATE_FAILED_CODE,
      failed_at: at.toISOString(),
    });
  }

  #chat(chatId: string): Chat {
    requireUuid(chatId, "chatId");
    return found(this.#deps.chats.find(chatId));
  }

  /** A chat to change: reads work at once, changes wait until Linq has finished creating it. */
  #changeable(chatId: string): Chat {
    const chat = this.#chat(chatId);
    if (this.#deps.chats.isCreating(chat)) throw chatBeingCreated();
    return chat;
  }

  /** `call`: the accepting call's trace id and answer; a person's change has neither. */
  #accept(
    kind: OperationKind,
    chat: Chat,
    request: Record<string, string>,
    call?: { traceId: string; answer: number },
  ): OperationRecord {
    return this.#deps.truth.operation({
      kind,
      chatId: chat.id,
      traceId: call?.traceId,
      request,
      ...(call === undefined ? {} : { answer: call.answer }),
      outcomes: [],
      acceptedAt: this.#deps.clock().toISOString(),
    });
  }

  /**
   * Under `traceLink: request` the event's `trace_id` is the accepting call's X-Trace-ID (a person's change has none).
   * An id of its own is drawn either way, so switching the setting shifts no other id.
   */
  #pending(operation: OperationRecord, chat: Chat, part: Outcome["part"]): Pending {
    const outcome: Outcome = { part, status: "pending" };
    operation.outcomes.push(outcome);
    const eventId = this.#deps.ids.uuid();
    const webhookId = this.#deps.ids.webhookId();
    const ownTraceId = this.#deps.ids.traceId();
    const traceId = (this.#deps.config.traceLink === "request" ? operation.traceId : undefined) ?? ownTraceId;
    const ticket = { eventId, webhookId, traceId, fate: this.#deps.faults.forEvent() };
    return { chat, operationSeq: operation.seq, outcome, ticket };
  }

  #report(
    pending: Pending,
    status: "applied" | "failed",
    type: ChatEventType,
    at: Date,
    data: Record<string, unknown>,
  ): EventRecord {
    const { chat, operationSeq, outcome, ticket } = pending;
    const { fate } = ticket;
    const event: EventRecord = {
      eventId: ticket.eventId,
      webhookId: ticket.webhookId,
      eventType: type,
      chatId: chat.id,
      operationSeq,
      traceId: ticket.traceId,
      createdAt: this.#deps.clock().toISOString(),
      data,
      dropped: fate.drop,
      duplicated: fate.duplicate,
      held: fate.hold,
      overtakenBy: null,
    };
    this.#deps.truth.event(event);
    const faults = [fate.drop && "dropped", fate.duplicate && "duplicated", fate.hold && "held"].filter(Boolean);
    const faulted = faults.length ? ` (${faults.join(", ")})` : "";
    this.#deps.config.log(`event ${type} ${event.eventId} chat ${chat.id}${faulted}`);
    this.#deps.deliveries.publish(event);
    outcome.status = status;
    outcome.eventId = event.eventId;
    outcome.settledAt = at.toISOString();
    return event;
  }

  #never(pending: Pending, reason: string): void {
    pending.outcome.status = "never";
    pending.outcome.reason = reason;
    pending.outcome.settledAt = this.#deps.clock().toISOString();
  }
}

/** The message parts Linq takes, answered in its response shapes. */
function partOf(part: unknown): Record<string, unknown> {
  if (typeof part !== "object" || part === null) throw invalidValue("a message part must be an object");
  const { type, value, url, attachment_id: attachmentId } = part as JsonObject;
  if ((type === "text" || type === "link") && typeof value === "string" && value.length > 0) {
    return { type, value, reactions: null };
  }
  if (type === "media" && (typeof url === "string" || typeof attachmentId === "string")) {
    const filename = typeof url === "string" && URL.canParse(url) ? new URL(url).pathname.split("/").pop() : undefined;
    return {
      type,
      url: typeof url === "string" ? url : `https://cdn.linqapp.com/attachments/${String(attachmentId)}`,
      filename: filename || "attachment",
      mime_type: "application/octet-stream",
      size_bytes: 0,
      reactions: null,
    };
  }
  throw invalidValue("a message part must be text with a value or media with a url or attachment_id");
}
