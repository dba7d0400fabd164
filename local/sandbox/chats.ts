import type { ResolvedOptions } from "./config.ts";
import type { Ids } from "./ids.ts";

/** The sandbox's chats, in the shapes of `GET /v3/chats/{chatId}` (OpenAPI `Chat`, `ChatHandle`; SDK 0.28.2). */

export type HandleStatus = "active" | "left" | "removed";

export interface ChatHandle {
  id: string;
  handle: string;
  service: "iMessage";
  status: HandleStatus;
  joined_at: string;
  left_at: string | null;
  is_me: boolean;
}

export interface Chat {
  id: string;
  display_name: string | null;
  group_chat_icon: string | null;
  handles: ChatHandle[];
  is_archived: boolean;
  is_group: boolean;
  service: "iMessage";
  health_status: { status: "HEALTHY"; doc_url: string; updated_at: string };
  created_at: string;
  updated_at: string;
}

export interface NewChat {
  /** Every participant; the first is the partner's own number (`is_me`). Three or more make a group. */
  readonly handles: readonly string[];
  /** Defaults, as on Linq, to the recipients joined by ", ". */
  readonly display_name?: string | null;
  readonly group_chat_icon?: string | null;
}

const E164 = /^\+[1-9]\d{1,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const isE164 = (value: string): boolean => E164.test(value);
export const isHandle = (value: string): boolean => E164.test(value) || EMAIL.test(value);

const HEALTH_DOC_URL = "https://docs.linqapp.com/guides/chats/chat-health";

export class Chats {
  readonly #chats = new Map<string, Chat>();
  /** Until when (epoch ms) each chat is still being created, by `creatingMs`; not part of Linq's `Chat`. */
  readonly #creatingUntil = new Map<string, number>();
  readonly #ids: Ids;
  readonly #clock: () => Date;
  readonly #config: Pick<ResolvedOptions, "creatingMs" | "removedHandles">;

  constructor(ids: Ids, clock: () => Date, config: Pick<ResolvedOptions, "creatingMs" | "removedHandles">) {
    this.#ids = ids;
    this.#clock = clock;
    this.#config = config;
  }

  /** Linq answers 409/2009 to changes of a chat it has not finished creating. */
  isCreating(chat: Chat): boolean {
    return (this.#creatingUntil.get(chat.id) ?? 0) > this.#clock().getTime();
  }

  create(input: NewChat): Chat {
    const [own, ...recipients] = input.handles;
    if (own === undefined || recipients.length === 0) throw new Error("A chat needs the partner's handle and one more");
    const bad = input.handles.find((handle) => !isHandle(handle));
    if (bad !== undefined) throw new Error(`Not an E.164 number nor an email: ${bad}`);
    if (new Set(input.handles).size !== input.handles.length) throw new Error("A chat's handles must differ");
    const now = this.#clock().toISOString();
    const chat: Chat = {
      id: this.#ids.uuid(),
      display_name: input.display_name === undefined ? recipients.join(", ") : input.display_name,
      group_chat_icon: input.group_chat_icon ?? null,
      handles: input.handles.map((handle, index) => this.#handle(handle, index === 0, now)),
      is_archived: false,
      is_group: input.handles.length >= 3,
      service: "iMessage",
      health_status: { status: "HEALTHY", doc_url: HEALTH_DOC_URL, updated_at: now },
      created_at: now,
      updated_at: now,
    };
    this.#chats.set(chat.id, chat);
    if (this.#config.creatingMs > 0) this.#creatingUntil.set(chat.id, Date.parse(now) + this.#config.creatingMs);
    return chat;
  }

  find(chatId: string): Chat | undefined {
    return this.#chats.get(chatId);
  }

  all(): Chat[] {
    return [...this.#chats.values()];
  }

  /** Sets the name or the icon, and answers what it was. */
  set(chat: Chat, part: "display_name" | "group_chat_icon", value: string, at: Date): string | null {
    const previous = chat[part];
    chat[part] = value;
    chat.updated_at = at.toISOString();
    return previous;
  }

  /** The participant as removed (`status: removed`, `left_at`); it stays in `handles` unless `removedHandles: dropped`. */
  remove(participant: ChatHandle, chat: Chat, at: Date): ChatHandle {
    participant.status = "removed";
    participant.left_at = at.toISOString();
    chat.updated_at = participant.left_at;
    if (this.#config.removedHandles === "dropped") chat.handles = chat.handles.filter((kept) => kept !== participant);
    return participant;
  }

  /**
   * A handle that left or was removed comes back as the same participant, active again with a fresh `joined_at`; `id`
   * is for a new one (or one that was dropped from `handles`).
   */
  add(chat: Chat, handle: string, id: string, at: Date): ChatHandle {
    const now = at.toISOString();
    const existing = participant(chat, handle);
    chat.updated_at = now;
    if (existing === undefined) {
      const added = { ...this.#handle(handle, false, now), id };
      chat.handles.push(added);
      return added;
    }
    existing.status = "active";
    existing.joined_at = now;
    existing.left_at = null;
    return existing;
  }

  #handle(handle: string, isMe: boolean, joinedAt: string): ChatHandle {
    return {
      id: this.#ids.uuid(),
      handle,
      service: "iMessage",
      status: "active",
      joined_at: joinedAt,
      left_at: null,
      is_me: isMe,
    };
  }
}

export const participant = (chat: Chat, handle: string): ChatHandle | undefined =>
  chat.handles.find((candidate) => candidate.handle === handle);

export const activeParticipants = (chat: Chat): ChatHandle[] =>
  chat.handles.filter((candidate) => candidate.status === "active");

export const ownHandle = (chat: Chat): ChatHandle | undefined => chat.handles.find((candidate) => candidate.is_me);
