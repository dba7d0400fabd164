/**
 * The operation store on DynamoDB. Every write is conditional: on the record's version, on the absence of a key, or
 * on a delivery id not yet taken, so concurrent writers (webhooks, the reconciler, the caller) can never overwrite each
 * other; the loser reads again and the domain decides again.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { ledgerTable, operationsTable } from "../definitions/tables.ts";
import { badRequest, LinqCode } from "../domain/errors.ts";
import { awaitingParts, type OperationKind, type StoredOperation } from "../domain/operation.ts";
import type { ChatChange, OperationPage, OperationStore, SaveResult } from "../domain/ports.ts";

export interface DynamoOperationStoreOptions {
  client: DynamoDBDocumentClient;
  operationsTableName: string;
  /**
   * Where delivery ids and chat changes go. Functions that only read operations, or the reconciler, are not given the
   * ledger at all; writing a webhook's effect without it is a wiring mistake, reported as one.
   */
  ledgerTableName?: string;
  /** How long a record is kept after it was created. */
  recordTtlSeconds: number;
  /** How long a webhook id is remembered: longer than Linq's retry horizon (days). */
  deliveryTtlSeconds: number;
}

/** The sparse indexes have one partition each; see tables.ts for why and when to shard. */
const PENDING_SHARD = "pending";
const OUTBOX_SHARD = "outbox";

/** Attributes that exist for keys and indexes only; never part of a record handed back. */
const INDEX_ATTRIBUTES = [
  "created_key",
  "pending_shard",
  "pending_since",
  "outbox_shard",
  "awaiting_parts",
  "expires_at",
];

export class DynamoOperationStore implements OperationStore {
  readonly #options: DynamoOperationStoreOptions;

  constructor(options: DynamoOperationStoreOptions) {
    this.#options = options;
  }

  get #client(): DynamoDBDocumentClient {
    return this.#options.client;
  }

  get #ledger(): string {
    if (this.#options.ledgerTableName === undefined) {
      throw new Error("This function has no ledger table: only functions with ledger access record deliveries");
    }
    return this.#options.ledgerTableName;
  }

  async create(record: StoredOperation): Promise<boolean> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#options.operationsTableName,
          Item: this.#item(record),
          ConditionExpression: "attribute_not_exists(trace_id)",
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(chatId: string, traceId: string): Promise<StoredOperation | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#options.operationsTableName,
        Key: { chat_id: chatId, trace_id: traceId },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : fromItem(Item);
  }

  async getByTraceId(traceId: string): Promise<StoredOperation | undefined> {
    // The index is eventually consistent: it finds the chat, the table gives the current record.
    const { Items } = await this.#client.send(
      new QueryCommand({
        TableName: this.#options.operationsTableName,
        IndexName: "byTraceId",
        KeyConditionExpression: "trace_id = :trace",
        ExpressionAttributeValues: { ":trace": traceId },
        ProjectionExpression: "chat_id",
        Limit: 1,
      }),
    );
    const chatId = Items?.[0]?.chat_id;
    return typeof chatId === "string" ? this.get(chatId, traceId) : undefined;
  }

  async listByChat(chatId: string, options: { limit: number; cursor?: string }): Promise<OperationPage> {
    // One item more than asked: if it comes, there is a next page. DynamoDB's own LastEvaluatedKey is also set when
    // the page merely ends exactly at the limit, which would hand out a cursor to an empty page.
    const { Items = [], LastEvaluatedKey } = await this.#client.send(
      new QueryCommand({
        TableName: this.#options.operationsTableName,
        IndexName: "byChatNewest",
        KeyConditionExpression: "chat_id = :chat",
        ExpressionAttributeValues: { ":chat": chatId },
        ScanIndexForward: false,
        Limit: options.limit + 1,
        ...(options.cursor === undefined ? {} : { ExclusiveStartKey: decodeCursor(options.cursor, chatId) }),
      }),
    );
    const page = Items.slice(0, options.limit);
    // Fewer items than the limit with a LastEvaluatedKey: DynamoDB stopped at its 1 MB page size, so there may be more.
    const more = Items.length > options.limit || LastEvaluatedKey !== undefined;
    const last = page.at(-1);
    return {
      records: page.map(fromItem),
      nextCursor: more && last !== undefined ? encodeCursor(last) : null,
    };
  }

  async openOperations(chatId: string, kind: OperationKind): Promise<StoredOperation[]> {
    const records: StoredOperation[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      // The table, not an index: only the table reads strongly, and a webhook racing its own request must see it.
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#options.operationsTableName,
          KeyConditionExpression: "chat_id = :chat",
          FilterExpression: "#kind = :kind AND attribute_exists(awaiting_parts)",
          ExpressionAttributeNames: { "#kind": "kind" },
          ExpressionAttributeValues: { ":chat": chatId, ":kind": kind },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      records.push(...(page.Items ?? []).map(fromItem));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return records.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.trace_id.localeCompare(b.trace_id));
  }

  async save(next: StoredOperation, expectedVersion: number, deliveryId?: string): Promise<SaveResult> {
    const put = {
      TableName: this.#options.operationsTableName,
      Item: this.#item(next),
      ConditionExpression: "version = :expected",
      ExpressionAttributeValues: { ":expected": expectedVersion },
    };
    if (deliveryId === undefined) {
      try {
        await this.#client.send(new PutCommand(put));
        return "saved";
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return "conflict";
        throw error;
      }
    }
    try {
      await this.#client.send(
        new TransactWriteCommand({ TransactItems: [{ Put: put }, { Put: this.#deliveryPut(deliveryId) }] }),
      );
      return "saved";
    } catch (error) {
      const [record, delivery] = cancellationCodes(error);
      if (delivery === "ConditionalCheckFailed") return "duplicate-delivery";
      // Another transaction on the same item at the same moment: like a version conflict, read again and decide again.
      if (record === "ConditionalCheckFailed" || record === "TransactionConflict") return "conflict";
      throw error;
    }
  }

  async rename(intent: StoredOperation, named: StoredOperation): Promise<"saved" | "conflict"> {
    try {
      await this.#client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#options.operationsTableName,
                Item: this.#item(named),
                ConditionExpression: "attribute_not_exists(trace_id)",
              },
            },
            {
              Delete: {
                TableName: this.#options.operationsTableName,
                Key: { chat_id: intent.chat_id, trace_id: intent.trace_id },
                ConditionExpression: "version = :expected",
                ExpressionAttributeValues: { ":expected": intent.version },
              },
            },
          ],
        }),
      );
      return "saved";
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes.includes("ConditionalCheckFailed") || codes.includes("TransactionConflict")) return "conflict";
      throw error;
    }
  }

  async recordChatChange(change: ChatChange, deliveryId: string): Promise<"saved" | "duplicate-delivery"> {
    try {
      await this.#client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#ledger,
                Item: {
                  pk: `chat#${change.chat_id}`,
                  sk: `event#${change.at}#${change.event_id}`,
                  ...change,
                  expires_at: this.#expiry(this.#options.recordTtlSeconds),
                },
              },
            },
            { Put: this.#deliveryPut(deliveryId) },
          ],
        }),
      );
      return "saved";
    } catch (error) {
      if (cancellationCodes(error)[1] === "ConditionalCheckFailed") return "duplicate-delivery";
      throw error;
    }
  }

  pendingBefore(before: string, limit: number, after?: StoredOperation): Promise<StoredOperation[]> {
    const start =
      after === undefined
        ? undefined
        : {
            pending_shard: PENDING_SHARD,
            pending_since: after.created_at,
            chat_id: after.chat_id,
            trace_id: after.trace_id,
          };
    return this.#sparse("byPendingSince", "pending_shard", PENDING_SHARD, "pending_since", before, limit, start);
  }

  outboxBefore(before: string, limit: number): Promise<StoredOperation[]> {
    return this.#sparse("byOutbox", "outbox_shard", OUTBOX_SHARD, "outbox_since", before, limit);
  }

  async clearOutbox(record: StoredOperation): Promise<boolean> {
    if (record.outbox_since === undefined) return false;
    try {
      // The version moves too, so a writer holding the marked version cannot bring the mark back.
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#options.operationsTableName,
          Key: { chat_id: record.chat_id, trace_id: record.trace_id },
          UpdateExpression: "REMOVE outbox_since, outbox_shard SET version = version + :one",
          ConditionExpression: "outbox_since = :since",
          ExpressionAttributeValues: { ":since": record.outbox_since, ":one": 1 },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #sparse(
    index: string,
    shardAttribute: string,
    shard: string,
    sinceAttribute: string,
    before: string,
    limit: number,
    exclusiveStartKey?: Record<string, string>,
  ): Promise<StoredOperation[]> {
    const { Items } = await this.#client.send(
      new QueryCommand({
        TableName: this.#options.operationsTableName,
        IndexName: index,
        KeyConditionExpression: "#shard = :shard AND #since < :before",
        ExpressionAttributeNames: { "#shard": shardAttribute, "#since": sinceAttribute },
        ExpressionAttributeValues: { ":shard": shard, ":before": before },
        Limit: limit,
        ...(exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey }),
      }),
    );
    return (Items ?? []).map(fromItem);
  }

  #item(record: StoredOperation): Record<string, unknown> {
    const awaiting = awaitingParts(record);
    return {
      ...record,
      created_key: `${record.created_at}#${record.trace_id}`,
      ...(record.status === "pending" ? { pending_shard: PENDING_SHARD, pending_since: record.created_at } : {}),
      ...(record.outbox_since === undefined ? {} : { outbox_shard: OUTBOX_SHARD }),
      ...(awaiting.length > 0 ? { awaiting_parts: awaiting } : {}),
      expires_at: Math.floor(Date.parse(record.created_at) / 1000) + this.#options.recordTtlSeconds,
    };
  }

  #deliveryPut(deliveryId: string) {
    return {
      TableName: this.#ledger,
      Item: { pk: `webhook#${deliveryId}`, sk: "-", expires_at: this.#expiry(this.#options.deliveryTtlSeconds) },
      ConditionExpression: "attribute_not_exists(pk)",
    };
  }

  #expiry(seconds: number): number {
    return Math.floor(Date.now() / 1000) + seconds;
  }
}

function fromItem(item: Record<string, unknown>): StoredOperation {
  const record = { ...item };
  for (const attribute of INDEX_ATTRIBUTES) delete record[attribute];
  return record as unknown as StoredOperation;
}

/** The reasons of a cancelled transaction, one per item in order; empty for any other error. */
function cancellationCodes(error: unknown): (string | undefined)[] {
  if (!(error instanceof TransactionCanceledException)) return [];
  return (error.CancellationReasons ?? []).map((reason) => reason.Code);
}

const CURSOR_KEYS = ["chat_id", "trace_id", "created_key"] as const;

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(CURSOR_KEYS.map((name) => key[name]))).toString("base64url");
}

/** A cursor is ours only if it decodes to this chat's key; anything else is the caller's mistake, a 400. */
function decodeCursor(cursor: string, chatId: string): Record<string, string> {
  const invalid = () => badRequest(LinqCode.invalidParameter, "cursor is not valid for this list");
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(values) ||
    values.length !== CURSOR_KEYS.length ||
    !values.every((value) => typeof value === "string") ||
    values[0] !== chatId
  ) {
    throw invalid();
  }
  return Object.fromEntries(CURSOR_KEYS.map((name, i) => [name, values[i] as string]));
}
