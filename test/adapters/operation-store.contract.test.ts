/**
 * One contract for both stores: the DynamoDB store against Amazon's DynamoDB Local (its conditions, transactions and
 * indexes are DynamoDB's own behaviour, so no fake stands in for it), and the in-memory store the domain tests use,
 * which must answer exactly alike.
 */
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { DynamoOperationStore } from "../../src/adapters/dynamo-operation-store.ts";
import { InvalidCursor } from "../../src/domain/errors.ts";
import type { KeptEvent } from "../../src/domain/kept-event.ts";
import { newOperation, recordCall, settlePart, type StoredOperation } from "../../src/domain/operation.ts";
import type { Backlog, OperationQueries, OperationStore } from "../../src/domain/ports.ts";
import { InMemoryOperationStore } from "../fakes/operation-store.ts";
import { freshTables } from "../support/dynamodb.ts";

type Store = OperationStore & OperationQueries & Backlog;

const HOUR = 3600_000;
const T0 = "2026-11-21T10:00:00.000Z";
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

/** The stores read the watch window against this clock. */
let now = Date.parse(T0);
const clock = () => new Date(now);
const options = { watchWindowMs: HOUR, recordTtlSeconds: 90 * 24 * 3600, now: clock };

const stores: [string, () => Promise<Store>][] = [
  ["in-memory", async () => new InMemoryOperationStore({ now: clock, items: options })],
  [
    "DynamoDB Local",
    async () => {
      const tables = await freshTables();
      return new DynamoOperationStore({ client: tables.client, tableName: tables.operations, ...options });
    },
  ],
];

/** A record whose call to Linq has been answered: nothing in flight. */
function answered(record: StoredOperation): StoredOperation {
  const { calling_since: _answered, ...rest } = record;
  return rest;
}

function update(chatId: string, created: string, name = "Team"): StoredOperation {
  return answered(
    newOperation({
      kind: "chat.update",
      id: randomUUID(),
      chatId,
      request: { display_name: name },
      source: "http",
      now: created,
    }),
  );
}

function removal(chatId: string, created: string, handle = "+15550000004"): StoredOperation {
  return answered(
    newOperation({
      kind: "participant.remove",
      id: randomUUID(),
      chatId,
      request: { handle },
      source: "http",
      now: created,
    }),
  );
}

function kept(chatId: string, eventId: string, received: string, kind: KeptEvent["kind"] = "change"): KeptEvent {
  return { chat_id: chatId, id: `event#${eventId}`, kind, part: "display_name", received_at: received, version: 0 };
}

function succeed(record: StoredOperation, when: string): StoredOperation {
  return settlePart(record, "display_name", {
    status: "succeeded",
    at: when,
    by: "webhook",
    basis: "proven",
    evidence: {
      source: "webhook",
      event_id: randomUUID(),
      event_type: "chat.group_name_updated",
      at: when,
      received_at: when,
    },
  });
}

describe.each(stores)("the operation store (%s)", (_name, open) => {
  let store: Store;
  beforeAll(async () => {
    store = await open();
    now = Date.parse(T0);
  });

  async function create(record: StoredOperation): Promise<StoredOperation> {
    const committed = await store.commit([{ type: "operation", before: undefined, after: record }]);
    if (committed.result !== "saved") throw new Error("not created");
    return committed.operations[0]!;
  }

  describe("commit", () => {
    it("creates a record only if none exists under its key, at version 1", async () => {
      const record = update(randomUUID(), T0);
      const created = await create(record);
      expect(created.version).toBe(1);
      expect(await store.commit([{ type: "operation", before: undefined, after: record }])).toEqual({
        result: "conflict",
      });
      expect(await store.get(record.chat_id, record.id)).toEqual(created);
    });

    it("replaces a record only at the version it was read at, and owns the next version", async () => {
      const created = await create(update(randomUUID(), T0));
      const next = succeed(created, at(1000));
      const saved = await store.commit([{ type: "operation", before: created, after: { ...next, version: 99 } }]);
      expect(saved).toMatchObject({ result: "saved", operations: [{ version: 2, status: "succeeded" }] });
      expect(await store.commit([{ type: "operation", before: created, after: next }])).toEqual({ result: "conflict" });
      expect((await store.get(created.chat_id, created.id))?.version).toBe(2);
    });

    it("writes several items all or nothing", async () => {
      const chatId = randomUUID();
      const a = await create(update(chatId, T0, "A"));
      const b = await create(update(chatId, at(1), "B"));
      await store.commit([{ type: "operation", before: b, after: succeed(b, at(2)) }]);
      const both = await store.commit([
        { type: "operation", before: a, after: succeed(a, at(3)) },
        { type: "operation", before: b, after: succeed(b, at(3)) },
        { type: "event", before: undefined, after: kept(chatId, "e1", at(3)) },
      ]);
      expect(both).toEqual({ result: "conflict" });
      expect((await store.get(chatId, a.id))?.status).toBe("pending");
      expect((await store.watch(chatId)).events).toEqual([]);
    });

    it("lets exactly one of many concurrent writers of one version win", async () => {
      const created = await create(update(randomUUID(), T0));
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          store.commit([{ type: "operation", before: created, after: succeed(created, at(i)) }]),
        ),
      );
      expect(results.filter((r) => r.result === "saved")).toHaveLength(1);
      expect(results.filter((r) => r.result === "conflict")).toHaveLength(24);
    });
  });

  describe("watch: what new evidence is weighed against", () => {
    it("holds open operations, those settled within the window and recent kept events, nothing older", async () => {
      const chatId = randomUUID();
      now = Date.parse(T0);
      const old = await create(update(chatId, T0, "Old"));
      await store.commit([{ type: "operation", before: old, after: succeed(old, at(1000)) }]);
      await store.commit([{ type: "event", before: undefined, after: kept(chatId, "old-change", at(1000)) }]);
      await store.commit([{ type: "event", before: undefined, after: kept(chatId, "open", at(1000), "ambiguous") }]);
      now = Date.parse(T0) + 2 * HOUR;
      const recent = await create(update(chatId, at(2 * HOUR), "Recent"));
      await store.commit([{ type: "operation", before: recent, after: succeed(recent, at(2 * HOUR)) }]);
      const pending = await create(removal(chatId, at(2 * HOUR)));

      const view = await store.watch(chatId);

      expect(view.operations.map((r) => r.id).sort()).toEqual([recent.id, pending.id].sort());
      expect(view.events.map((e) => e.id)).toEqual(["event#open"]);
    });

    it("reads only that chat", async () => {
      const mine = await create(update(randomUUID(), at(2 * HOUR)));
      await create(update(randomUUID(), at(2 * HOUR)));
      expect((await store.watch(mine.chat_id)).operations.map((r) => r.id)).toEqual([mine.id]);
    });
  });

  describe("the read routes' queries", () => {
    it("finds a removal by Linq's trace id, within its chat and alone, and no longer by ours", async () => {
      const created = await create(removal(randomUUID(), T0));
      const answered = recordCall(created, { result: "accepted", status: 202, body: { trace_id: "linq-abc" } }, at(1));
      await store.commit([{ type: "operation", before: created, after: answered }]);

      expect((await store.byChatAndTraceId(created.chat_id, "linq-abc"))?.id).toBe(created.id);
      expect(await store.byChatAndTraceId(created.chat_id, created.id)).toBeUndefined();
      expect(await store.byChatAndTraceId(randomUUID(), "linq-abc")).toBeUndefined();
      expect((await store.byTraceId("linq-abc"))?.id).toBe(created.id);
      expect(await store.byTraceId("nobody")).toBeUndefined();
    });

    it("lists a chat's operations newest first, a page at a time, with no cursor to an empty page", async () => {
      const chatId = randomUUID();
      const records = [];
      for (let i = 0; i < 5; i++) records.push(await create(update(chatId, at(i * 1000), `n${i}`)));
      await store.commit([{ type: "event", before: undefined, after: kept(chatId, "not-listed", at(10)) }]);

      const first = await store.listByChat(chatId, { limit: 3 });
      expect(first.records.map((r) => r.id)).toEqual([records[4]!.id, records[3]!.id, records[2]!.id]);
      const second = await store.listByChat(chatId, { limit: 2, cursor: first.nextCursor! });
      expect(second.records.map((r) => r.id)).toEqual([records[1]!.id, records[0]!.id]);
      expect(second.nextCursor).toBeNull();
    });

    it("refuses a cursor of another chat, or not its own, as InvalidCursor", async () => {
      const chatId = randomUUID();
      for (let i = 0; i < 3; i++) await create(update(chatId, at(i)));
      const { nextCursor } = await store.listByChat(chatId, { limit: 1 });
      const forged = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString("base64url");
      for (const cursor of [
        "not-a-cursor",
        forged([chatId, "", ""]),
        forged([chatId, "x".repeat(600), "y"]),
        forged({}),
        forged([chatId, 1, 2]),
      ]) {
        await expect(store.listByChat(chatId, { limit: 1, cursor })).rejects.toBeInstanceOf(InvalidCursor);
      }
      await expect(store.listByChat(randomUUID(), { limit: 1, cursor: nextCursor! })).rejects.toBeInstanceOf(
        InvalidCursor,
      );
    });
  });

  describe("the reconciler's backlog", () => {
    it("pages through pending operations created before a moment, oldest first", async () => {
      const base = Date.parse("2020-01-01T00:00:00.000Z");
      const iso = (s: number) => new Date(base + s * 1000).toISOString();
      const chatId = randomUUID();
      const a = await create(update(chatId, iso(1)));
      const b = await create(removal(chatId, iso(2)));
      const settled = await create(update(chatId, iso(3)));
      await store.commit([{ type: "operation", before: settled, after: succeed(settled, iso(4)) }]);
      await create(update(chatId, iso(100)));

      const first = await store.pendingBefore(iso(50), 1);
      expect(first.records.map((r) => r.id)).toEqual([a.id]);
      const second = await store.pendingBefore(iso(50), 1, first.next);
      expect(second.records.map((r) => r.id)).toEqual([b.id]);
      const third = second.next === undefined ? { records: [] } : await store.pendingBefore(iso(50), 1, second.next);
      expect(third.records).toEqual([]);
    });

    it("keeps a settled record whose call to Linq is still in flight, until that call is answered or given up", async () => {
      const base = Date.parse("2019-01-01T00:00:00.000Z");
      const iso = (s: number) => new Date(base + s * 1000).toISOString();
      const inFlight = await create({ ...update(randomUUID(), iso(1)), calling_since: iso(1) });
      const settled = await store.commit([{ type: "operation", before: inFlight, after: succeed(inFlight, iso(2)) }]);
      expect(settled.result).toBe("saved");

      expect((await store.pendingBefore(iso(50), 10)).records.map((r) => r.id)).toEqual([inFlight.id]);
    });
  });
});
