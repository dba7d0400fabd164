/**
 * What the domain needs from the world, as small interfaces. Adapters in `src/adapters/` implement them with DynamoDB,
 * the Linq SDK and EventBridge; domain tests implement them with fakes, and one contract suite runs against both
 * stores so they cannot drift.
 */
import type { MetricDimensions, MetricName } from "../definitions/metrics.ts";
import type { LinqTry } from "./errors.ts";
import type { KeptEvent } from "./kept-event.ts";
import type { ChatUpdateRequest, OperationRecord, StoredOperation } from "./operation.ts";

export interface Clock {
  now(): Date;
}

export interface Ids {
  /** A new operation id: the record's key, and the trace id of an operation Linq names none for. */
  operationId(): string;
}

/** An answer to a caller: the status and JSON body, stored on the record for idempotent replays. */
export interface Answer {
  status: number;
  body: unknown;
}

/**
 * One item to write: a record or a kept event, `before` as it was read (absent for a new one). The store owns the
 * version: it writes the next one (1 for a new item), and only if the item is still at `before.version`.
 */
export type Change =
  | { type: "operation"; before: StoredOperation | undefined; after: StoredOperation }
  | { type: "event"; before: KeptEvent | undefined; after: KeptEvent };

export type CommitResult = { result: "saved"; operations: StoredOperation[] } | { result: "conflict" };

/** The records of operations, and the events kept against their chats. */
export interface OperationStore {
  /**
   * Writes every change or none: a conflict (an item moved since it was read, or a new one exists) means read again and
   * decide again. Saved operations come back at their new versions.
   */
  commit(changes: Change[]): Promise<CommitResult>;
  /** Strongly consistent read of one record by its key. */
  get(chatId: string, id: string): Promise<StoredOperation | undefined>;
  /**
   * What a chat's new evidence must be weighed against, strongly consistent: its open operations, those settled within
   * the watch window (a redelivery or a late second event may still come for them), and its recent kept events. The
   * cost depends on that window, never on the chat's history.
   */
  watch(chatId: string): Promise<ChatView>;
}

export interface ChatView {
  chatId: string;
  operations: StoredOperation[];
  events: KeptEvent[];
}

export interface OperationPage {
  records: StoredOperation[];
  nextCursor: string | null;
}

/** The read routes. A cursor this store did not hand out is an InvalidCursor. */
export interface OperationQueries {
  byChatAndTraceId(chatId: string, traceId: string): Promise<StoredOperation | undefined>;
  byTraceId(traceId: string): Promise<StoredOperation | undefined>;
  /** Newest first. */
  listByChat(chatId: string, options: { limit: number; cursor?: string }): Promise<OperationPage>;
}

/** The reconciler's work: pending operations older than a moment, oldest first, a page at a time. */
export interface Backlog {
  pendingBefore(before: string, limit: number, cursor?: string): Promise<{ records: StoredOperation[]; next?: string }>;
}

/**
 * Where the reconciler's walk through the backlog stopped (a `Backlog` cursor), so the next run carries on from there
 * instead of reading the oldest page again. One value, written by the reconciler alone; `undefined` is the beginning.
 */
export interface BacklogPosition {
  load(): Promise<string | undefined>;
  save(position: string | undefined): Promise<void>;
}

/** An idempotency key bound to the operation it started, before Linq is called. */
export interface KeyBinding {
  chatId: string;
  id: string;
}

export type BindResult = { state: "bound" } | { state: "taken"; binding: KeyBinding } | { state: "mismatch" };

export interface IdempotencyKeys {
  /** Binds a free (or expired) key to an operation; a key bound to the same request tells its operation. */
  bind(key: string, fingerprint: string, binding: KeyBinding, now: Date): Promise<BindResult>;
}

export interface LinqHandle {
  handle: string;
  status: "active" | "left" | "removed" | null;
  joined_at: string | null;
}

export interface LinqChat {
  id: string;
  display_name: string | null;
  group_chat_icon: string | null;
  updated_at: string | null;
  handles: LinqHandle[];
}

/** Linq's answer to one call, with the `X-Trace-ID` of the response and every try the client made for it. */
export interface LinqAnswer<T> {
  body: T;
  traceId?: string;
  tries?: LinqTry[];
}

/**
 * Linq's two operations and the read the reconciler needs. Errors are LinqRefusal or LinqUnavailable, each carrying the
 * response's trace id when there was a response.
 */
export interface LinqApi {
  updateChat(chatId: string, request: ChatUpdateRequest): Promise<LinqAnswer<Record<string, unknown>>>;
  removeParticipant(chatId: string, handle: string): Promise<LinqAnswer<Record<string, unknown>>>;
  getChat(chatId: string): Promise<LinqChat>;
}

/** Puts outcome events on the bus, each record as one event's detail (`outcomeDetail`). Throws unless every event was accepted. */
export interface OutcomePublisher {
  publish(records: OperationRecord[]): Promise<void>;
}

/** Where a request event that can never succeed goes, with the reason: the dead-letter queue. */
export interface RejectedRequests {
  reject(event: unknown, reason: string): Promise<void>;
}

/** What the service counts (src/definitions/metrics.ts), each data point recorded once, where it happens. */
export interface Metrics {
  record<N extends MetricName>(name: N, value: number, dimensions: MetricDimensions<N>): void;
}

/** Tells the log which operation the current invocation works on: every later line of it carries these ids. */
export interface OperationLog {
  about(operation: { chat_id: string; trace_id: string }): void;
}
