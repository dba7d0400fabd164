/**
 * Operations and kept events on DynamoDB. Every write is conditional (on the item's version, or on its absence) and
 * the store owns the version: a commit writes `before.version + 1`, so concurrent writers (webhooks, the reconciler,
 * the caller recording Linq's answer) can never overwrite each other; the loser reads again and decides again.
 * A commit of several items is one transaction: all or nothing.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { InvalidCursor } from "../domain/errors.ts";
import type { KeptEvent } from "../domain/kept-event.ts";
import type { StoredOperation } from "../domain/operation.ts";
import type {
  Backlog,
  Change,
  ChatView,
  CommitResult,
  OperationPage,
  OperationQueries,
  OperationStore,
} from "../domain/ports.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { fromItem, PENDING_SHARD, toItem, type ItemOptions } from "./operation-items.ts";

export interface DynamoOperationStoreOptions extends ItemOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Our clock, for the watch window. */
  now?: () => Date;
}

export class DynamoOperationStore implements OperationStore, OperationQueries, Backlog {
  readonly #options: DynamoOperationStoreOptions;
  readonly #now: () => Date;

  constructor(options: DynamoOperationStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  get #client(): DynamoDBDocumentClient {
    return this.#options.client;
  }

  get #table(): string {
    return this.#options.tableName;
  }

  async commit(changes: Change[]): Promise<CommitResult> {
    const writes = changes.map((change) => {
      const version = (change.before?.version ?? 0) + 1;
      const after = { ...change.after, version } as StoredOperation | KeptEvent;
      const put = {
        TableName: this.#table,
        Item: toItem(after, this.#now(), this.#options),
        ...(change.before === undefined
          ? { ConditionExpression: "attribute_not_exists(id)" }
          : {
              ConditionExpression: "version = :expected",
              ExpressionAttributeValues: { ":expected": change.before.version },
            }),
      };
      return { change, after, put };
    });
    const operations = writes
      .filter((write) => write.change.type === "operation")
      .map((w) => w.after as StoredOperation);
    try {
      if (writes.length === 1) await this.#client.send(new PutCommand(writes[0]!.put));
      else await this.#client.send(new TransactWriteCommand({ TransactItems: writes.map((w) => ({ Put: w.put })) }));
      return { result: "saved", operations };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { result: "conflict" };
      // Another transaction on one of the items at the same moment: like a version conflict, read again.
      if (error instanceof TransactionCanceledException) {
        const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (codes.some((code) => code === "ConditionalCheckFailed" || code === "TransactionConflict")) {
          return { result: "conflict" };
        }
      }
      throw error;
    }
  }

  async get(chatId: string, id: string): Promise<StoredOperation | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { chat_id: chatId, id }, ConsistentRead: true }),
    );
    return Item === undefined || Item.id.startsWith("event#") ? undefined : (fromItem(Item) as StoredOperation);
  }

  async watch(chatId: string): Promise<ChatView> {
    const view: ChatView = { chatId, operations: [], events: [] };
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: "byWatch",
          KeyConditionExpression: "chat_id = :chat AND watch_until > :now",
          ExpressionAttributeValues: { ":chat": chatId, ":now": this.#now().toISOString() },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const value = fromItem(item);
        if (String(item.id).startsWith("event#")) view.events.push(value as KeptEvent);
        else view.operations.push(value as StoredOperation);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return view;
  }

  async byChatAndTraceId(chatId: string, traceId: string): Promise<StoredOperation | undefined> {
    const { Items } = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: "byChatTraceId",
        KeyConditionExpression: "chat_id = :chat AND trace_id = :trace",
        ExpressionAttributeValues: { ":chat": chatId, ":trace": traceId },
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    const item = Items?.[0];
    return item === undefined ? undefined : (fromItem(item) as StoredOperation);
  }

  async byTraceId(traceId: string): Promise<StoredOperation | undefined> {
    // The index is eventually consistent and holds keys only: it finds the record, the table gives it as it is now.
    const { Items } = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: "byTraceId",
        KeyConditionExpression: "trace_id = :trace",
        ExpressionAttributeValues: { ":trace": traceId },
        Limit: 1,
      }),
    );
    const key = Items?.[0];
    return key === undefined ? undefined : this.get(String(key.chat_id), String(key.id));
  }

  async listByChat(chatId: string, options: { limit: number; cursor?: string }): Promise<OperationPage> {
    const start =
      options.cursor === undefined ? undefined : decodeCursor(options.cursor, ["chat_id", "id", "created_key"]);
    if (start !== undefined && start.chat_id !== chatId) throw new InvalidCursor();
    // One item more than asked: if it comes, there is a next page (DynamoDB's own LastEvaluatedKey is also set when
    // a page merely ends at the limit, which would hand out a cursor to an empty page).
    const { Items = [], LastEvaluatedKey } = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: "byChatNewest",
        KeyConditionExpression: "chat_id = :chat",
        ExpressionAttributeValues: { ":chat": chatId },
        ScanIndexForward: false,
        Limit: options.limit + 1,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    const page = Items.slice(0, options.limit);
    // Fewer items than the limit with a LastEvaluatedKey: DynamoDB stopped at its 1 MB page size, so there may be more.
    const more = Items.length > options.limit || LastEvaluatedKey !== undefined;
    const last = page.at(-1);
    return {
      records: page.map((item) => fromItem(item) as StoredOperation),
      nextCursor: more && last !== undefined ? encodeCursor(last, ["chat_id", "id", "created_key"]) : null,
    };
  }

  async pendingBefore(
    before: string,
    limit: number,
    cursor?: string,
  ): Promise<{ records: StoredOperation[]; next?: string }> {
    const keys = ["pending_shard", "pending_since", "chat_id", "id"] as const;
    const start = cursor === undefined ? undefined : decodeCursor(cursor, keys);
    const { Items = [], LastEvaluatedKey } = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: "byPendingSince",
        KeyConditionExpression: "pending_shard = :shard AND pending_since < :before",
        ExpressionAttributeValues: { ":shard": PENDING_SHARD, ":before": before },
        Limit: limit,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    const records = Items.map((item) => fromItem(item) as StoredOperation);
    return LastEvaluatedKey === undefined ? { records } : { records, next: encodeCursor(LastEvaluatedKey, keys) };
  }
}
