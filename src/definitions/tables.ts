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
}

export interface TableDefinition {
  /** Logical name: the SST component name in AWS, the table name in DynamoDB Local. */
  readonly name: string;
  /** Every attribute used by a key or an index, and nothing else (DynamoDB's rule). */
  readonly fields: Readonly<Record<string, AttributeType>>;
  readonly primaryIndex: IndexDefinition;
  /** Global secondary indexes, all projecting ALL attributes. */
  readonly globalIndexes: Readonly<Record<string, IndexDefinition>>;
  /** Attribute holding an epoch-seconds expiry; DynamoDB deletes the item some time after it passes. */
  readonly ttl?: string;
}

/**
 * Every operation's status record, keyed by chat_id and trace_id (the contract's key).
 *
 * - `byTraceId` answers `GET /v3/operations/{traceId}`: trace ids are unique, so the index holds one item per key.
 * - `byChatNewest` lists a chat's operations newest first: `created_key` is `${created_at}#${trace_id}`, so the sort is by
 *   creation time and ties cannot collide. The primary sort key (trace_id) cannot give that order: Linq's trace ids are
 *   not time-ordered.
 * - `byPendingSince` is sparse: only pending operations carry `pending_since`, so the reconciler reads exactly the
 *   unsettled ones, oldest first, without a scan. `pending_shard` is a constant bucket today (one partition); it is
 *   the place to spread load if pending operations ever outgrow a partition.
 * - `byOutbox` is sparse too: a settled operation whose outcome event is not yet on the bus carries `outbox_since`.
 *   It is the outbox the reconciler drains when a function died between the write and the publish.
 */
export const operationsTable = {
  name: "Operations",
  fields: {
    chat_id: "string",
    trace_id: "string",
    created_key: "string",
    pending_shard: "string",
    pending_since: "string",
    outbox_shard: "string",
    outbox_since: "string",
  },
  primaryIndex: { hashKey: "chat_id", rangeKey: "trace_id" },
  globalIndexes: {
    byTraceId: { hashKey: "trace_id" },
    byChatNewest: { hashKey: "chat_id", rangeKey: "created_key" },
    byPendingSince: { hashKey: "pending_shard", rangeKey: "pending_since" },
    byOutbox: { hashKey: "outbox_shard", rangeKey: "outbox_since" },
  },
  ttl: "expires_at",
} as const satisfies TableDefinition;

/**
 * Short-lived facts that make deliveries idempotent and keep what Linq told us that belongs to no operation:
 * - `idempotency#<scope>#<key>`: the first answer to an `Idempotency-Key` (24 h);
 * - `webhook#<webhook-id>`: a Linq delivery already applied (kept past Linq's retry horizon of days);
 * - `event#<id>`: an EventBridge request already run;
 * - `chat#<chat_id>` with sort `event#<created_at>#<event_id>`: a change to a chat that matched no request
 *   (a person renamed the group on their phone).
 */
export const ledgerTable = {
  name: "Ledger",
  fields: { pk: "string", sk: "string" },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
  globalIndexes: {},
  ttl: "expires_at",
} as const satisfies TableDefinition;
