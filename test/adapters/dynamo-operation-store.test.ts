/**
 * The operation store against Amazon's DynamoDB Local: the conditions, indexes and pagination are DynamoDB's own
 * behaviour, so no fake stands in here.
 */
import { randomUUID } from "node:crypto";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { DynamoOperationStore } from "../../src/adapters/dynamo-operation-store.ts";
import { ServiceError } from "../../src/domain/errors.ts";
import { newOperation, settlePart, type StoredOperation } from "../../src/domain/operation.ts";
import { freshTables } from "../support/dynamodb.ts";

let store: DynamoOperationStore;
let tables: Awaited<ReturnType<typeof freshTables>>;

beforeAll(async () => {
  tables = await freshTables();
  store = new DynamoOperationStore({
    client: tables.client,
    operationsTableName: tables.operations,
    ledgerTableName: tables.ledger,
    recordTtlSeconds: 3600,
    deliveryTtlSeconds: 3600,
  });
});

function update(chatId: string, at: string, name = "Team"): StoredOperation {
  return newOperation({
    kind: "chat.update",
    chatId,
    traceId: randomUUID(),
    request: { display_name: name },
    source: "http",
    now: at,
  });
}

function removal(chatId: string, at: string, handle = "+15550000004"): StoredOperation {
  return newOperation({
    kind: "participant.remove",
    chatId,
    traceId: randomUUID(),
    request: { handle },
    source: "http",
    now: at,
  });
}

const T0 = "2026-11-21T10:00:00.000Z";
const T1 = "2026-11-21T10:00:01.000Z";

describe("creating and reading", () => {
  it("creates a record only if none exists under its key", async () => {
    const record = update(randomUUID(), T0);
    expect(await store.create(record)).toBe(true);
    expect(await store.create({ ...record, status: "succeeded" })).toBe(false);
    expect(await store.get(record.chat_id, record.trace_id)).toEqual(record);
  });

  it("finds a record by trace id alone, and nothing for an unknown one", async () => {
    const record = update(randomUUID(), T0);
    await store.create(record);
    expect(await store.getByTraceId(record.trace_id)).toEqual(record);
    expect(await store.getByTraceId(randomUUID())).toBeUndefined();
  });

  it("keeps index attributes out of the records it hands back", async () => {
    const record = update(randomUUID(), T0);
    await store.create(record);
    const { Item } = await tables.client.send(
      new GetCommand({ TableName: tables.operations, Key: { chat_id: record.chat_id, trace_id: record.trace_id } }),
    );
    expect(Item).toMatchObject({
      created_key: `${T0}#${record.trace_id}`,
      pending_shard: "pending",
      expires_at: expect.any(Number),
    });
    expect(Object.keys((await store.get(record.chat_id, record.trace_id))!)).not.toContain("created_key");
  });
});

describe("conditional transitions", () => {
  it("saves only over the version it read", async () => {
    const record = update(randomUUID(), T0);
    await store.create(record);
    const next = settlePart(record, "display_name", { status: "succeeded", at: T1, by: "webhook" })!;
    expect(await store.save(next, record.version)).toBe("saved");
    const stale = settlePart(record, "display_name", { status: "failed", at: T1, by: "webhook", errorCode: 4001 })!;
    expect(await store.save(stale, record.version)).toBe("conflict");
    expect((await store.get(record.chat_id, record.trace_id))!.status).toBe("succeeded");
  });

  it("lets exactly one of many concurrent writers win, and the record never moves backwards", async () => {
    const record = update(randomUUID(), T0);
    await store.create(record);
    const writers = Array.from({ length: 25 }, (_, i) =>
      settlePart(record, "display_name", {
        status: i % 2 === 0 ? "succeeded" : "failed",
        at: `2026-11-21T10:00:${String(10 + i).padStart(2, "0")}.000Z`,
        by: "webhook",
        ...(i % 2 === 0 ? {} : { errorCode: 4001 }),
      })!,
    );
    const results = await Promise.all(writers.map((next) => store.save(next, record.version)));
    expect(results.filter((r) => r === "saved")).toHaveLength(1);
    expect(results.filter((r) => r === "conflict")).toHaveLength(24);

    const winner = writers[results.indexOf("saved")]!;
    const stored = (await store.get(record.chat_id, record.trace_id))!;
    expect(stored).toEqual(winner);
    // A late writer that re-reads finds the part settled: the domain allows no further move.
    expect(settlePart(stored, "display_name", { status: "succeeded", at: T1, by: "reconciler" })).toBeUndefined();
  });

  it("applies a delivery once: the same webhook id cannot write twice, even to another record", async () => {
    const chatId = randomUUID();
    const first = update(chatId, T0, "Same");
    const second = update(chatId, T1, "Same");
    await store.create(first);
    await store.create(second);
    const deliveryId = `msg_${randomUUID()}`;
    const settle = (r: StoredOperation) =>
      settlePart(r, "display_name", { status: "succeeded", at: T1, by: "webhook" })!;
    expect(await store.save(settle(first), first.version, deliveryId)).toBe("saved");
    expect(await store.save(settle(second), second.version, deliveryId)).toBe("duplicate-delivery");
    expect((await store.get(chatId, second.trace_id))!.status).toBe("pending");
  });

  it("renames a removal to Linq's trace id atomically, and not over a changed intent", async () => {
    const chatId = randomUUID();
    const intent = { ...removal(chatId, T0), awaiting_trace_id: true };
    await store.create(intent);
    const named = { ...intent, trace_id: `linq-${randomUUID()}`, version: 1 };
    delete (named as Partial<StoredOperation>).awaiting_trace_id;

    const moved = settlePart(intent, "participant", { status: "succeeded", at: T1, by: "webhook" })!;
    expect(await store.save(moved, intent.version)).toBe("saved");
    expect(await store.rename(intent, named)).toBe("conflict");
    expect(await store.get(chatId, named.trace_id)).toBeUndefined();

    const carried = { ...moved, trace_id: named.trace_id, version: 1 };
    delete (carried as Partial<StoredOperation>).awaiting_trace_id;
    expect(await store.rename(moved, carried)).toBe("saved");
    expect(await store.get(chatId, intent.trace_id)).toBeUndefined();
    expect((await store.get(chatId, named.trace_id))!.status).toBe("succeeded");
  });

  it("records a change nobody asked for against the chat, once per delivery", async () => {
    const chatId = randomUUID();
    const change = { chat_id: chatId, event_id: randomUUID(), event_type: "chat.group_name_updated", at: T0, data: {} };
    expect(await store.recordChatChange(change, "msg_1_" + chatId)).toBe("saved");
    expect(await store.recordChatChange(change, "msg_1_" + chatId)).toBe("duplicate-delivery");
  });
});

describe("the indexes", () => {
  it("lists a chat's operations newest first, page by page, each exactly once", async () => {
    const chatId = randomUUID();
    const created: StoredOperation[] = [];
    for (let i = 0; i < 7; i++) {
      const record = update(chatId, `2026-11-21T10:00:0${i}.000Z`);
      created.push(record);
      await store.create(record);
    }
    await store.create(update(randomUUID(), T0)); // another chat's, never listed here

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listByChat(chatId, { limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.records.map((r) => r.trace_id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor !== undefined && pages < 10);
    expect(seen).toEqual(created.map((r) => r.trace_id).reverse());
  });

  it("hands out no cursor when the last page is exactly full", async () => {
    const chatId = randomUUID();
    for (let i = 0; i < 4; i++) await store.create(update(chatId, `2026-11-21T10:00:0${i}.000Z`));
    const first = await store.listByChat(chatId, { limit: 2 });
    const second = await store.listByChat(chatId, { limit: 2, cursor: first.nextCursor! });
    expect(second.records).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    expect((await store.listByChat(chatId, { limit: 4 })).nextCursor).toBeNull();
  });

  it("refuses a cursor it did not hand out, or one from another chat, with a 400", async () => {
    const chatId = randomUUID();
    await store.create(update(chatId, T0));
    await store.create(update(chatId, T1));
    const page = await store.listByChat(chatId, { limit: 1 });
    expect(page.nextCursor).not.toBeNull();
    await expect(store.listByChat(randomUUID(), { limit: 1, cursor: page.nextCursor! })).rejects.toBeInstanceOf(
      ServiceError,
    );
    for (const bad of ["garbage", Buffer.from("[1,2,3]").toString("base64url"), "%%%"]) {
      const error = await store.listByChat(chatId, { limit: 1, cursor: bad }).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 400, code: 1005 });
    }
  });

  it("reads a chat's open operations of one kind, oldest first, consistently", async () => {
    const chatId = randomUUID();
    const newer = update(chatId, T1);
    const older = update(chatId, T0);
    const done = settlePart(update(chatId, T0), "display_name", { status: "succeeded", at: T1, by: "webhook" })!;
    for (const record of [newer, older, removal(chatId, T0)]) await store.create(record);
    await store.create(done);
    const open = await store.openOperations(chatId, "chat.update");
    expect(open.map((r) => r.trace_id)).toEqual([older.trace_id, newer.trace_id]);
  });

  it("pages through pending operations after a given one, even one settled since", async () => {
    const chatId = randomUUID();
    const old = ["2019-12-31T06:00:01.000Z", "2019-12-31T06:00:02.000Z", "2019-12-31T06:00:03.000Z"].map((at) =>
      update(chatId, at),
    );
    for (const record of old) await store.create(record);
    const first = await store.pendingBefore("2019-12-31T06:00:04.000Z", 2);
    expect(first.map((r) => r.trace_id)).toEqual([old[0]!.trace_id, old[1]!.trace_id]);
    // The page's last record settles before the next page is read: its position still holds.
    await store.save(settlePart(old[1]!, "display_name", { status: "succeeded", at: T1, by: "webhook" })!, 1);
    const second = await store.pendingBefore("2019-12-31T06:00:04.000Z", 2, first[1]);
    expect(second.map((r) => r.trace_id)).toEqual([old[2]!.trace_id]);
  });

  it("finds pending operations and unpublished outcomes through their sparse indexes", async () => {
    const chatId = randomUUID();
    const pending = update(chatId, "2020-01-01T00:00:00.000Z");
    const settled = settlePart(update(chatId, "2020-01-01T00:00:00.000Z"), "display_name", {
      status: "succeeded",
      at: "2020-01-01T00:00:01.000Z",
      by: "webhook",
    })!;
    await store.create(pending);
    await store.create(settled);

    const due = await store.pendingBefore("2020-01-02T00:00:00.000Z", 100);
    expect(due.map((r) => r.trace_id)).toContain(pending.trace_id);
    expect(due.map((r) => r.trace_id)).not.toContain(settled.trace_id);
    expect(await store.pendingBefore("2019-12-31T00:00:00.000Z", 100)).toEqual([]);

    const outbox = await store.outboxBefore("2020-01-02T00:00:00.000Z", 100);
    expect(outbox.map((r) => r.trace_id)).toContain(settled.trace_id);

    expect(await store.clearOutbox(settled)).toBe(true);
    expect(await store.clearOutbox(settled)).toBe(false);
    const cleared = (await store.get(chatId, settled.trace_id))!;
    expect(cleared.outbox_since).toBeUndefined();
    // A writer still holding the marked version cannot bring the mark back.
    expect(await store.save({ ...settled, version: settled.version + 1 }, settled.version)).toBe("conflict");
    expect((await store.outboxBefore("2020-01-02T00:00:00.000Z", 100)).map((r) => r.trace_id)).not.toContain(
      settled.trace_id,
    );
  });
});
