/**
 * An in-memory OperationStore with the DynamoDB store's semantics (src/adapters/dynamo-operation-store.ts):
 * - `create` only if the key is absent;
 * - `save` only if the stored version is the expected one; with a delivery id, the delivery is recorded in the same
 *   atomic step, and a delivery id already used wins over a version conflict ("duplicate-delivery");
 * - `rename` puts the named record if its key is absent and deletes the intent if it is still at its version, both or
 *   neither;
 * - `openOperations` reads the chat's records of that kind with a part still pending (whatever their status);
 * - `pendingBefore` / `outboxBefore` are the sparse indexes: pending status / an outbox mark, strictly before, oldest
 *   first;
 * - `clearOutbox` only if the mark is unchanged, and bumps the version;
 * - `listByChat` newest first with an opaque cursor that is rejected (400) for another chat or when not ours.
 * Records are copied in and out, as a real store would: nothing a caller mutates leaks into the store.
 */
import { badRequest, LinqCode } from "../../src/domain/errors.ts";
import { awaitingParts, type OperationKind, type StoredOperation } from "../../src/domain/operation.ts";
import type { ChatChange, OperationPage, OperationStore, SaveResult } from "../../src/domain/ports.ts";
import type { Journal } from "./journal.ts";

const keyOf = (chatId: string, traceId: string) => `${chatId}\u0000${traceId}`;
const createdKey = (record: StoredOperation) => `${record.created_at}#${record.trace_id}`;
const oldestFirst = (a: StoredOperation, b: StoredOperation) =>
  a.created_at.localeCompare(b.created_at) || a.trace_id.localeCompare(b.trace_id);

export class InMemoryOperationStore implements OperationStore {
  readonly #records = new Map<string, StoredOperation>();
  readonly #deliveries = new Set<string>();
  readonly #changes: ChatChange[] = [];
  readonly #journal: Journal | undefined;

  constructor(journal?: Journal) {
    this.#journal = journal;
  }

  // ---- test helpers (not part of the port) ----

  /** Every stored record, oldest first. */
  all(): StoredOperation[] {
    return [...this.#records.values()].sort(oldestFirst).map((record) => structuredClone(record));
  }

  /** Writes a record as-is, bypassing every condition: for arranging a state. */
  put(record: StoredOperation): void {
    this.#records.set(keyOf(record.chat_id, record.trace_id), structuredClone(record));
  }

  /** Changes that matched no operation, as recorded against their chat. */
  chatChanges(chatId?: string): ChatChange[] {
    return this.#changes.filter((change) => chatId === undefined || change.chat_id === chatId).map((c) => ({ ...c }));
  }

  hasDelivery(deliveryId: string): boolean {
    return this.#deliveries.has(deliveryId);
  }

  // ---- the port ----

  async create(record: StoredOperation): Promise<boolean> {
    const key = keyOf(record.chat_id, record.trace_id);
    if (this.#records.has(key)) return false;
    this.#records.set(key, structuredClone(record));
    this.#journal?.add(`store.create ${record.trace_id} ${record.status}`);
    return true;
  }

  async get(chatId: string, traceId: string): Promise<StoredOperation | undefined> {
    const record = this.#records.get(keyOf(chatId, traceId));
    return record === undefined ? undefined : structuredClone(record);
  }

  async getByTraceId(traceId: string): Promise<StoredOperation | undefined> {
    const record = [...this.#records.values()].find((r) => r.trace_id === traceId);
    return record === undefined ? undefined : structuredClone(record);
  }

  async listByChat(chatId: string, options: { limit: number; cursor?: string }): Promise<OperationPage> {
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, chatId);
    const newestFirst = [...this.#records.values()]
      .filter((record) => record.chat_id === chatId)
      .sort((a, b) => createdKey(b).localeCompare(createdKey(a)))
      .filter((record) => after === undefined || createdKey(record) < after);
    const page = newestFirst.slice(0, options.limit);
    const last = page.at(-1);
    return {
      records: page.map((record) => structuredClone(record)),
      nextCursor:
        newestFirst.length > page.length && last !== undefined ? encodeCursor(chatId, createdKey(last)) : null,
    };
  }

  async openOperations(chatId: string, kind: OperationKind): Promise<StoredOperation[]> {
    return [...this.#records.values()]
      .filter((r) => r.chat_id === chatId && r.kind === kind && awaitingParts(r).length > 0)
      .sort(oldestFirst)
      .map((record) => structuredClone(record));
  }

  async save(next: StoredOperation, expectedVersion: number, deliveryId?: string): Promise<SaveResult> {
    if (deliveryId !== undefined && this.#deliveries.has(deliveryId)) return "duplicate-delivery";
    const key = keyOf(next.chat_id, next.trace_id);
    if (this.#records.get(key)?.version !== expectedVersion) return "conflict";
    this.#records.set(key, structuredClone(next));
    if (deliveryId !== undefined) this.#deliveries.add(deliveryId);
    this.#journal?.add(`store.save ${next.trace_id} ${next.status}`);
    return "saved";
  }

  async rename(intent: StoredOperation, named: StoredOperation): Promise<"saved" | "conflict"> {
    const intentKey = keyOf(intent.chat_id, intent.trace_id);
    const namedKey = keyOf(named.chat_id, named.trace_id);
    // DynamoDB refuses a transaction that touches one item twice: a caller bug, not a conflict.
    if (intentKey === namedKey) throw new Error("rename: the intent and the named record have the same key");
    if (this.#records.has(namedKey) || this.#records.get(intentKey)?.version !== intent.version) return "conflict";
    this.#records.set(namedKey, structuredClone(named));
    this.#records.delete(intentKey);
    this.#journal?.add(`store.rename ${intent.trace_id} -> ${named.trace_id} ${named.status}`);
    return "saved";
  }

  async recordChatChange(change: ChatChange, deliveryId: string): Promise<"saved" | "duplicate-delivery"> {
    if (this.#deliveries.has(deliveryId)) return "duplicate-delivery";
    this.#changes.push(structuredClone(change));
    this.#deliveries.add(deliveryId);
    this.#journal?.add(`store.chatChange ${change.chat_id} ${change.event_type}`);
    return "saved";
  }

  async pendingBefore(before: string, limit: number, after?: StoredOperation): Promise<StoredOperation[]> {
    return [...this.#records.values()]
      .filter((record) => record.status === "pending" && record.created_at < before)
      .filter((record) => after === undefined || oldestFirst(record, after) > 0)
      .sort(oldestFirst)
      .slice(0, limit)
      .map((record) => structuredClone(record));
  }

  async outboxBefore(before: string, limit: number): Promise<StoredOperation[]> {
    return [...this.#records.values()]
      .filter((record) => record.outbox_since !== undefined && record.outbox_since < before)
      .sort((a, b) => (a.outbox_since ?? "").localeCompare(b.outbox_since ?? "") || oldestFirst(a, b))
      .slice(0, limit)
      .map((record) => structuredClone(record));
  }

  async clearOutbox(record: StoredOperation): Promise<boolean> {
    if (record.outbox_since === undefined) return false;
    const key = keyOf(record.chat_id, record.trace_id);
    const current = this.#records.get(key);
    if (current === undefined || current.outbox_since !== record.outbox_since) return false;
    const { outbox_since: _since, ...rest } = current;
    this.#records.set(key, { ...rest, version: current.version + 1 });
    this.#journal?.add(`store.clearOutbox ${record.trace_id}`);
    return true;
  }
}

function encodeCursor(chatId: string, after: string): string {
  return Buffer.from(JSON.stringify(["fake", chatId, after])).toString("base64url");
}

function decodeCursor(cursor: string, chatId: string): string {
  const invalid = () => badRequest(LinqCode.invalidParameter, "cursor is not valid for this list");
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(values) || values.length !== 3 || values[0] !== "fake" || values[1] !== chatId) throw invalid();
  if (typeof values[2] !== "string") throw invalid();
  return values[2];
}
