/**
 * A scriptable LinqApi. Each call takes the next scripted reply for that operation (or the default answer):
 * a value is answered, an Error is thrown (LinqRefusal / LinqUnavailable, as the real client throws), and a function
 * runs at the moment of the call (to look at the world, or to deliver a webhook before Linq's answer) and its result
 * is the reply. Every call is recorded, and written to the journal when one is given.
 */
import { LinqRefusal, LinqUnavailable } from "../../src/domain/errors.ts";
import type { ChatUpdateRequest } from "../../src/domain/operation.ts";
import type { LinqAnswer, LinqApi, LinqChat } from "../../src/domain/ports.ts";
import type { Journal } from "./journal.ts";

type UpdateAnswer = LinqAnswer<Record<string, unknown>>;
type RemoveAnswer = LinqAnswer<Record<string, unknown>>;

export type Reply<T, A extends unknown[]> = T | Error | ((...args: A) => T | Promise<T>);

export type LinqCall =
  | { op: "updateChat"; chatId: string; request: ChatUpdateRequest }
  | { op: "removeParticipant"; chatId: string; handle: string }
  | { op: "getChat"; chatId: string };

export function refusal(status: number, code: number, message = `Linq refused (${code})`): LinqRefusal {
  return new LinqRefusal(status, code, message);
}

export function unavailable(kind: "timeout" | "unavailable" = "unavailable"): LinqUnavailable {
  return new LinqUnavailable(kind);
}

async function play<T, A extends unknown[]>(reply: Reply<T, A>, args: A): Promise<T> {
  if (reply instanceof Error) throw reply;
  if (typeof reply === "function") return (reply as (...args: A) => T | Promise<T>)(...args);
  return structuredClone(reply);
}

export class FakeLinqApi implements LinqApi {
  readonly calls: LinqCall[] = [];
  /** The chats `getChat` answers with; an unknown chat is Linq's 404 (2001). */
  readonly chats = new Map<string, LinqChat>();
  readonly #updateReplies: Reply<UpdateAnswer, [string, ChatUpdateRequest]>[] = [];
  readonly #removeReplies: Reply<RemoveAnswer, [string, string]>[] = [];
  readonly #getChatReplies = new Map<string, Reply<LinqChat, [string]>[]>();
  readonly #journal: Journal | undefined;
  #linqTraces = 0;

  constructor(journal?: Journal) {
    this.#journal = journal;
  }

  /**
   * The next calls to `updateChat` reply with these, in order; then the default `{chat_id, status: "pending"}` with
   * its `X-Trace-ID` `linq-N`.
   */
  answerUpdateChat(...replies: Reply<UpdateAnswer, [string, ChatUpdateRequest]>[]): this {
    this.#updateReplies.push(...replies);
    return this;
  }

  /** The next calls to `removeParticipant` reply with these; then the default 202 body with trace id `linq-N`. */
  answerRemoveParticipant(...replies: Reply<RemoveAnswer, [string, string]>[]): this {
    this.#removeReplies.push(...replies);
    return this;
  }

  /** The next calls to `getChat` for this chat reply with these; then the chat from `chats`. */
  answerGetChat(chatId: string, ...replies: Reply<LinqChat, [string]>[]): this {
    this.#getChatReplies.set(chatId, [...(this.#getChatReplies.get(chatId) ?? []), ...replies]);
    return this;
  }

  /** A group chat as Linq shows it. */
  setChat(chat: Partial<LinqChat> & { id: string }): void {
    this.chats.set(chat.id, { display_name: null, group_chat_icon: null, updated_at: null, handles: [], ...chat });
  }

  callsOf<O extends LinqCall["op"]>(op: O): Extract<LinqCall, { op: O }>[] {
    return this.calls.filter((call): call is Extract<LinqCall, { op: O }> => call.op === op);
  }

  async updateChat(chatId: string, request: ChatUpdateRequest): Promise<UpdateAnswer> {
    this.calls.push({ op: "updateChat", chatId, request: structuredClone(request) });
    this.#journal?.add(`linq.updateChat ${chatId}`);
    const reply = this.#updateReplies.shift() ?? {
      body: { chat_id: chatId, status: "pending" },
      traceId: `linq-${++this.#linqTraces}`,
    };
    return play(reply, [chatId, request]);
  }

  async removeParticipant(chatId: string, handle: string): Promise<RemoveAnswer> {
    this.calls.push({ op: "removeParticipant", chatId, handle });
    this.#journal?.add(`linq.removeParticipant ${chatId} ${handle}`);
    const traceId = `linq-${++this.#linqTraces}`;
    const reply = this.#removeReplies.shift() ?? {
      body: { message: "Participant removal queued", status: "accepted", trace_id: traceId },
      traceId,
    };
    return play(reply, [chatId, handle]);
  }

  async getChat(chatId: string): Promise<LinqChat> {
    this.calls.push({ op: "getChat", chatId });
    this.#journal?.add(`linq.getChat ${chatId}`);
    const scripted = this.#getChatReplies.get(chatId)?.shift();
    if (scripted !== undefined) return play(scripted, [chatId]);
    const chat = this.chats.get(chatId);
    if (chat === undefined) throw refusal(404, 2001, "Chat not found");
    return structuredClone(chat);
  }
}
