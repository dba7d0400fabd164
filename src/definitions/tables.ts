/**
 * The DynamoDB tables, defined once. `stacks/` builds them in AWS and `local/` creates them in DynamoDB Local from
 * these same objects, so the key schema and indexes cannot drift between the two.
 *
 * Plain data only: no AWS import, so the domain, the stacks and the local runtime can all read it.
 */

export type AttributeType = "string" | "number";

export interface IndexDefinition {
  readonly hashKey: string;
  readonly rangeKey?: string;
  /** What the index holds besides keys: `all` attributes (the default) or `keys` only. */
  readonly projection?: "all" | "keys";
}

export interface TableDefinition {
  /** Logical name: the SST component name in AWS, the table name in DynamoDB Local. */
  readonly name: string;
  /** Every attribute used by a key or an index, and nothing else (DynamoDB's rule). */
  readonly fields: Readonly<Record<string, AttributeType>>;
  readonly primaryIndex: IndexDefinition;
  /** Global secondary indexes: eventually consistent, across partitions. */
  readonly globalIndexes: Readonly<Record<string, IndexDefinition>>;
  /** Local secondary indexes: the table's partition key, another sort key, readable strongly consistent. */
  readonly localIndexes?: Readonly<Record<string, { readonly rangeKey: string }>>;
  /** A stream of every change, with the item before and after. */
  readonly stream?: "new-and-old-images";
  /** Attribute holding an epoch-seconds expiry; DynamoDB deletes the item some time after it passes. */
  readonly ttl?: string;
}

/**
 * Every operation's status record, and the events kept against its chat, in the chat's partition.
 *
 * - Key: `chat_id` and `id`: an operation's own id (`op#…`), fixed at creation, or a kept event's (`event#…`). The
 *   public `trace_id` is an attribute, so a removal takes Linq's trace id without being renamed.
 * - `byChatTraceId` (local) answers `GET /v3/chats/{chatId}/operations/{traceId}`, strongly consistent.
 * - `byChatNewest` (local) lists a chat's operations newest first: `created_key` is `${created_at}#${id}`.
 * - `byWatch` (local, sparse) is what a webhook or the reconciler weighs evidence against, strongly consistent: open
 *   operations and unresolved events carry `watch_until` = "open", the rest the moment the watch window ends after
 *   their last change. A query for `watch_until > now` reads those and nothing of the chat's older history.
 * - `byTraceId` answers `GET /v3/operations/{traceId}`: it finds the key, the table gives the current record.
 * - `byPendingSince` (sparse) is the reconciler's backlog: only pending operations carry `pending_since`, oldest first.
 *   `pending_shard` is a constant bucket today (one partition), the place to spread load if that is ever needed.
 * - The stream publishes outcomes: the change that moves a record to a terminal state (see domain/outcomes.ts).
 */
export const operationsTable = {
  name: "Operations",
  fields: {
    chat_id: "string",
    id: "string",
    trace_id: "string",
    created_key: "string",
    watch_until: "string",
    pending_shard: "string",
    pending_since: "string",
  },
  primaryIndex: { hashKey: "chat_id", rangeKey: "id" },
  localIndexes: {
    byChatTraceId: { rangeKey: "trace_id" },
    byChatNewest: { rangeKey: "created_key" },
    byWatch: { rangeKey: "watch_until" },
  },
  globalIndexes: {
    byTraceId: { hashKey: "trace_id", projection: "keys" },
    byPendingSince: { hashKey: "pending_shard", rangeKey: "pending_since" },
  },
  stream: "new-and-old-images",
  ttl: "expires_at",
} as const satisfies TableDefinition;

/**
 * Idempotency keys: `idempotency#<door>#<key>` bound to the operation it started (chat and id), for 24 h. The
 * operation itself holds the answer to replay.
 */
export const ledgerTable = {
  name: "Ledger",
  fields: { pk: "string", sk: "string" },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
  globalIndexes: {},
  ttl: "expires_at",
} as const satisfies TableDefinition;
