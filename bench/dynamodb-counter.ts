/**
 * Counts the DynamoDB work a process does, with a middleware on the very client its handlers use (src/app/dynamodb.ts).
 * Writes are items written: a PutItem, UpdateItem or DeleteItem is one, a TransactWriteItems one per item in it.
 * Reads are read requests (GetItem, Query), and items read is what DynamoDB read to answer them (a Query's
 * ScannedCount, a GetItem's item): what a request costs in read units, whatever its filter keeps.
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { BACKLOG_POSITION_KEY } from "../src/adapters/dynamo-backlog-position.ts";

export interface DynamoWork {
  /** Items written, those that lost a race included. */
  writes: number;
  /** Of `writes`, the items of writes refused by their condition (another writer was first: read and decide again). */
  lostRaces: number;
  reads: number;
  /**
   * Of `reads`, the reconciler's reads of its backlog: its saved place and its pages of pending operations across all
   * chats, once a run, shared by every operation the run settles.
   */
  backlogPages: number;
  itemsRead: number;
}

const none = (): DynamoWork => ({ writes: 0, lostRaces: 0, reads: 0, backlogPages: 0, itemsRead: 0 });

const WRITES: Record<string, (input: Record<string, unknown>) => number> = {
  PutItemCommand: () => 1,
  PutCommand: () => 1,
  UpdateItemCommand: () => 1,
  UpdateCommand: () => 1,
  DeleteItemCommand: () => 1,
  DeleteCommand: () => 1,
  TransactWriteItemsCommand: (input) => (input.TransactItems as unknown[]).length,
  TransactWriteCommand: (input) => (input.TransactItems as unknown[]).length,
};
/** The reconciler's index of pending operations (src/adapters/dynamo-operation-store.ts `pendingBefore`). */
const BACKLOG_INDEX = "byPendingSince";
const isBacklogRead = (input: Record<string, unknown>) =>
  input.IndexName === BACKLOG_INDEX ||
  (input.Key as Record<string, unknown> | undefined)?.chat_id === BACKLOG_POSITION_KEY.chat_id;
const READS = new Set(["GetItemCommand", "GetCommand", "QueryCommand"]);

export class DynamoCounter {
  #work = none();
  readonly #unknown = new Set<string>();

  /** Adds the counting middleware to `client`'s stack (shared by the document client and the client inside it). */
  attach(client: DynamoDBDocumentClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = String(context.commandName);
        // Counted before sending: a conditional write that fails still costs its write.
        const input = args.input as Record<string, unknown>;
        const writes = WRITES[command]?.(input);
        if (writes !== undefined) this.#work.writes += writes;
        else if (READS.has(command)) {
          this.#work.reads += 1;
          if (isBacklogRead(input)) this.#work.backlogPages += 1;
        } else this.#unknown.add(command);
        let result;
        try {
          result = await next(args);
        } catch (error) {
          const name = (error as Error).name;
          if (
            writes !== undefined &&
            (name === "ConditionalCheckFailedException" || name === "TransactionCanceledException")
          )
            this.#work.lostRaces += writes;
          throw error;
        }
        if (READS.has(command)) {
          const output = result.output as { ScannedCount?: number; Item?: unknown };
          this.#work.itemsRead += output.ScannedCount ?? (output.Item === undefined ? 0 : 1);
        }
        return result;
      },
      { step: "initialize", name: "benchDynamoCounter" },
    );
  }

  /** The work since the last `take`, and resets. */
  take(): DynamoWork {
    const work = this.#work;
    this.#work = none();
    return work;
  }

  /** Commands seen that are neither a counted read nor a write: the count would be missing them. */
  get uncounted(): string[] {
    return [...this.#unknown];
  }
}
