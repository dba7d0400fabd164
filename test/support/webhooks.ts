/**
 * Playing Linq's side of `POST /webhooks/linq` in end-to-end tests: event envelopes, Standard Webhooks signatures made
 * with the `standardwebhooks` package (what Linq's SDK uses), deliveries through the HTTP adapter, and reads of what
 * the service kept: outcome events on the bus, and the chat changes it recorded against a chat in the ledger table.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { Webhook } from "standardwebhooks";
import { expect } from "vitest";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/dynamodb.ts";
import type { EventRecord } from "../../local/sandbox/index.ts";
import type { LocalStack } from "../../local/stack.ts";

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A `whsec_` secret from any text. */
export function webhookSecret(text: string): string {
  return `whsec_${Buffer.from(text).toString("base64")}`;
}

/** Linq's envelope around `data`, as the JSON text that is signed and sent. */
export function linqEvent(eventType: string, data: unknown): string {
  return JSON.stringify({
    api_version: "v3",
    webhook_version: "2026-02-03",
    event_type: eventType,
    event_id: randomUUID(),
    created_at: new Date().toISOString(),
    trace_id: randomUUID(),
    partner_id: "sandbox-partner",
    data,
  });
}

/** The body the sandbox would have sent for one of its events (one it dropped, for a test to deliver itself). */
export function sandboxEventBody(event: EventRecord): string {
  return JSON.stringify({
    api_version: "v3",
    webhook_version: "2026-02-03",
    event_type: event.eventType,
    event_id: event.eventId,
    created_at: event.createdAt,
    trace_id: event.traceId,
    partner_id: "sandbox-partner",
    data: event.data,
  });
}

/** One `v1,<base64>` signature of `${id}.${timestamp}.${body}`. */
export function signature(secret: string, id: string, timestampSeconds: number, body: string): string {
  return new Webhook(secret).sign(id, new Date(timestampSeconds * 1000), body);
}

export type WebhookHeaders = Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string>;

/** Standard Webhooks headers for `body`: a fresh id and the current time unless given. */
export function signed(
  secret: string,
  body: string,
  options: { id?: string; timestampSeconds?: number } = {},
): WebhookHeaders {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestampSeconds ?? nowSeconds();
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature(secret, id, timestamp, body),
  };
}

export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs a delivery as Linq does. A non-text content type makes the adapter hand the body over base64-encoded. */
export async function deliver(
  stack: LocalStack,
  body: string,
  headers: Partial<WebhookHeaders> | Record<string, string>,
  contentType = "application/json",
): Promise<WebhookAnswer> {
  const response = await fetch(`${stack.url}/webhooks/linq`, {
    method: "POST",
    headers: { "content-type": contentType, ...headers },
    body,
  });
  const text = await response.text();
  // Outcomes go out through the table's stream: let whatever this delivery settled be published before asserting.
  await stack.published();
  return { status: response.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** The outcome events (`operation.succeeded` / `operation.failed`) on the bus, oldest first. */
export function outcomeEvents(stack: LocalStack, traceId?: string) {
  return stack.bus
    .events()
    .filter((event) => event["detail-type"] === "operation.succeeded" || event["detail-type"] === "operation.failed")
    .filter((event) => traceId === undefined || event.detail.trace_id === traceId);
}

/** How many outcome events each operation got, by `detail.trace_id`. */
export function outcomeCounts(stack: LocalStack): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of outcomeEvents(stack)) {
    const traceId = String(event.detail.trace_id);
    counts.set(traceId, (counts.get(traceId) ?? 0) + 1);
  }
  return counts;
}

/**
 * The one-outcome rule, checked after a test: every operation it started has exactly one outcome event, and so does
 * every operation whose count moved during it (`before` is `outcomeCounts` taken when the test began).
 */
export async function expectOneOutcomeEach(
  stack: LocalStack,
  started: string[],
  before: Map<string, number>,
): Promise<void> {
  await stack.published();
  const counts = outcomeCounts(stack);
  for (const traceId of started) expect(counts.get(traceId), `outcome events of ${traceId}`).toBe(1);
  for (const [traceId, count] of counts) {
    if (count !== before.get(traceId)) expect(count, `outcome events of ${traceId}`).toBe(1);
  }
}

/** The events kept against a chat (changes that are not ours, ambiguous outcomes, unusable deliveries). */
export async function chatChanges(stack: LocalStack, chatId: string): Promise<Record<string, unknown>[]> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  try {
    const { Items } = await client.send(
      new QueryCommand({
        TableName: stack.tables.operations,
        KeyConditionExpression: "chat_id = :chat AND begins_with(id, :event)",
        ExpressionAttributeValues: { ":chat": chatId, ":event": "event#" },
        ConsistentRead: true,
      }),
    );
    return Items ?? [];
  } finally {
    client.destroy();
  }
}
