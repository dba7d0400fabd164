/**
 * The domain tests are only as good as the fake they run against: these pin the in-memory store to the conditions the
 * DynamoDB store enforces (src/adapters/dynamo-operation-store.ts).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { newOperation, settlePart, type StoredOperation } from "../../src/domain/operation.ts";
import { InMemoryOperationStore } from "../fakes/operation-store.ts";
import { CHAT } from "../fakes/world.ts";

const T0 = "2026-03-01T12:00:00.000Z";

function update(traceId: string, createdAt = T0): StoredOperation {
  return newOperation({
    kind: "chat.update",
    chatId: CHAT,
    traceId,
    request: { display_name: "Team" },
    source: "http",
    now: createdAt,
  });
}

function succeeded(record: StoredOperation, at: string): StoredOperation {
  const next = settlePart(record, "display_name", { status: "succeeded", at, by: "webhook" });
  if (next === undefined) throw new Error("expected a transition");
  return next;
}

let store: InMemoryOperationStore;
beforeEach(() => {
  store = new InMemoryOperationStore();
});

describe("the in-memory operation store", () => {
  it("creates a record only when none exists under its key", async () => {
    expect(await store.create(update("t1"))).toBe(true);
    expect(await store.create(update("t1"))).toBe(false);
  });

  it("saves only at the expected version, and never a record that does not exist", async () => {
    const record = update("t1");
    await store.create(record);
    const next = succeeded(record, "2026-03-01T12:00:01.000Z");

    expect(await store.save(next, 7)).toBe("conflict");
    expect(await store.save(next, record.version)).toBe("saved");
    expect(await store.save(next, record.version)).toBe("conflict");
    expect(await store.save(update("ghost"), 1)).toBe("conflict");
  });

  it("applies a delivery id once, and a used delivery id wins over a version conflict", async () => {
    const record = update("t1");
    await store.create(record);
    const next = succeeded(record, "2026-03-01T12:00:01.000Z");

    expect(await store.save(next, record.version, "msg_1")).toBe("saved");
    expect(await store.save({ ...next, version: next.version + 1 }, next.version, "msg_1")).toBe("duplicate-delivery");
    expect(await store.save(next, 99, "msg_1")).toBe("duplicate-delivery");
    const change = { chat_id: CHAT, event_id: "e", event_type: "x", at: T0, data: {} };
    expect(await store.recordChatChange(change, "msg_1")).toBe("duplicate-delivery");
    expect(await store.recordChatChange(change, "msg_2")).toBe("saved");
  });

  it("does not apply the delivery id of a save that conflicted", async () => {
    const record = update("t1");
    await store.create(record);

    expect(await store.save(succeeded(record, T0), 5, "msg_1")).toBe("conflict");
    expect(store.hasDelivery("msg_1")).toBe(false);
  });

  it("renames both-or-neither: the named key must be free and the intent still at its version", async () => {
    const intent = update("ours");
    await store.create(intent);
    await store.create(update("taken"));

    expect(await store.rename(intent, { ...intent, trace_id: "taken" })).toBe("conflict");
    expect(await store.rename({ ...intent, version: 2 }, { ...intent, trace_id: "linq" })).toBe("conflict");
    expect(await store.get(CHAT, "ours")).toBeDefined();

    expect(await store.rename(intent, { ...intent, trace_id: "linq" })).toBe("saved");
    expect(await store.get(CHAT, "ours")).toBeUndefined();
    expect(await store.get(CHAT, "linq")).toBeDefined();
  });

  it("lists open operations of a kind, oldest first, including a terminal one with a part still pending", async () => {
    const both = newOperation({
      kind: "chat.update",
      chatId: CHAT,
      traceId: "both",
      request: { display_name: "A", group_chat_icon: "https://cdn.test/i.png" },
      source: "http",
      now: "2026-03-01T12:00:02.000Z",
    });
    const failedHalf = settlePart(both, "group_chat_icon", {
      status: "failed",
      at: T0,
      by: "webhook",
      errorCode: 4001,
    });
    store.put(failedHalf ?? both);
    await store.create(update("older", "2026-03-01T12:00:01.000Z"));
    store.put(succeeded(update("done"), T0));

    expect((await store.openOperations(CHAT, "chat.update")).map((r) => r.trace_id)).toEqual(["older", "both"]);
    expect(await store.openOperations(CHAT, "participant.remove")).toEqual([]);
  });

  it("finds pending records and outbox marks strictly before the given time, oldest first", async () => {
    await store.create(update("b", "2026-03-01T12:00:02.000Z"));
    await store.create(update("a", "2026-03-01T12:00:01.000Z"));
    await store.create(update("c", "2026-03-01T12:00:03.000Z"));
    store.put(succeeded(update("marked", T0), "2026-03-01T12:00:01.000Z"));

    expect((await store.pendingBefore("2026-03-01T12:00:03.000Z", 10)).map((r) => r.trace_id)).toEqual(["a", "b"]);
    expect((await store.pendingBefore("2026-03-01T12:00:09.000Z", 1)).map((r) => r.trace_id)).toEqual(["a"]);
    expect((await store.outboxBefore("2026-03-01T12:00:01.000Z", 10)).map((r) => r.trace_id)).toEqual([]);
    expect((await store.outboxBefore("2026-03-01T12:00:02.000Z", 10)).map((r) => r.trace_id)).toEqual(["marked"]);
  });

  it("clears an outbox mark only while it is unchanged, and moves the version", async () => {
    const marked = succeeded(update("t1"), "2026-03-01T12:00:01.000Z");
    store.put(marked);

    expect(await store.clearOutbox({ ...marked, outbox_since: "2026-03-01T12:00:09.000Z" })).toBe(false);
    expect(await store.clearOutbox(marked)).toBe(true);
    expect(await store.clearOutbox(marked)).toBe(false);
    const cleared = await store.get(CHAT, "t1");
    expect(cleared?.outbox_since).toBeUndefined();
    expect(cleared?.version).toBe(marked.version + 1);
  });

  it("hands out copies: changing a record read does not change the store", async () => {
    await store.create(update("t1"));
    const read = await store.get(CHAT, "t1");
    if (read === undefined) throw new Error("expected the record");
    read.status = "failed";

    expect((await store.get(CHAT, "t1"))?.status).toBe("pending");
  });
});
