/**
 * What the domain needs from the world, as small interfaces. Adapters in `src/adapters/` implement them with DynamoDB,
 * the Linq SDK and EventBridge; domain tests implement them with fakes.
 */
import type { ChatUpdateRequest, OperationKind, OperationRecord, StoredOperation } from "./operation.ts";

export interface Clock {
  now(): Date;
}

export interface Ids {
  /** A new trace id for an operation Linq gives none for. */
  traceId(): string;
}

/** An answer to a caller: the status and JSON body, stored as-is for idempotent replays. */
export interface Answer {
  status: number;
  body: unknown;
}

export type SaveResult = "saved" | "conflict" | "duplicate-delivery";

export interface OperationPage {
  records: StoredOperation[];
  nextCursor: string | null;
}

/** A change to a chat that matched no operation of ours, kept against the chat (e.g. a person renamed the group). */
export interface ChatChange {
  chat_id: string;
  event_id: string;
  event_type: string;
  at: string;
  data: unknown;
}

export interface OperationStore {
  /** Writes a new record; false when one exists under that key already. */
  create(record: StoredOperation): Promise<boolean>;
  /** Strongly consistent read of one record. */
  get(chatId: string, traceId: string): Promise<StoredOperation | undefined>;
  getByTraceId(traceId: string): Promise<StoredOperation | undefined>;
  /** Newest first. A cursor that this store did not hand out is rejected with a 400 ServiceError. */
  listByChat(chatId: string, options: { limit: number; cursor?: string }): Promise<OperationPage>;
  /** The chat's operations of that kind with a part still awaiting its outcome, oldest first, strongly consistent. */
  openOperations(chatId: string, kind: OperationKind): Promise<StoredOperation[]>;
  /**
   * Replaces a record if it is still at `expectedVersion`. With `deliveryId`, the write also records that delivery as
   * applied, atomically: a second delivery of the same webhook can never apply twice.
   */
  save(next: StoredOperation, expectedVersion: number, deliveryId?: string): Promise<SaveResult>;
  /** Moves a removal written before Linq named it to Linq's trace id, if the intent is still at its version. */
  rename(intent: StoredOperation, named: StoredOperation): Promise<"saved" | "conflict">;
  /** Records a change that matched no operation, and the delivery that told us, atomically. */
  recordChatChange(change: ChatChange, deliveryId: string): Promise<"saved" | "duplicate-delivery">;
  /** Pending records created before `before`, oldest first; with `after`, the page that follows that record. */
  pendingBefore(before: string, limit: number, after?: StoredOperation): Promise<StoredOperation[]>;
  /** Settled records whose outcome event was marked before `before` and is still unpublished, oldest first. */
  outboxBefore(before: string, limit: number): Promise<StoredOperation[]>;
  /** Clears the outbox mark if it is still the one given; false when someone else cleared or replaced it. */
  clearOutbox(record: StoredOperation): Promise<boolean>;
}

export type IdempotencyClaim =
  /** `traceId`: the operation an earlier attempt with this key started and left unfinished, to be carried on. */
  | { state: "claimed"; traceId?: string }
  | { state: "replay"; answer: Answer }
  | { state: "mismatch" }
  | { state: "in-progress" };

export interface IdempotencyStore {
  /** Takes the key for this request, or tells what happened to it before. */
  claim(key: string, fingerprint: string, now: Date): Promise<IdempotencyClaim>;
  /** Stores the answer to replay for the rest of the key's life. */
  complete(key: string, fingerprint: string, answer: Answer, now: Date): Promise<void>;
  /**
   * Gives the key back after a failure whose outcome is unknown, so the caller's retry runs again, remembering the
   * operation it started so the retry carries that one on instead of starting a second.
   */
  release(key: string, fingerprint: string, traceId: string | undefined, now: Date): Promise<void>;
}

export interface LinqChat {
  id: string;
  display_name: string | null;
  group_chat_icon: string | null;
  handles: { handle: string; status: "active" | "left" | "removed" | null }[];
}

/** Linq's two operations and the read the reconciler needs. Errors are LinqRefusal or LinqUnavailable. */
export interface LinqApi {
  updateChat(chatId: string, request: ChatUpdateRequest): Promise<{ chat_id: string; status: string }>;
  removeParticipant(chatId: string, handle: string): Promise<{ message: string; status: string; trace_id?: string }>;
  getChat(chatId: string): Promise<LinqChat>;
}

/** Puts outcome events on the bus. Throws unless every event was accepted. */
export interface OutcomePublisher {
  publish(records: OperationRecord[]): Promise<void>;
}

/** Where a request event that can never succeed goes, with the reason: the dead-letter queue. */
export interface RejectedRequests {
  reject(event: unknown, reason: string): Promise<void>;
}
