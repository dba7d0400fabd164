/**
 * Targets 1 and 2: the DynamoDB work of each lifecycle (request → outcome → event published), counted on the handlers'
 * own client (bench/dynamodb-counter.ts) in a local stack in this process, beside its physical floor; and the items
 * read to settle one webhook in a chat with a short and with a long history.
 *
 * Floors (issue 12): a record must be written once when asked and once when settled (2), a name and icon update
 * settles two parts from two webhooks (3); a key, or an EventBridge event id, must be bound once (+1).
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoOperationStore } from "../src/adapters/dynamo-operation-store.ts";
import { documentClient } from "../src/app/dynamodb.ts";
import { readWatchWindowMs } from "../src/config.ts";
import { LOCAL_BUS_NAME, startLocalStack, type LocalStack } from "../local/stack.ts";
import { DynamoCounter, type DynamoWork } from "./dynamodb-counter.ts";
import { ratioRow, type Row } from "./table.ts";

const HANDLES = ["+15550000001", "+15550000002", "+15550000003", "+15550000004", "+15550000005"];
/** The sandbox accepts a removal of a handle ending in 0000 and never does it: only the reconciler settles it. */
const NEVER_REMOVED = "+15551230000";
const FAIL_AFTER_SECONDS = 1;

interface Lifecycle {
  name: string;
  floor: number;
  /** The request, until its answer (or, from EventBridge, until the subscriber is done). */
  run(stack: LocalStack, chatId: string): Promise<void>;
  /** What settles it when no webhook does. */
  settle?(stack: LocalStack): Promise<void>;
}

export async function dynamoWork(options: { history: number }): Promise<Row[]> {
  const stack = await startLocalStack({
    port: 0,
    sandboxPort: 0,
    busPort: 0,
    reconcileEveryMs: 0,
    reconcilerEnv: {
      RECONCILE_AFTER_SECONDS: "0",
      RECONCILE_FAIL_AFTER_SECONDS: String(FAIL_AFTER_SECONDS),
      RECONCILE_ABANDON_AFTER_SECONDS: String(FAIL_AFTER_SECONDS),
    },
    // Outcomes come well after the answer, so the request's work and the settlement's are counted apart.
    sandbox: { seed: 7, delayMs: 150, retryScheduleMs: [100] },
  });
  const counter = new DynamoCounter();
  counter.attach(documentClient());
  try {
    const rows: Row[] = [];
    const settled = async () => {
      await stack.bus.idle();
      await stack.sandbox!.idle();
      await stack.published();
      await stack.bus.idle();
    };
    const newChat = () => stack.sandbox!.seedChat({ handles: [...HANDLES, NEVER_REMOVED] }).id;
    const webhooksOf = (chatId: string) => stack.sandbox!.truth().events.filter((e) => e.chatId === chatId).length;

    for (const lifecycle of lifecycles()) {
      const chatId = newChat();
      await settled();
      counter.take();
      await lifecycle.run(stack, chatId);
      const request = counter.take();
      await settled();
      if (lifecycle.settle) await lifecycle.settle(stack);
      await settled();
      const settlement = counter.take();
      const webhooks = webhooksOf(chatId);
      const writes = request.writes + settlement.writes;
      const races = request.lostRaces + settlement.lostRaces;
      // Reads that settle: one per webhook, or the reconciler's one watch of the chat (its backlog reads are the run's).
      const settlingReads = settlement.reads - settlement.backlogPages;
      const settlers = Math.max(1, webhooks);
      const page = settlement.backlogPages > 0 ? ` + ${settlement.backlogPages} backlog reads of the run` : "";
      rows.push({
        ...ratioRow(
          {
            target: 1,
            metric: `DynamoDB: ${lifecycle.name}`,
            baseline: `${lifecycle.floor} w (floor)`,
            ours:
              `${writes} w${races ? ` (${races} lost a race)` : ""}, ` +
              `${request.reads + settlingReads} r / ${webhooks ? `${webhooks} webhook` : "1 reconciler run"}${page}`,
          },
          writes / lifecycle.floor,
          { atMost: (lifecycle.floor + 1) / lifecycle.floor },
        ),
        goal: `≤ ${lifecycle.floor + 1} w, ≤ 1 r each`,
        pass: writes <= lifecycle.floor + 1 && request.reads + settlingReads <= settlers,
      });
    }
    if (counter.uncounted.length > 0) throw new Error(`uncounted DynamoDB commands: ${counter.uncounted.join(", ")}`);

    // Target 2: one webhook's reads, in a chat with 5 and one with `history` past operations.
    const short = await settledChat(stack, newChat(), 5);
    const long = await settledChat(stack, newChat(), options.history);
    const readsToSettle = async (chatId: string): Promise<DynamoWork> => {
      await rename(stack, chatId, {});
      counter.take();
      await settled();
      return counter.take();
    };
    const few = await readsToSettle(short);
    const many = await readsToSettle(long);
    rows.push(
      ratioRow(
        {
          target: 2,
          metric: `items read to settle a webhook: 5 vs ${options.history} past ops`,
          baseline: `${few.itemsRead} items, ${few.reads} r`,
          ours: `${many.itemsRead} items, ${many.reads} r`,
        },
        many.itemsRead / few.itemsRead,
        { atMost: 1 },
      ),
    );
    return rows;
  } finally {
    await stack.stop();
  }
}

function lifecycles(): Lifecycle[] {
  return [
    { name: "name update", floor: 2, run: (stack, chatId) => rename(stack, chatId, {}) },
    { name: "removal", floor: 2, run: (stack, chatId) => remove(stack, chatId, HANDLES[4]!) },
    {
      name: "name + icon update",
      floor: 3,
      run: (stack, chatId) => rename(stack, chatId, { group_chat_icon: `https://example.com/${randomUUID()}.png` }),
    },
    {
      name: "name update, Idempotency-Key",
      floor: 3,
      run: (stack, chatId) => rename(stack, chatId, {}, { "idempotency-key": randomUUID() }),
    },
    {
      name: "name update from EventBridge",
      floor: 3,
      run: async (stack, chatId) => {
        const client = new EventBridgeClient({ endpoint: stack.bus.url });
        const detail = { chat_id: chatId, display_name: `Bench ${randomUUID().slice(0, 8)}` };
        const answer = await client.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: LOCAL_BUS_NAME,
                Source: "bench",
                DetailType: "chat.update.requested",
                Detail: JSON.stringify(detail),
              },
            ],
          }),
        );
        client.destroy();
        if (answer.FailedEntryCount !== 0) throw new Error("PutEvents refused the request event");
        await stack.bus.idle();
      },
    },
    {
      name: "removal settled by the reconciler",
      floor: 2,
      run: (stack, chatId) => remove(stack, chatId, NEVER_REMOVED),
      settle: async (stack) => {
        await new Promise((resolve) => setTimeout(resolve, FAIL_AFTER_SECONDS * 1000 + 100));
        await stack.reconcileNow();
      },
    },
  ];
}

async function call(stack: LocalStack, method: string, path: string, body: unknown, headers = {}): Promise<void> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  if (response.status >= 300)
    throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

const rename = (stack: LocalStack, chatId: string, extra: object, headers = {}) =>
  call(stack, "PUT", `/v3/chats/${chatId}`, { display_name: `Bench ${randomUUID().slice(0, 8)}`, ...extra }, headers);

const remove = (stack: LocalStack, chatId: string, handle: string) =>
  call(stack, "DELETE", `/v3/chats/${chatId}/participants`, { handle });

/**
 * A chat with `count` settled operations, written straight through the store (a real lifecycle's record, cloned) and
 * dated before the watch window, as a chat years old would have them.
 */
async function settledChat(stack: LocalStack, chatId: string, count: number): Promise<string> {
  await rename(stack, chatId, {});
  await stack.sandbox!.idle();
  await stack.published();
  const window = readWatchWindowMs(process.env);
  const past = new Date(Date.now() - 2 * window);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const store = new DynamoOperationStore({
    client,
    tableName: stack.tables.operations,
    watchWindowMs: window,
    recordTtlSeconds: 90 * 24 * 3600,
    now: () => past,
  });
  const page = await store.listByChat(chatId, { limit: 1 });
  const template = page.records[0]!;
  let next = 1; // the real one counts
  const worker = async () => {
    while (next < count) {
      next++;
      const at = new Date(past.getTime() - next * 1000).toISOString();
      const id = randomUUID();
      const after = { ...template, id, trace_id: id, created_at: at, updated_at: at, completed_at: at, version: 0 };
      const saved = await store.commit([{ type: "operation", before: undefined, after }]);
      if (saved.result !== "saved") throw new Error("could not seed the chat's history");
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  // The real one, settled now, is in the watch window like any recent one; the others are history.
  client.destroy();
  return chatId;
}
