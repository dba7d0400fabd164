import { describe, expect, it } from "vitest";
import {
  awaitingParts,
  nameTraceId,
  newOperation,
  refuse,
  settlePart,
  toPublicRecord,
  type ChatUpdateRequest,
  type PartOutcome,
  type StoredOperation,
} from "../../src/domain/operation.ts";
import { CHAT } from "../fakes/world.ts";

const T0 = "2026-03-01T12:00:00.000Z";
const T1 = "2026-03-01T12:00:01.000Z";
const T2 = "2026-03-01T12:00:02.000Z";
const T3 = "2026-03-01T12:00:03.000Z";

function update(request: ChatUpdateRequest): StoredOperation {
  return newOperation({ kind: "chat.update", chatId: CHAT, traceId: "ours-1", request, source: "http", now: T0 });
}

function removal(): StoredOperation {
  return newOperation({
    kind: "participant.remove",
    chatId: CHAT,
    traceId: "ours-1",
    request: { handle: "+15551234567" },
    source: "eventbridge",
    now: T0,
    awaitingTraceId: true,
  });
}

const succeeded = (at: string): PartOutcome => ({ status: "succeeded", at, by: "webhook" });
const failed = (at: string, errorCode = 4001): PartOutcome => ({ status: "failed", at, by: "webhook", errorCode });

function settled(record: StoredOperation | undefined): StoredOperation {
  if (record === undefined) throw new Error("expected the transition to apply");
  return record;
}

describe("a new operation", () => {
  it("is pending, at version 1, with one pending result per requested part and no outbox mark", () => {
    const record = update({ display_name: "Team", group_chat_icon: "https://x.test/i.png" });
    expect(record).toMatchObject({ status: "pending", version: 1, created_at: T0, updated_at: T0, source: "http" });
    expect(record.results).toEqual({ display_name: { status: "pending" }, group_chat_icon: { status: "pending" } });
    expect(record.outbox_since).toBeUndefined();
    expect(record.completed_at).toBeUndefined();
  });

  it("waits only on the parts that were asked for", () => {
    expect(awaitingParts(update({ display_name: "Team" }))).toEqual(["display_name"]);
    expect(awaitingParts(update({ group_chat_icon: "https://x.test/i.png" }))).toEqual(["group_chat_icon"]);
    expect(awaitingParts(removal())).toEqual(["participant"]);
  });

  it("is marked as awaiting Linq's trace id only when asked", () => {
    expect(removal().awaiting_trace_id).toBe(true);
    expect(update({ display_name: "Team" }).awaiting_trace_id).toBeUndefined();
  });
});

describe("settling a part", () => {
  it("succeeds a one-part update, stamps completed_at, bumps the version and sets the outbox mark", () => {
    const next = settled(settlePart(update({ display_name: "Team" }), "display_name", succeeded(T1)));
    expect(next).toMatchObject({ status: "succeeded", completed_at: T1, updated_at: T1, version: 2, outbox_since: T1 });
    expect(next.results.display_name).toEqual({ status: "succeeded", settled_at: T1, settled_by: "webhook" });
  });

  it("succeeds a both-part update only when both parts have succeeded", () => {
    const half = settled(
      settlePart(
        update({ display_name: "Team", group_chat_icon: "https://x.test/i.png" }),
        "display_name",
        succeeded(T1),
      ),
    );
    expect(half.status).toBe("pending");
    expect(half.completed_at).toBeUndefined();
    expect(half.outbox_since).toBeUndefined();

    const both = settled(settlePart(half, "group_chat_icon", succeeded(T2)));
    expect(both).toMatchObject({ status: "succeeded", completed_at: T2, outbox_since: T2 });
  });

  it("fails the operation as soon as one part fails, with Linq's error_code", () => {
    const record = update({ display_name: "Team", group_chat_icon: "https://x.test/i.png" });
    const next = settled(settlePart(record, "group_chat_icon", failed(T1, 4001)));
    expect(next).toMatchObject({ status: "failed", completed_at: T1, outbox_since: T1 });
    expect(next.error).toMatchObject({ code: 4001 });
    expect(next.results.group_chat_icon).toMatchObject({ status: "failed", error_code: 4001 });
    expect(next.results.display_name).toEqual({ status: "pending" });
  });

  it("never moves a part backwards: the first outcome wins", () => {
    const done = settled(settlePart(update({ display_name: "Team" }), "display_name", succeeded(T1)));
    expect(settlePart(done, "display_name", failed(T2))).toBeUndefined();
    expect(settlePart(done, "display_name", succeeded(T2))).toBeUndefined();

    const lost = settled(settlePart(update({ display_name: "Team" }), "display_name", failed(T1)));
    expect(settlePart(lost, "display_name", succeeded(T2))).toBeUndefined();
  });

  it("ignores a part the operation did not ask for", () => {
    expect(settlePart(update({ display_name: "Team" }), "group_chat_icon", succeeded(T1))).toBeUndefined();
    expect(settlePart(update({ display_name: "Team" }), "participant", succeeded(T1))).toBeUndefined();
  });

  it("records a part settled after the operation is terminal without moving its status, completed_at or error", () => {
    const record = update({ display_name: "Team", group_chat_icon: "https://x.test/i.png" });
    const failedFirst = settled(settlePart(record, "display_name", failed(T1, 3007)));
    const late = settled(settlePart(failedFirst, "group_chat_icon", succeeded(T2)));

    expect(late.results.group_chat_icon).toMatchObject({ status: "succeeded", settled_at: T2 });
    expect(late).toMatchObject({ status: "failed", completed_at: T1, error: failedFirst.error, version: 3 });
    expect(awaitingParts(late)).toEqual([]);
  });

  it("sets the outbox mark only on the terminal transition, never on a late part", () => {
    const record = update({ display_name: "Team", group_chat_icon: "https://x.test/i.png" });
    const failedFirst = settled(settlePart(record, "display_name", failed(T1)));
    const { outbox_since: _published, ...afterPublish } = failedFirst;
    const late = settled(
      settlePart({ ...afterPublish, version: failedFirst.version + 1 }, "group_chat_icon", succeeded(T3)),
    );
    expect(late.outbox_since).toBeUndefined();
  });

  it("does not change the record it was given", () => {
    const record = update({ display_name: "Team" });
    const copy = structuredClone(record);
    settlePart(record, "display_name", succeeded(T1));
    expect(record).toEqual(copy);
  });
});

describe("refuse (Linq said no outright)", () => {
  it("fails every part with Linq's code, makes the operation terminal and sets the outbox mark", () => {
    const record = update({ display_name: "Team", group_chat_icon: "https://x.test/i.png" });
    const error = { code: 1006, message: "Cannot update direct message chats", status: 409 };
    const next = settled(refuse(record, error, T1));

    expect(next).toMatchObject({ status: "failed", error, completed_at: T1, outbox_since: T1, version: 2 });
    for (const part of ["display_name", "group_chat_icon"] as const) {
      expect(next.results[part]).toEqual({
        status: "failed",
        settled_at: T1,
        settled_by: "linq",
        error_code: 1006,
        reason: error.message,
      });
    }
  });

  it("never leaves a terminal state", () => {
    const done = settled(settlePart(update({ display_name: "Team" }), "display_name", succeeded(T1)));
    expect(refuse(done, { code: 2013, message: "unavailable" }, T2)).toBeUndefined();
  });
});

describe("naming a removal with Linq's trace id", () => {
  it("keeps everything learned meanwhile, drops the awaiting mark and starts the new key at version 1", () => {
    const intent = settled(settlePart(removal(), "participant", succeeded(T1)));
    const named = nameTraceId(intent, "linq-trace-9", T2);
    expect(named).toMatchObject({ trace_id: "linq-trace-9", status: "succeeded", version: 1, outbox_since: T1 });
    expect(named.awaiting_trace_id).toBeUndefined();
  });
});

describe("the public record", () => {
  it("carries the contract's fields and none of the store's", () => {
    const record = settled(settlePart(removal(), "participant", failed(T1)));
    const view = toPublicRecord(record) as unknown as Record<string, unknown>;
    expect(Object.keys(view)).toEqual([
      "chat_id",
      "trace_id",
      "kind",
      "status",
      "request",
      "results",
      "source",
      "created_at",
      "updated_at",
      "completed_at",
      "error",
    ]);
  });
});
