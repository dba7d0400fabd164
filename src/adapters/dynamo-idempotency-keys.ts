/**
 * Idempotency keys on DynamoDB, in the ledger table: one conditional put binds a free key to the operation it starts,
 * and when the key is taken, the failed condition hands back what it holds (ReturnValuesOnConditionCheckFailure), so
 * a retry learns its operation without a read of its own.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { BindResult, IdempotencyKeys, KeyBinding } from "../domain/ports.ts";

export interface DynamoIdempotencyKeysOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long a key stays bound: the contract says 24 h. */
  ttlSeconds: number;
}

export class DynamoIdempotencyKeys implements IdempotencyKeys {
  readonly #options: DynamoIdempotencyKeysOptions;

  constructor(options: DynamoIdempotencyKeysOptions) {
    this.#options = options;
  }

  async bind(key: string, fingerprint: string, binding: KeyBinding, now: Date): Promise<BindResult> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      await this.#options.client.send(
        new PutCommand({
          TableName: this.#options.tableName,
          Item: {
            pk: `idempotency#${key}`,
            sk: "-",
            fingerprint,
            chat_id: binding.chatId,
            id: binding.id,
            expires_at: nowSeconds + this.#options.ttlSeconds,
          },
          // Free, or expired (TTL deletion lags by up to days).
          ConditionExpression: "attribute_not_exists(pk) OR expires_at < :now",
          ExpressionAttributeValues: { ":now": nowSeconds },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { state: "bound" };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) || error.Item === undefined) throw error;
      const held = unmarshall(error.Item);
      if (held.fingerprint !== fingerprint) return { state: "mismatch" };
      return { state: "taken", binding: { chatId: String(held.chat_id), id: String(held.id) } };
    }
  }
}
