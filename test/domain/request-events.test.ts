import { beforeEach, describe, expect, it } from "vitest";
import { LinqUnavailable } from "../../src/domain/errors.ts";
import { redriveEntry, requestEventOf } from "../../src/domain/dead-letters.ts";
import { runRequestEvent } from "../../src/domain/request-events.ts";
import { refusal, unavailable } from "../fakes/linq-api.ts";
import { CHAT, makeWorld, type World } from "../fakes/world.ts";

let world: World;
beforeEach(() => {
  world = makeWorld();
});

/** An EventBridge event as Lambda receives it. */
function requested(detailType: string, detail: unknown, id = "evt-1") {
  return {
    version: "0",
    id,
    "detail-type": detailType,
    source: "crm.app",
    account: "123456789012",
    time: "2026-03-01T12:00:00Z",
    region: "eu-west-1",
    resources: [],
    detail,
  };
}

const updateRequested = (detail: unknown, id?: string) => requested("chat.update.requested", detail, id);
const removeRequested = (detail: unknown, id?: string) => requested("participant.remove.requested", detail, id);

describe("a valid request event", () => {
  it("runs the same update operation as the HTTP route, recorded with source eventbridge", async () => {
    const outcome = await runRequestEvent(world, updateRequested({ chat_id: CHAT, display_name: "Team" }));

    expect(outcome).toEqual({ result: "accepted", traceId: "ours-1" });
    expect(world.linq.callsOf("updateChat")).toEqual([
      { op: "updateChat", chatId: CHAT, request: { display_name: "Team" } },
    ]);
    expect(world.store.all()).toMatchObject([{ trace_id: "ours-1", source: "eventbridge", status: "pending" }]);
    expect(world.rejected.rejected).toEqual([]);
  });

  it("runs the same removal, with the phone's separators dropped and Linq's trace id adopted", async () => {
    world.linq.answerRemoveParticipant({
      body: { message: "Participant removal queued", status: "accepted", trace_id: "linq-t1" },
    });

    const outcome = await runRequestEvent(world, removeRequested({ chat_id: CHAT, handle: "+1 (555) 123-4567" }));

    expect(outcome).toEqual({ result: "accepted", traceId: "linq-t1" });
    expect(world.linq.callsOf("removeParticipant")).toMatchObject([{ handle: "+15551234567" }]);
    expect(world.store.all()).toMatchObject([{ trace_id: "linq-t1", source: "eventbridge" }]);
  });

  it("sends Linq an email handle as the requester wrote it: case is normalised for matching only", async () => {
    const outcome = await runRequestEvent(world, removeRequested({ chat_id: CHAT, handle: "Carol@Example.COM" }));

    expect(outcome).toMatchObject({ result: "accepted" });
    expect(world.linq.callsOf("removeParticipant")).toMatchObject([{ handle: "Carol@Example.COM" }]);
    expect(world.store.all()).toMatchObject([{ request: { handle: "Carol@Example.COM" } }]);
  });

  it("delivered twice with the same event id calls Linq once and records one operation", async () => {
    const event = updateRequested({ chat_id: CHAT, display_name: "Team" }, "evt-1");

    const first = await runRequestEvent(world, event);
    const second = await runRequestEvent(world, event);

    expect(second).toEqual(first);
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
    expect(world.store.all()).toHaveLength(1);
  });

  it("with an idempotency_key is deduplicated across different event ids", async () => {
    const detail = { chat_id: CHAT, display_name: "Team", idempotency_key: "order-42" };

    const first = await runRequestEvent(world, updateRequested(detail, "evt-1"));
    const second = await runRequestEvent(world, updateRequested(detail, "evt-2"));

    expect(second).toEqual(first);
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
    expect(world.store.all()).toHaveLength(1);
  });

  it("without an idempotency_key, two event ids are two operations", async () => {
    await runRequestEvent(world, updateRequested({ chat_id: CHAT, display_name: "Team" }, "evt-1"));
    await runRequestEvent(world, updateRequested({ chat_id: CHAT, display_name: "Team" }, "evt-2"));

    expect(world.linq.callsOf("updateChat")).toHaveLength(2);
    expect(world.store.all()).toHaveLength(2);
  });
});

describe("a malformed request event", () => {
  it("is rejected with the reason, Linq is not called, and a failed record plus operation.failed tell the requester", async () => {
    const event = updateRequested({ chat_id: CHAT, display_name: "" });

    const outcome = await runRequestEvent(world, event);

    expect(outcome).toEqual({
      result: "rejected",
      reason: "display_name must not be empty",
      traceId: expect.any(String),
    });
    const traceId = (outcome as { traceId: string }).traceId;
    expect(world.rejected.rejected).toEqual([{ event, reason: "display_name must not be empty" }]);
    expect(world.linq.calls).toEqual([]);
    expect(world.store.all()).toMatchObject([
      {
        trace_id: traceId,
        kind: "chat.update",
        status: "failed",
        source: "eventbridge",
        error: { code: 1005, status: 400, message: "display_name must not be empty" },
        results: { display_name: { status: "failed", settled_by: "service", basis: "proven" } },
        linq_attempts: [],
      },
    ]);
    expect(world.publisher.published).toMatchObject([{ trace_id: traceId, status: "failed", error: { code: 1005 } }]);
  });

  it("redelivered, is dead-lettered again but recorded once: one failed record, one operation.failed", async () => {
    const event = updateRequested({ chat_id: CHAT, display_name: "" });

    const first = await runRequestEvent(world, event);
    const again = await runRequestEvent(world, event);

    expect(again).toEqual({ ...first, duplicate: true });
    expect(world.rejected.rejected).toEqual([
      { event, reason: "display_name must not be empty" },
      { event, reason: "display_name must not be empty" },
    ]);
    expect(world.store.all()).toHaveLength(1);
    expect(world.publisher.published).toHaveLength(1);
    expect(world.metrics.total("OperationRequested", { kind: "chat.update", source: "eventbridge" })).toBe(1);
    expect(world.metrics.total("OperationFailed", { kind: "chat.update", settled_by: "service" })).toBe(1);
  });

  it.each([
    ["without an idempotency_key", { chat_id: CHAT, display_name: "" }],
    ["with its own idempotency_key", { chat_id: CHAT, display_name: "", idempotency_key: "order-42" }],
  ])(
    "%s, redriven from the dead-letter queue before a fix, names the same failed record: no second record or outcome",
    async (_what, detail) => {
      const event = updateRequested(detail, "evt-1");
      const first = await runRequestEvent(world, event);

      const entry = redriveEntry(requestEventOf(event)!);
      const redriven = updateRequested(JSON.parse(entry.detail), "evt-redriven");
      const again = await runRequestEvent(world, redriven);

      expect(again).toEqual({ ...first, duplicate: true });
      expect(world.rejected.rejected).toMatchObject([{ event }, { event: redriven }]);
      expect(world.store.all()).toHaveLength(1);
      expect(world.publisher.published).toHaveLength(1);
    },
  );

  it("a valid request under a rejected one's key runs (a redrive once fixed): the rejection never bound the key", async () => {
    const detail = { chat_id: CHAT, display_name: "Team", idempotency_key: "order-42" };
    await runRequestEvent(world, updateRequested({ ...detail, display_name: "" }, "evt-1"));

    const outcome = await runRequestEvent(world, updateRequested(detail, "evt-redriven"));

    expect(outcome).toMatchObject({ result: "accepted" });
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
    expect(
      world.store
        .all()
        .map((record) => record.status)
        .sort(),
    ).toEqual(["failed", "pending"]);
  });

  it("one key misused for two chats records two failures with two trace ids", async () => {
    const other = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    const first = await runRequestEvent(
      world,
      updateRequested({ chat_id: CHAT, display_name: "", idempotency_key: "k" }),
    );
    const second = await runRequestEvent(
      world,
      updateRequested({ chat_id: other, display_name: "", idempotency_key: "k" }, "evt-2"),
    );

    expect(second).not.toHaveProperty("duplicate");
    expect((second as { traceId: string }).traceId).not.toBe((first as { traceId: string }).traceId);
    expect(world.publisher.published).toHaveLength(2);
  });

  it("naming a chat but no usable field is still recorded failed and published, never left pending", async () => {
    const outcome = await runRequestEvent(world, updateRequested({ chat_id: CHAT, display_name: 5 }));

    expect(outcome).toMatchObject({ result: "rejected" });
    expect(world.store.all()).toMatchObject([{ status: "failed", results: {}, error: { code: 1003 } }]);
    expect(world.publisher.published).toMatchObject([{ status: "failed" }]);
  });

  it("records a removal with a handle that is not E.164 as failed with 1002", async () => {
    const outcome = await runRequestEvent(world, removeRequested({ chat_id: CHAT, handle: "555-1234" }));

    expect(outcome).toMatchObject({ result: "rejected", traceId: expect.any(String) });
    expect(world.store.all()).toMatchObject([
      {
        kind: "participant.remove",
        status: "failed",
        request: { handle: "555-1234" },
        error: { code: 1002 },
      },
    ]);
    expect(world.publisher.published).toHaveLength(1);
  });

  it.each([
    ["a chat_id that is not a UUID", { chat_id: "chat-1", display_name: "Team" }],
    ["no chat_id", { display_name: "Team" }],
    ["a detail that is not an object", "Team"],
  ])("with %s is rejected without any record or outcome event", async (_what, detail) => {
    const outcome = await runRequestEvent(world, updateRequested(detail));

    expect(outcome).toMatchObject({ result: "rejected" });
    expect(outcome).not.toHaveProperty("traceId");
    expect(world.rejected.rejected).toHaveLength(1);
    expect(world.linq.calls).toEqual([]);
    expect(world.store.all()).toEqual([]);
    expect(world.publisher.published).toEqual([]);
  });

  it.each([
    ["an unknown detail-type", requested("chat.delete.requested", { chat_id: CHAT })],
    ["no event id", { ...updateRequested({ chat_id: CHAT, display_name: "Team" }), id: undefined }],
    ["something that is not an event", "hello"],
  ])("with %s is rejected and nothing runs", async (_what, event) => {
    const outcome = await runRequestEvent(world, event);

    expect(outcome).toEqual({
      result: "rejected",
      reason: "not a chat.update.requested or participant.remove.requested event",
    });
    expect(world.rejected.rejected).toHaveLength(1);
    expect(world.linq.calls).toEqual([]);
    expect(world.store.all()).toEqual([]);
  });

  it("reusing an idempotency_key for another request is rejected, not retried", async () => {
    await runRequestEvent(world, updateRequested({ chat_id: CHAT, display_name: "A", idempotency_key: "k" }, "evt-1"));

    const outcome = await runRequestEvent(
      world,
      updateRequested({ chat_id: CHAT, display_name: "B", idempotency_key: "k" }, "evt-2"),
    );

    expect(outcome).toMatchObject({
      result: "rejected",
      reason: "Idempotency-Key was already used with a different request",
    });
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
  });
});

describe("Linq's answer to a request event", () => {
  it("a permanent refusal is recorded failed, published once and not thrown", async () => {
    world.linq.answerUpdateChat(refusal(409, 1006, "Cannot update direct message chats"));

    const outcome = await runRequestEvent(world, updateRequested({ chat_id: CHAT, display_name: "Team" }));

    expect(outcome).toEqual({ result: "refused", traceId: "ours-1" });
    expect(world.store.all()).toMatchObject([{ status: "failed", error: { code: 1006 } }]);
    expect(world.publisher.published).toMatchObject([{ status: "failed", error: { code: 1006 } }]);
    expect(world.rejected.rejected).toEqual([]);
  });

  it("a transient failure is thrown so Lambda retries, and the retry carries the same operation on", async () => {
    world.linq.answerUpdateChat(unavailable());
    const event = updateRequested({ chat_id: CHAT, display_name: "Team" });

    await expect(runRequestEvent(world, event)).rejects.toBeInstanceOf(LinqUnavailable);
    expect(world.store.all()).toMatchObject([{ trace_id: "ours-1", status: "pending" }]);

    const retried = await runRequestEvent(world, event);

    expect(retried).toEqual({ result: "accepted", traceId: "ours-1" });
    expect(world.linq.callsOf("updateChat")).toHaveLength(2);
    expect(world.store.all()).toMatchObject([
      { trace_id: "ours-1", linq_attempts: [{ result: "unknown" }, { result: "accepted" }] },
    ]);
    expect(world.rejected.rejected).toEqual([]);
  });
});
