import { describe, expect, it } from "vitest";
import { LinqRefusal } from "../../src/domain/errors.ts";
import {
  abandonCall,
  addEvidence,
  awaitingParts,
  newOperation,
  recordCall,
  refuse,
  settlePart,
  startCall,
  toPublicRecord,
  type ChatUpdateRequest,
  type Evidence,
  type PartOutcome,
  type StoredOperation,
} from "../../src/domain/operation.ts";
import { outcomeOf } from "../../src/domain/outcomes.ts";
import { CHAT } from "../fakes/world.ts";

const T0 = "2026-03-01T12:00:00.000Z";
const T1 = "2026-03-01T12:00:01.000Z";
const T2 = "2026-03-01T12:00:02.000Z";
const T3 = "2026-03-01T12:00:03.000Z";
const ICON = "https://x.test/i.png";

function update(request: ChatUpdateRequest): StoredOperation {
  return newOperation({ kind: "chat.update", chatId: CHAT, id: "ours-1", request, source: "http", now: T0 });
}

function removal(): StoredOperation {
  return newOperation({
    kind: "participant.remove",
    chatId: CHAT,
    id: "ours-1",
    request: { handle: "+15551234567" },
    source: "eventbridge",
    now: T0,
  });
}

function webhook(eventId: string, at: string): Evidence {
  return { source: "webhook", event_id: eventId, event_type: "chat.group_name_updated", at, received_at: at };
}

const succeeded = (at: string, eventId = `e-${at}`): PartOutcome => ({
  status: "succeeded",
  at,
  by: "webhook",
  basis: "proven",
  evidence: webhook(eventId, at),
});
const failed = (at: string, errorCode = 4001): PartOutcome => ({
  status: "failed",
  at,
  by: "webhook",
  basis: "inferred",
  errorCode,
  evidence: webhook(`f-${at}`, at),
});

describe("a new operation", () => {
  it("is pending with one pending result per requested part, no Linq call recorded yet and its call under way", () => {
    const record = update({ display_name: "Team", group_chat_icon: ICON });
    expect(record).toMatchObject({
      status: "pending",
      created_at: T0,
      updated_at: T0,
      source: "http",
      linq_attempts: [],
      calling_since: T0,
    });
    expect(record.results).toEqual({ display_name: { status: "pending" }, group_chat_icon: { status: "pending" } });
    expect(record.completed_at).toBeUndefined();
  });

  it("waits only on the parts that were asked for", () => {
    expect(awaitingParts(update({ display_name: "Team" }))).toEqual(["display_name"]);
    expect(awaitingParts(update({ group_chat_icon: ICON }))).toEqual(["group_chat_icon"]);
    expect(awaitingParts(removal())).toEqual(["participant"]);
  });

  it("is keyed by our id, which is its public trace id until Linq names one", () => {
    expect(removal()).toMatchObject({ id: "ours-1", trace_id: "ours-1" });
    expect(update({ display_name: "Team" })).toMatchObject({ id: "ours-1", trace_id: "ours-1" });
  });
});

describe("settling a part", () => {
  it("succeeds a one-part update, stamps completed_at, and keeps what the outcome rests on", () => {
    const next = settlePart(update({ display_name: "Team" }), "display_name", succeeded(T1, "e1"));
    expect(next).toMatchObject({ status: "succeeded", completed_at: T1, updated_at: T1 });
    expect(next.results.display_name).toEqual({
      status: "succeeded",
      settled_at: T1,
      settled_by: "webhook",
      basis: "proven",
      evidence: [webhook("e1", T1)],
    });
  });

  it("stamps updated_at with when we learned it, and the outcome's time with when it happened", () => {
    const next = settlePart(update({ display_name: "Team" }), "display_name", { ...succeeded(T1), recordedAt: T3 });
    expect(next).toMatchObject({ completed_at: T1, updated_at: T3, results: { display_name: { settled_at: T1 } } });
  });

  it("succeeds a both-part update only when both parts have succeeded", () => {
    const half = settlePart(update({ display_name: "Team", group_chat_icon: ICON }), "display_name", succeeded(T1));
    expect(half.status).toBe("pending");
    expect(half.completed_at).toBeUndefined();

    const both = settlePart(half, "group_chat_icon", succeeded(T2));
    expect(both).toMatchObject({ status: "succeeded", completed_at: T2 });
  });

  it("fails the operation as soon as one part fails, with Linq's error_code", () => {
    const record = update({ display_name: "Team", group_chat_icon: ICON });
    const next = settlePart(record, "group_chat_icon", failed(T1, 4001));
    expect(next).toMatchObject({ status: "failed", completed_at: T1 });
    expect(next.error).toMatchObject({ code: 4001 });
    expect(next.results.group_chat_icon).toMatchObject({ status: "failed", error_code: 4001, basis: "inferred" });
    expect(next.results.display_name).toEqual({ status: "pending" });
  });

  it("never moves a part backwards: the first outcome wins, and a later one is kept as evidence only", () => {
    const done = settlePart(update({ display_name: "Team" }), "display_name", succeeded(T1, "e1"));
    const contradicted = settlePart(done, "display_name", failed(T2));
    expect(contradicted).toMatchObject({ status: "succeeded", completed_at: T1 });
    expect(contradicted.results.display_name).toMatchObject({ status: "succeeded", settled_at: T1, basis: "proven" });
    expect(contradicted.results.display_name?.evidence?.map((e) => e.at)).toEqual([T1, T2]);

    const lost = settlePart(update({ display_name: "Team" }), "display_name", failed(T1));
    expect(settlePart(lost, "display_name", succeeded(T2))).toMatchObject({
      status: "failed",
      results: { display_name: { status: "failed" } },
    });
  });

  it("ignores a part the operation did not ask for", () => {
    const record = update({ display_name: "Team" });
    expect(settlePart(record, "group_chat_icon", succeeded(T1))).toBe(record);
    expect(settlePart(record, "participant", succeeded(T1))).toBe(record);
  });

  it("records a part settled after the operation is terminal without moving its status, completed_at or error", () => {
    const record = update({ display_name: "Team", group_chat_icon: ICON });
    const failedFirst = settlePart(record, "display_name", failed(T1, 3007));
    const late = settlePart(failedFirst, "group_chat_icon", succeeded(T2));

    expect(late.results.group_chat_icon).toMatchObject({ status: "succeeded", settled_at: T2 });
    expect(late).toMatchObject({ status: "failed", completed_at: T1, error: failedFirst.error });
    expect(awaitingParts(late)).toEqual([]);
  });

  it("does not change the record it was given", () => {
    const record = update({ display_name: "Team" });
    const copy = structuredClone(record);
    settlePart(record, "display_name", succeeded(T1));
    expect(record).toEqual(copy);
  });
});

// Outcomes are published from the table's stream: the change that made a record terminal is its one outcome.
describe("the outcome of a change", () => {
  /** Linq accepted the call: nothing is in flight any more. */
  const answered = (record: StoredOperation) =>
    recordCall(record, { result: "accepted", status: 200, body: { chat_id: CHAT, status: "pending" } }, T0);

  it("is the record, made public, on the change that made it terminal", () => {
    const before = answered(update({ display_name: "Team" }));
    const after = settlePart(before, "display_name", succeeded(T1));
    expect(outcomeOf({ before, after })).toEqual(toPublicRecord(after));
  });

  it("is nothing for a change that leaves it pending, nor for a late part of a terminal record", () => {
    const record = answered(update({ display_name: "Team", group_chat_icon: ICON }));
    const half = settlePart(record, "display_name", succeeded(T1));
    expect(outcomeOf({ before: record, after: half })).toBeUndefined();

    const failedFirst = settlePart(record, "display_name", failed(T1));
    const late = settlePart(failedFirst, "group_chat_icon", succeeded(T3));
    expect(outcomeOf({ before: failedFirst, after: late })).toBeUndefined();
  });

  it("waits while a call to Linq is in flight, and is the change that records its answer (a removal's public trace id)", () => {
    const settledFirst = settlePart(removal(), "participant", succeeded(T1));
    expect(outcomeOf({ before: removal(), after: settledFirst })).toBeUndefined();
    const named = recordCall(
      settledFirst,
      { result: "accepted", status: 202, body: { message: "queued", status: "accepted", trace_id: "linq-t1" } },
      T3,
    );
    expect(outcomeOf({ before: settledFirst, after: named })).toMatchObject({
      trace_id: "linq-t1",
      status: "succeeded",
    });
  });

  it("is the change that gives up a call whose function died, if the record was settled meanwhile", () => {
    const settledFirst = settlePart(update({ display_name: "Team" }), "display_name", succeeded(T1));
    const abandoned = abandonCall(settledFirst, T3);
    expect(abandoned.linq_attempts).toEqual([{ at: T0, result: "unknown" }]);
    expect(outcomeOf({ before: settledFirst, after: abandoned })).toMatchObject({ status: "succeeded" });
  });

  it("is the record written terminal at once (a request refused before any call)", () => {
    const { calling_since: _never, ...notCalled } = update({ display_name: "" });
    const refused = refuse(notCalled, { status: 400, code: 1005, message: "bad" }, T1, "service");
    expect(outcomeOf({ before: undefined, after: refused })).toMatchObject({ status: "failed" });
  });
});

describe("refuse (Linq said no outright)", () => {
  it("fails every part with Linq's code, proven by the refusal itself, and makes the operation terminal", () => {
    const record = update({ display_name: "Team", group_chat_icon: ICON });
    const error = { code: 1006, message: "Cannot update direct message chats", status: 409 };
    const next = refuse(record, error, T1, "linq", "linq-t1");

    expect(next).toMatchObject({ status: "failed", error, completed_at: T1 });
    for (const part of ["display_name", "group_chat_icon"] as const) {
      expect(next.results[part]).toEqual({
        status: "failed",
        settled_at: T1,
        settled_by: "linq",
        basis: "proven",
        error_code: 1006,
        reason: error.message,
        evidence: [{ source: "linq", status: 409, code: 1006, trace_id: "linq-t1", at: T1 }],
      });
    }
  });

  it("never leaves a terminal state", () => {
    const done = settlePart(update({ display_name: "Team" }), "display_name", succeeded(T1));
    const after = refuse(done, { status: 409, code: 2013, message: "unavailable" }, T2, "linq");
    expect(after).toMatchObject({ status: "succeeded", results: { display_name: { status: "succeeded" } } });
    expect(after.error).toBeUndefined();
  });
});

describe("recording Linq's answer to a call", () => {
  it("keeps the call with Linq's X-Trace-ID, ends the call and stores the answer to replay, with our trace id", () => {
    const next = recordCall(
      update({ display_name: "Team" }),
      { result: "accepted", traceId: "linq-t1", status: 200, body: { chat_id: CHAT, status: "pending" } },
      T1,
    );
    expect(next.linq_attempts).toEqual([{ at: T1, result: "accepted", trace_id: "linq-t1", status: 200 }]);
    expect(next.calling_since).toBeUndefined();
    expect(next.answer).toEqual({ status: 200, body: { chat_id: CHAT, status: "pending", trace_id: "ours-1" } });
    expect(next).toMatchObject({ status: "pending", trace_id: "ours-1", id: "ours-1" });
  });

  it("gives an accepted removal Linq's trace id as its public id, keeping its key and what was learned meanwhile", () => {
    const settledByWebhook = settlePart(removal(), "participant", succeeded(T1));
    const next = recordCall(
      settledByWebhook,
      { result: "accepted", traceId: "linq-h1", status: 202, body: { status: "accepted", trace_id: "linq-t9" } },
      T2,
    );
    expect(next).toMatchObject({ id: "ours-1", trace_id: "linq-t9", status: "succeeded", completed_at: T1 });
    expect(next.answer).toEqual({ status: 202, body: { status: "accepted", trace_id: "linq-t9" } });
  });

  it("fails a refused call for good, proven, and answers Linq's envelope", () => {
    const refusal = new LinqRefusal(409, 1006, "Cannot update direct message chats", "linq-t1");
    const next = recordCall(update({ display_name: "Team" }), { result: "refused", traceId: "linq-t1", refusal }, T1);
    expect(next).toMatchObject({ status: "failed", error: { code: 1006, status: 409 } });
    expect(next.linq_attempts).toEqual([{ at: T1, result: "refused", trace_id: "linq-t1", status: 409 }]);
    expect(next.results.display_name).toMatchObject({ settled_by: "linq", basis: "proven" });
    expect(next.answer).toEqual({
      status: 409,
      body: { error: { status: 409, code: 1006, message: "Cannot update direct message chats" }, success: false },
    });
  });

  it("only counts a call of unknown fate: the operation stays pending and has nothing to replay", () => {
    const next = recordCall(update({ display_name: "Team" }), { result: "unknown", status: 502 }, T1);
    expect(next).toMatchObject({ status: "pending", linq_attempts: [{ at: T1, result: "unknown", status: 502 }] });
    expect(next.answer).toBeUndefined();
    expect(next.calling_since).toBeUndefined();
  });

  it("answers a call presumed accepted as Linq would have", () => {
    const next = recordCall(removal(), { result: "unknown", status: 404, presumedAccepted: true }, T1);
    expect(next.answer).toEqual({
      status: 202,
      body: { message: "Participant removal queued", status: "accepted", trace_id: "ours-1" },
    });
  });

  it("keeps the first answer given when a later call is recorded", () => {
    const accepted = recordCall(
      update({ display_name: "Team" }),
      { result: "accepted", status: 200, body: { chat_id: CHAT, status: "pending" } },
      T1,
    );
    const again = recordCall(startCall(accepted, T2), { result: "unknown" }, T3);
    expect(again.answer).toEqual(accepted.answer);
    expect(again.linq_attempts.map((attempt) => attempt.result)).toEqual(["accepted", "unknown"]);
  });
});

describe("starting a call again", () => {
  it("after a call whose answer was recorded, adds no call until Linq answers", () => {
    const unknown = recordCall(update({ display_name: "Team" }), { result: "unknown" }, T1);
    expect(startCall(unknown, T2)).toMatchObject({ calling_since: T2, linq_attempts: [{ result: "unknown" }] });
  });

  it("after a call abandoned in flight (its function died), keeps that call as one of unknown fate", () => {
    const next = startCall(update({ display_name: "Team" }), T2);
    expect(next).toMatchObject({ calling_since: T2, updated_at: T2 });
    expect(next.linq_attempts).toEqual([{ at: T0, result: "unknown" }]);
  });
});

describe("evidence that decides nothing", () => {
  it("is kept on the part without moving its status", () => {
    const next = addEvidence(update({ display_name: "Team" }), "display_name", webhook("e1", T1), T2);
    expect(next).toMatchObject({ status: "pending", updated_at: T2 });
    expect(next.results.display_name).toEqual({ status: "pending", evidence: [webhook("e1", T1)] });
  });
});

describe("the public record", () => {
  it("carries the contract's fields and its Linq calls, and none of the store's", () => {
    const record = settlePart(recordCall(removal(), { result: "unknown" }, T1), "participant", failed(T2));
    const view = toPublicRecord({ ...record, answer: { status: 202, body: {} } }) as unknown as Record<string, unknown>;
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
      "linq_attempts",
    ]);
  });
});
