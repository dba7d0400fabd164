/**
 * An in-memory store with the DynamoDB store's semantics, item for item: it keeps items through the same codec
 * (src/adapters/operation-items.ts) and answers each query from the same index attributes, so the contract suite
 * (test/adapters/operation-store.contract.test.ts) holds for both. Every commit is also told to `onCommit` as the
 * table's stream would tell it (before and after of each record), for the outcome publisher.
 * Items are copied in and out, as a real store would: nothing a caller mutates leaks into the store.
 */
import { decodeCursor, encodeCursor } from "../../src/adapters/cursor.ts";
import { fromItem, isEventItem, PENDING_SHARD, toItem, type ItemOptions } from "../../src/adapters/operation-items.ts";
import { InvalidCursor } from "../../src/domain/errors.ts";
import type { KeptEvent } from "../../src/domain/kept-event.ts";
import type { StoredOperation } from "../../src/domain/operation.ts";
import type { RecordChange } from "../../src/domain/outcomes.ts";
import type {
  Backlog,
  Change,
  ChatView,
  CommitResult,
  OperationPage,
  OperationQueries,
  OperationStore,
} from "../../src/domain/ports.ts";
import type { Journal } from "./journal.ts";

type Item = Record<string, unknown> & { chat_id: string; id: string; version: number };

const keyOf = (chatId: string, id: string) => `${chatId}\u0000${id}`;
const text = (item: Item, name: string) => (typeof item[name] === "string" ? (item[name] as string) : undefined);

export const TEST_ITEM_OPTIONS: ItemOptions = { watchWindowMs: 60 * 60 * 1000, recordTtlSeconds: 90 * 24 * 3600 };

export class InMemoryOperationStore implements OperationStore, OperationQueries, Backlog {
  readonly #items = new Map<string, Item>();
  readonly #journal: Journal | undefined;
  readonly #now: () => Date;
  readonly #options: ItemOptions;
  /** The table's stream: told every committed record change, in order. */
  onCommit: (changes: RecordChange[]) => void = () => {};
  /** Counts commits (writes of items) and reads, as the DynamoDB adapter's are counted in the bench. */
  readonly counts = { writes: 0, reads: 0 };

  constructor(options: { journal?: Journal; now?: () => Date; items?: ItemOptions } = {}) {
    this.#journal = options.journal;
    this.#now = options.now ?? (() => new Date());
    this.#options = options.items ?? TEST_ITEM_OPTIONS;
  }

  // ---- test helpers (not part of the ports) ----

  /** Every stored record, oldest first. */
  all(): StoredOperation[] {
    return [...this.#items.values()]
      .filter((item) => !isEventItem(item))
      .map((item) => fromItem(structuredClone(item)) as StoredOperation)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  /** Every kept event of a chat (or of all chats). */
  keptEvents(chatId?: string): KeptEvent[] {
    return [...this.#items.values()]
      .filter((item) => isEventItem(item) && (chatId === undefined || item.chat_id === chatId))
      .map((item) => fromItem(structuredClone(item)) as KeptEvent);
  }

  // ---- OperationStore ----

  async commit(changes: Change[]): Promise<CommitResult> {
    for (const change of changes) {
      const stored = this.#items.get(keyOf(change.after.chat_id, change.after.id));
      const fits = change.before === undefined ? stored === undefined : stored?.version === change.before.version;
      if (!fits) {
        this.#journal?.add(`store.conflict ${change.after.id}`);
        return { result: "conflict" };
      }
    }
    const operations: StoredOperation[] = [];
    const recordChanges: RecordChange[] = [];
    for (const change of changes) {
      const key = keyOf(change.after.chat_id, change.after.id);
      const previous = this.#items.get(key);
      const after = { ...structuredClone(change.after), version: (change.before?.version ?? 0) + 1 };
      this.#items.set(key, toItem(after, this.#now(), this.#options) as Item);
      this.counts.writes++;
      if (change.type === "operation") {
        operations.push(structuredClone(after) as StoredOperation);
        recordChanges.push({
          before: previous === undefined ? undefined : (fromItem(structuredClone(previous)) as StoredOperation),
          after: structuredClone(after) as StoredOperation,
        });
      }
      this.#journal?.add(`store.commit ${change.after.id}`);
    }
    this.onCommit(recordChanges);
    return { result: "saved", operations };
  }

  async get(chatId: string, id: string): Promise<StoredOperation | undefined> {
    this.counts.reads++;
    const item = this.#items.get(keyOf(chatId, id));
    return item === undefined || isEventItem(item) ? undefined : (fromItem(structuredClone(item)) as StoredOperation);
  }

  async watch(chatId: string): Promise<ChatView> {
    this.counts.reads++;
    const now = this.#now().toISOString();
    const view: ChatView = { chatId, operations: [], events: [] };
    for (const item of this.#chat(chatId)) {
      const until = text(item, "watch_until");
      if (until === undefined || until <= now) continue;
      const value = fromItem(structuredClone(item));
      if (isEventItem(item)) view.events.push(value as KeptEvent);
      else view.operations.push(value as StoredOperation);
    }
    return view;
  }

  // ---- OperationQueries ----

  async byChatAndTraceId(chatId: string, traceId: string): Promise<StoredOperation | undefined> {
    const item = this.#chat(chatId).find((candidate) => candidate.trace_id === traceId);
    return item === undefined ? undefined : (fromItem(structuredClone(item)) as StoredOperation);
  }

  async byTraceId(traceId: string): Promise<StoredOperation | undefined> {
    const item = [...this.#items.values()].find((candidate) => candidate.trace_id === traceId);
    return item === undefined ? undefined : (fromItem(structuredClone(item)) as StoredOperation);
  }

  async listByChat(chatId: string, options: { limit: number; cursor?: string }): Promise<OperationPage> {
    const start =
      options.cursor === undefined ? undefined : decodeCursor(options.cursor, ["chat_id", "id", "created_key"]);
    if (start !== undefined && start.chat_id !== chatId) throw new InvalidCursor();
    const newest = this.#chat(chatId)
      .filter((item) => text(item, "created_key") !== undefined)
      .sort((a, b) => (text(b, "created_key") as string).localeCompare(text(a, "created_key") as string))
      .filter((item) => start === undefined || (text(item, "created_key") as string) < start.created_key);
    const page = newest.slice(0, options.limit);
    const last = page.at(-1);
    return {
      records: page.map((item) => fromItem(structuredClone(item)) as StoredOperation),
      nextCursor:
        newest.length > options.limit && last !== undefined
          ? encodeCursor(last, ["chat_id", "id", "created_key"])
          : null,
    };
  }

  // ---- Backlog ----

  async pendingBefore(
    before: string,
    limit: number,
    cursor?: string,
  ): Promise<{ records: StoredOperation[]; next?: string }> {
    const keys = ["pending_shard", "pending_since", "chat_id", "id"] as const;
    const start = cursor === undefined ? undefined : decodeCursor(cursor, keys);
    const order = (item: Item) => `${text(item, "pending_since")}\u0000${item.chat_id}\u0000${item.id}`;
    const pending = [...this.#items.values()]
      .filter((item) => item.pending_shard === PENDING_SHARD && (text(item, "pending_since") as string) < before)
      .sort((a, b) => order(a).localeCompare(order(b)))
      .filter(
        (item) => start === undefined || order(item) > `${start.pending_since}\u0000${start.chat_id}\u0000${start.id}`,
      );
    const page = pending.slice(0, limit);
    const records = page.map((item) => fromItem(structuredClone(item)) as StoredOperation);
    const last = page.at(-1);
    // Like DynamoDB with a Limit: a full page hands out a cursor even if nothing follows.
    return page.length === limit && last !== undefined ? { records, next: encodeCursor(last, keys) } : { records };
  }

  #chat(chatId: string): Item[] {
    return [...this.#items.values()].filter((item) => item.chat_id === chatId);
  }
}
