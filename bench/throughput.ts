/**
 * Target 3: signed webhook settlements per second against conditional UpdateItems per second on the same DynamoDB
 * Local, at concurrency 1 and 32, the two runs interleaved. The service is an `npm start` whose sandbox drops every
 * webhook (SANDBOX_DROP_RATE=1); the bench then plays Linq: one signed `chat.group_name_updated` per pending update,
 * naming the call's `X-Trace-ID` as Linq does, signed before the clock starts. Every answer must say `settled`.
 */
import { randomUUID } from "node:crypto";
import { CreateTableCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { Webhook } from "standardwebhooks";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../local/dynamodb.ts";
import { unlogged } from "../src/app/system.ts";
import { LOCAL_WEBHOOK_SECRET } from "../local/sandbox/config.ts";
import { createChats, inParallel, rename, timed } from "./client.ts";
import type { LocalService } from "./processes.ts";
import { fixed, ratioRow, type Row } from "./table.ts";

const MIN_RATIO = 0.5;

interface Delivery {
  headers: Record<string, string>;
  body: string;
}

export async function throughput(service: LocalService, options: { settlements: number }): Promise<Row[]> {
  // The service's own client settings (src/app/dynamodb.ts): the SDK's defaults without its logger middleware.
  const dynamo = unlogged(
    new DynamoDBClient({ endpoint: service.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  const table = `bench-raw-${randomUUID().slice(0, 8)}`;
  await dynamo.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  const rows: Row[] = [];
  try {
    for (const concurrency of [1, 32]) {
      const count = options.settlements;
      // The raw baseline: one conditional UpdateItem per item, each on an item of its own as each settlement is.
      const ids = Array.from({ length: count }, (_, i) => `c${concurrency}-${i}`);
      await inParallel(count, 8, async (i) => {
        await dynamo.send(new PutItemCommand({ TableName: table, Item: { id: { S: ids[i]! }, version: { N: "1" } } }));
      });
      const deliveries = await pendingUpdates(service, count);
      const rawStarted = performance.now();
      await inParallel(count, concurrency, async (i) => {
        await dynamo.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { id: { S: ids[i]! } },
            UpdateExpression: "SET version = :next, settled_at = :at",
            ConditionExpression: "version = :expected",
            ExpressionAttributeValues: {
              ":expected": { N: "1" },
              ":next": { N: "2" },
              ":at": { S: new Date().toISOString() },
            },
          }),
        );
      });
      const rawPerSecond = count / ((performance.now() - rawStarted) / 1000);
      const oursStarted = performance.now();
      await inParallel(count, concurrency, async (i) => {
        const { headers, body } = deliveries[i]!;
        const response = await fetch(`${service.url}/webhooks/linq`, { method: "POST", headers, body });
        const answer = (await response.json()) as { result?: string };
        if (response.status !== 200 || answer.result !== "settled") {
          throw new Error(`a webhook answered ${response.status} ${JSON.stringify(answer)}`);
        }
      });
      const oursPerSecond = count / ((performance.now() - oursStarted) / 1000);
      rows.push(
        ratioRow(
          {
            target: 3,
            metric: `webhook settlements/s vs conditional UpdateItem/s, concurrency ${concurrency}`,
            baseline: `${fixed(rawPerSecond, 0)}/s`,
            ours: `${fixed(oursPerSecond, 0)}/s`,
          },
          oursPerSecond / rawPerSecond,
          { atLeast: MIN_RATIO },
        ),
      );
    }
    return rows;
  } finally {
    dynamo.destroy();
  }
}

/** `count` name updates through the service, left pending, and the signed webhook that settles each. */
async function pendingUpdates(service: LocalService, count: number): Promise<Delivery[]> {
  // A chat of its own for each: a webhook weighs only its chat's open operations, here one, as for most chats.
  const chats = await createChats(service.sandboxUrl, count);
  const signer = new Webhook(LOCAL_WEBHOOK_SECRET);
  const deliveries: Delivery[] = [];
  await inParallel(count, 8, async (i) => {
    const chatId = chats[i % chats.length]!;
    const call = rename(chatId);
    const { body: answer } = await timed(service.url, service.token, call);
    const { trace_id: traceId } = answer as { trace_id: string };
    const { body: record } = await timed(service.url, service.token, {
      method: "GET",
      path: `/v3/chats/${chatId}/operations/${traceId}`,
    });
    const linqTraceId = (record as { linq_attempts: { trace_id: string }[] }).linq_attempts[0]!.trace_id;
    const now = new Date();
    const body = JSON.stringify({
      api_version: "v3",
      webhook_version: "2026-02-03",
      event_type: "chat.group_name_updated",
      event_id: randomUUID(),
      created_at: now.toISOString(),
      trace_id: linqTraceId,
      partner_id: "sandbox-partner",
      data: {
        chat_id: chatId,
        updated_at: now.toISOString(),
        new_value: (call.body as { display_name: string }).display_name,
        old_value: null,
      },
    });
    const id = `msg_${randomUUID()}`;
    deliveries.push({
      body,
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": signer.sign(id, now, body),
      },
    });
  });
  return deliveries;
}
