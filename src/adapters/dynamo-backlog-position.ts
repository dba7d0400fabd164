/**
 * The reconciler's place in its backlog: one item in the operations table, written by this module alone.
 *
 * Why that table and not the ledger: the reconciler already reads and writes it (GetItem, PutItem), so the item costs
 * no new permission, while the ledger would give the reconciler a table it otherwise never touches. Why it stays out
 * of everyone's way there: its partition is no chat (chat ids are UUIDs, so no route reaches it), it carries none of
 * the indexes' attributes (so no query of a chat, of the backlog or of the watch finds it), and it has no `status` (so
 * the stream's filter never hands it to the publisher, which also reads only operation records: stream-changes.ts).
 *
 * One writer (the reconciler's reserved concurrency is 1), so a plain put: the last run's position wins.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { BacklogPosition } from "../domain/ports.ts";

export const BACKLOG_POSITION_KEY = { chat_id: "#reconciler", id: "backlog-position" } as const;

export class DynamoBacklogPosition implements BacklogPosition {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  async load(): Promise<string | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: BACKLOG_POSITION_KEY, ConsistentRead: true }),
    );
    return typeof Item?.position === "string" ? Item.position : undefined;
  }

  async save(position: string | undefined): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...BACKLOG_POSITION_KEY, ...(position === undefined ? {} : { position }) },
      }),
    );
  }
}
