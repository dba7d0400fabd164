/**
 * Idempotency keys on DynamoDB, in the ledger table. A key is claimed with a conditional put that also tells, when it
 * fails, what the key holds (ReturnValuesOnConditionCheckFailure), so a replay costs one write attempt.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { Answer, IdempotencyClaim, IdempotencyStore } from "../domain/ports.ts";

export interface DynamoIdempotencyStoreOptions {
  client: DynamoDBDocumentClient;
  ledgerTableName: string;
  /** How long an answer is replayed: the contract says 24 h. */
  ttlSeconds: number;
  /** How long a claim blocks a retry: longer than any invocation holding it can run. */
  leaseSeconds: number;
}

export class DynamoIdempotencyStore implements IdempotencyStore {
  readonly #options: DynamoIdempotencyStoreOptions;

  constructor(options: DynamoIdempotencyStoreOptions) {
    this.#options = options;
  }

  async claim(key: string, fingerprint: string, now: Date): Promise<IdempotencyClaim> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      const { Attributes } = await this.#options.client.send(
        new PutCommand({
          TableName: this.#options.ledgerTableName,
          Item: {
            ...keyOf(key),
            fingerprint,
            state: "in-progress",
            lease_until: nowSeconds + this.#options.leaseSeconds,
            expires_at: nowSeconds + this.#options.ttlSeconds,
          },
          // Free, expired (TTL deletion lags by up to days), given back by the same request after an unknown outcome,
          // or abandoned by an invocation that died holding it.
          ConditionExpression:
            "attribute_not_exists(pk) OR expires_at < :now OR (#state = :released AND fingerprint = :fingerprint) " +
            "OR (#state = :inProgress AND lease_until < :now)",
          ExpressionAttributeNames: { "#state": "state" },
          ExpressionAttributeValues: {
            ":now": nowSeconds,
            ":inProgress": "in-progress",
            ":released": "released",
            ":fingerprint": fingerprint,
          },
          ReturnValues: "ALL_OLD",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      const previous = Attributes?.fingerprint === fingerprint ? Attributes.trace_id : undefined;
      return typeof previous === "string" ? { state: "claimed", traceId: previous } : { state: "claimed" };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) || error.Item === undefined) throw error;
      const held = unmarshall(error.Item);
      if (held.fingerprint !== fingerprint) return { state: "mismatch" };
      if (held.state === "complete") return { state: "replay", answer: held.answer as Answer };
      return { state: "in-progress" };
    }
  }

  async complete(key: string, fingerprint: string, answer: Answer, now: Date): Promise<void> {
    await this.#settle(key, fingerprint, { state: "complete", answer }, now);
  }

  async release(key: string, fingerprint: string, traceId: string | undefined, now: Date): Promise<void> {
    await this.#settle(
      key,
      fingerprint,
      { state: "released", ...(traceId === undefined ? {} : { trace_id: traceId }) },
      now,
    );
  }

  /** The claim's holder writes its verdict: unconditional, since only the holder gets here. */
  async #settle(key: string, fingerprint: string, verdict: Record<string, unknown>, now: Date): Promise<void> {
    await this.#options.client.send(
      new PutCommand({
        TableName: this.#options.ledgerTableName,
        Item: {
          ...keyOf(key),
          fingerprint,
          ...verdict,
          expires_at: Math.floor(now.getTime() / 1000) + this.#options.ttlSeconds,
        },
      }),
    );
  }
}

function keyOf(key: string): { pk: string; sk: string } {
  return { pk: `idempotency#${key}`, sk: "-" };
}
