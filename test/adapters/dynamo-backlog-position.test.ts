/**
 * The reconciler's saved place in its backlog, on DynamoDB Local: it survives between runs in the operations table,
 * a run resumes from it even when the operation it points at has settled since (DynamoDB takes a start key whose
 * item has left the index), and nothing else that reads the table ever sees it.
 */
import { marshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { BACKLOG_POSITION_KEY, DynamoBacklogPosition } from "../../src/adapters/dynamo-backlog-position.ts";
import { DynamoOperationStore } from "../../src/adapters/dynamo-operation-store.ts";
import { recordChanges } from "../../src/adapters/stream-changes.ts";
import { newOperation } from "../../src/domain/operation.ts";
import { reconcile, type ReconcilerPolicy } from "../../src/domain/reconciler.ts";
import { FakeClock } from "../fakes/clock.ts";
import { FakeLinqApi } from "../fakes/linq-api.ts";
import { freshTables } from "../support/dynamodb.ts";

const HOUR = 3600_000;
const HANDLE = "+15550000004";
const policy: ReconcilerPolicy = {
  settleAfterMs: 0,
  failAfterMs: { "chat.update": HOUR, "participant.remove": HOUR },
  abandonCallAfterMs: HOUR,
  batchSize: 2,
  maxPages: 1,
  concurrency: 2,
};
const chats = Array.from({ length: 5 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);

let store: DynamoOperationStore;
let position: DynamoBacklogPosition;
let linq: FakeLinqApi;
let clock: FakeClock;

beforeEach(async () => {
  const tables = await freshTables();
  clock = new FakeClock();
  const options = { watchWindowMs: HOUR, recordTtlSeconds: 90 * 24 * 3600, now: () => clock.now() };
  store = new DynamoOperationStore({ client: tables.client, tableName: tables.operations, ...options });
  position = new DynamoBacklogPosition({ client: tables.client, tableName: tables.operations });
  linq = new FakeLinqApi();
});

describe("the backlog position on DynamoDB", () => {
  it("is kept between runs and cleared at the end of the backlog", async () => {
    expect(await position.load()).toBeUndefined();
    await position.save("a-cursor");
    expect(await position.load()).toBe("a-cursor");
    await position.save(undefined);
    expect(await position.load()).toBeUndefined();
  });

  it("lets each run carry on from the last, even when the operation it points at has settled since", async () => {
    for (const [i, chatId] of chats.entries()) {
      clock.set(new Date(Date.parse("2026-11-21T10:00:00.000Z") + i * 1000).toISOString());
      const { calling_since: _answered, ...record } = newOperation({
        kind: "participant.remove",
        id: `op-${i}`,
        chatId,
        request: { handle: HANDLE },
        source: "http",
        now: clock.now().toISOString(),
      });
      await store.commit([{ type: "operation", before: undefined, after: record }]);
      linq.setChat({ id: chatId, handles: [{ handle: HANDLE, status: "active", joined_at: null }] });
    }
    // The second chat, the last of the first page, shows the removal done: the first run settles it.
    linq.setChat({ id: chats[1]!, handles: [{ handle: HANDLE, status: "removed", joined_at: null }] });
    clock.advance(60_000);
    const deps = { store, backlog: store, position, linq, clock };
    const readIn = async () => {
      const before = linq.callsOf("getChat").length;
      await reconcile(deps, policy);
      return linq
        .callsOf("getChat")
        .slice(before)
        .map((call) => call.chatId);
    };

    expect(await readIn()).toEqual([chats[0], chats[1]]);
    expect(await store.get(chats[1]!, "op-1")).toMatchObject({ status: "succeeded" });
    expect(await position.load()).toEqual(expect.any(String));

    expect(await readIn()).toEqual([chats[2], chats[3]]);
    // The end of the backlog: the position is cleared and the next run starts from the oldest again.
    expect(await readIn()).toEqual([chats[4]]);
    expect(await position.load()).toBeUndefined();
    expect(await readIn()).toEqual([chats[0], chats[2]]);
  });

  it("is never taken for an operation: not in the backlog, and left out of the stream's record changes", async () => {
    await position.save("a-cursor");

    expect((await store.pendingBefore("9999", 100)).records).toEqual([]);
    const image = marshall({ ...BACKLOG_POSITION_KEY, position: "a-cursor" });
    const event = { Records: [{ dynamodb: { NewImage: image } }] } as unknown as DynamoDBStreamEvent;
    expect(recordChanges(event)).toEqual([]);
  });
});
