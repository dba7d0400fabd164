import { beforeEach, describe, expect, it } from "vitest";
import { applyLinqEvent, UNATTRIBUTED } from "../../src/domain/correlation.ts";
import { readLinqEvent } from "../../src/domain/linq-events.ts";
import type { ChatUpdateRequest, StoredOperation } from "../../src/domain/operation.ts";
import { removeParticipant, updateChat } from "../../src/domain/operations-service.ts";
import { unavailable } from "../fakes/linq-api.ts";
import {
  A_PERSON,
  groupIconUpdated,
  groupIconUpdateFailed,
  groupNameUpdated,
  groupNameUpdateFailed,
  otherEvent,
  OUR_LINE,
  participantRemoved,
  participantRemovedDeprecated,
} from "../fakes/linq-webhooks.ts";
import { CHAT, makeWorld, OTHER_CHAT, type World } from "../fakes/world.ts";

const ICON = "https://cdn.test/icon.png";
const OTHER_ICON = "https://cdn.test/other.png";
/** What Linq answers when it hosts an icon itself instead of echoing ours. */
const LINQ_HOSTED = "https://media.linqapp.com/icons/0b7e.png";

let world: World;
beforeEach(() => {
  world = makeWorld();
});

/** Requests an update through the service, one second after the previous one, and answers its record's key. */
async function requestUpdate(request: ChatUpdateRequest, chatId = CHAT, key?: string): Promise<string> {
  world.clock.advance(1000);
  const result = await updateChat(world, {
    chatId,
    request,
    source: "http",
    ...(key === undefined ? {} : { idempotencyKey: key }),
  });
  return result.record.id;
}

async function requestRemoval(handle: string, chatId = CHAT): Promise<string> {
  world.clock.advance(1000);
  const result = await removeParticipant(world, { chatId, request: { handle }, source: "http" });
  return result.record.id;
}

async function recordOf(id: string, chatId = CHAT): Promise<StoredOperation> {
  const record = await world.store.get(chatId, id);
  if (record === undefined) throw new Error(`no record ${id}`);
  return record;
}

async function statusOf(id: string, chatId = CHAT) {
  return (await recordOf(id, chatId)).status;
}

/** The `X-Trace-ID` of the operation's first call to Linq. */
async function linqTraceOf(id: string): Promise<string> {
  const traceId = (await recordOf(id)).linq_attempts[0]?.trace_id;
  if (traceId === undefined) throw new Error(`no Linq trace id on ${id}`);
  return traceId;
}

describe("chat.group_name_updated / chat.group_icon_updated", () => {
  it("settles the one operation asking for new_value, proven, when Linq says our line made the change", async () => {
    const id = await requestUpdate({ display_name: "Team" });

    const settlement = await world.deliver(groupNameUpdated(CHAT, "Team", { changedBy: OUR_LINE, eventId: "e1" }));

    expect(settlement).toMatchObject({ result: "settled", records: [{ id }] });
    expect((await recordOf(id)).results.display_name).toEqual({
      status: "succeeded",
      settled_at: "2026-03-01T12:00:05.000Z",
      settled_by: "webhook",
      basis: "proven",
      reason: expect.stringContaining("changed by our line"),
      evidence: [
        expect.objectContaining({
          source: "webhook",
          event_id: "e1",
          event_type: "chat.group_name_updated",
          value: "Team",
          changed_by: OUR_LINE,
          matched_by: "value",
        }),
      ],
    });
    expect(world.publisher.published).toMatchObject([{ trace_id: id, status: "succeeded" }]);
  });

  // The design changed: a value several operations asked for cannot name one of them, so the oldest takes it, inferred.
  it("settles the oldest of several pending updates asking for new_value, inferred", async () => {
    const alpha = await requestUpdate({ display_name: "Alpha" });
    const beta1 = await requestUpdate({ display_name: "Beta" });
    const beta2 = await requestUpdate({ display_name: "Beta" });

    const settlement = await world.deliver(groupNameUpdated(CHAT, "Beta", { changedBy: OUR_LINE }));

    expect(settlement).toMatchObject({ result: "settled", records: [{ id: beta1 }] });
    expect([await statusOf(alpha), await statusOf(beta1), await statusOf(beta2)]).toEqual([
      "pending",
      "succeeded",
      "pending",
    ]);
    expect((await recordOf(beta1)).results.display_name).toMatchObject({ basis: "inferred", settled_by: "webhook" });
    expect(world.publisher.published).toMatchObject([{ trace_id: beta1, status: "succeeded" }]);
  });

  it("settles an icon update by its URL", async () => {
    const id = await requestUpdate({ group_chat_icon: ICON });

    await world.deliver(groupIconUpdated(CHAT, ICON, { changedBy: OUR_LINE }));

    expect(await recordOf(id)).toMatchObject({
      status: "succeeded",
      results: { group_chat_icon: { basis: "proven" } },
    });
  });

  it("keeps a value nobody asked for (a person renamed the group) against the chat, not on an operation", async () => {
    const id = await requestUpdate({ display_name: "Team" });

    const settlement = await world.deliver(groupNameUpdated(CHAT, "Renamed on a phone"));

    expect(settlement).toEqual({ result: "kept", kind: "change" });
    expect(await statusOf(id)).toBe("pending");
    expect(world.store.keptEvents(CHAT)).toMatchObject([
      {
        chat_id: CHAT,
        kind: "change",
        part: "display_name",
        event_type: "chat.group_name_updated",
        evidence: { value: "Renamed on a phone" },
      },
    ]);
    expect(world.publisher.published).toEqual([]);
  });

  it("does not settle another chat's update with the same value", async () => {
    const other = await requestUpdate({ display_name: "Team" }, OTHER_CHAT);

    expect(await world.deliver(groupNameUpdated(CHAT, "Team"))).toEqual({ result: "kept", kind: "change" });
    expect(await statusOf(other, OTHER_CHAT)).toBe("pending");
  });

  it("matches the chat id whatever its case in the event", async () => {
    const id = await requestUpdate({ display_name: "Team" });

    await world.deliver(groupNameUpdated(CHAT.toUpperCase(), "Team"));

    expect(await statusOf(id)).toBe("succeeded");
  });
});

describe("chat.group_name_update_failed / chat.group_icon_update_failed", () => {
  // The design changed: a failure event names no value, so it settles an operation only when one alone can own it.
  it("fails the only pending update of that part by elimination, inferred, with Linq's error_code", async () => {
    const iconOnly = await requestUpdate({ group_chat_icon: ICON });
    const name = await requestUpdate({ display_name: "A" });

    const settlement = await world.deliver(groupNameUpdateFailed(CHAT, 4001));

    expect(settlement).toMatchObject({ result: "settled", records: [{ id: name }] });
    const record = await recordOf(name);
    expect(record).toMatchObject({ status: "failed", error: { code: 4001 } });
    expect(record.results.display_name).toMatchObject({
      status: "failed",
      error_code: 4001,
      settled_by: "webhook",
      basis: "inferred",
      evidence: [{ matched_by: "elimination", error_code: 4001 }],
    });
    expect(await statusOf(iconOnly)).toBe("pending");
    expect(world.publisher.published).toMatchObject([{ trace_id: name, status: "failed" }]);
  });

  it("keeps a failure that no pending update could own against the chat", async () => {
    expect(await world.deliver(groupIconUpdateFailed(CHAT, 3007))).toEqual({ result: "kept", kind: "change" });
    expect(world.store.keptEvents(CHAT)).toMatchObject([{ kind: "change", part: "group_chat_icon" }]);
  });
});

describe("a failure event several operations could own (issue 10, 1)", () => {
  it("is kept ambiguous until the other rename's success proves which one failed; the good rename is never failed", async () => {
    const good = await requestUpdate({ display_name: "Good" });
    const bad = await requestUpdate({ display_name: "Bad" });

    // Reordered: the failure is delivered before the good rename's success.
    const failure = await world.deliver(groupNameUpdateFailed(CHAT, 4001, { eventId: "fail-1" }));

    expect(failure).toEqual({ result: "kept", kind: "ambiguous" });
    expect([await statusOf(good), await statusOf(bad)]).toEqual(["pending", "pending"]);
    expect(world.store.keptEvents(CHAT)).toMatchObject([
      { id: "event#fail-1", kind: "ambiguous", outcome: "failed", candidates: [good, bad] },
    ]);
    expect(world.publisher.published).toEqual([]);

    await world.deliver(groupNameUpdated(CHAT, "Good"));

    expect(await recordOf(good)).toMatchObject({ status: "succeeded" });
    expect(await recordOf(bad)).toMatchObject({
      status: "failed",
      error: { code: 4001 },
      results: {
        display_name: {
          status: "failed",
          basis: "inferred",
          error_code: 4001,
          evidence: [{ event_id: "fail-1", matched_by: "elimination" }],
        },
      },
    });
    expect(world.store.keptEvents(CHAT)).toMatchObject([{ id: "event#fail-1", resolved_to: bad }]);
    expect(world.publisher.published).toMatchObject([
      { trace_id: good, status: "succeeded" },
      { trace_id: bad, status: "failed" },
    ]);
  });

  it("arriving after the other rename's success, fails the one rename left, inferred", async () => {
    const good = await requestUpdate({ display_name: "Good" });
    const bad = await requestUpdate({ display_name: "Bad" });

    await world.deliver(groupNameUpdated(CHAT, "Good"));
    await world.deliver(groupNameUpdateFailed(CHAT, 4001));

    expect(await recordOf(good)).toMatchObject({ status: "succeeded" });
    expect(await recordOf(bad)).toMatchObject({ status: "failed", results: { display_name: { basis: "inferred" } } });
  });

  it("as many failure events as the candidates can still receive fail every candidate", async () => {
    const first = await requestUpdate({ display_name: "A" });
    const second = await requestUpdate({ display_name: "B" });

    expect(await world.deliver(groupNameUpdateFailed(CHAT, 4001))).toEqual({ result: "kept", kind: "ambiguous" });
    await world.deliver(groupNameUpdateFailed(CHAT, 4001));

    expect(await recordOf(first)).toMatchObject({ status: "failed", results: { display_name: { basis: "inferred" } } });
    expect(await recordOf(second)).toMatchObject({
      status: "failed",
      results: { display_name: { basis: "inferred" } },
    });
    expect(world.store.keptEvents(CHAT).every((event) => event.resolved_to !== undefined)).toBe(true);
  });

  it("a failing rename Linq accepted twice absorbs both failure events and never fails the next rename", async () => {
    // A 5xx after Linq did the work, then the retry with the key: Linq did the rename twice.
    world.linq.answerUpdateChat(unavailable());
    await expect(requestUpdate({ display_name: "Bad" }, CHAT, "k1")).rejects.toThrow();
    const bad = await requestUpdate({ display_name: "Bad" }, CHAT, "k1");
    expect((await recordOf(bad)).linq_attempts.map((attempt) => attempt.result)).toEqual(["unknown", "accepted"]);

    await world.deliver(groupNameUpdateFailed(CHAT, 4001));
    expect(await statusOf(bad)).toBe("failed");

    const next = await requestUpdate({ display_name: "Next" });
    // The second failure could be the failing rename's or the next one's: kept, not guessed.
    expect(await world.deliver(groupNameUpdateFailed(CHAT, 4001))).toEqual({ result: "kept", kind: "ambiguous" });
    expect(await statusOf(next)).toBe("pending");

    await world.deliver(groupNameUpdated(CHAT, "Next"));

    expect(await statusOf(next)).toBe("succeeded");
    const failures = (await recordOf(bad)).results.display_name?.evidence?.filter((e) => e.source === "webhook");
    expect(failures).toHaveLength(2);
    expect(world.publisher.published).toMatchObject([
      { trace_id: bad, status: "failed" },
      { trace_id: next, status: "succeeded" },
    ]);
  });

  it("a failing rename the Linq client itself retried after a 5xx expects both failures, never failing a good rename in flight", async () => {
    const good = await requestUpdate({ display_name: "Good name" });
    world.linq.answerUpdateChat({
      body: { chat_id: CHAT, status: "pending" },
      traceId: "linq-b2",
      tries: [
        { fate: "unknown", traceId: "linq-b1", status: 500 },
        { fate: "accepted", traceId: "linq-b2", status: 200 },
      ],
    });
    const bad = await requestUpdate({ display_name: "fail:bad name" });
    expect((await recordOf(bad)).linq_attempts.map((a) => [a.result, a.trace_id])).toEqual([
      ["unknown", "linq-b1"],
      ["accepted", "linq-b2"],
    ]);

    // Both failures arrive first, naming no call of ours (events with trace ids of their own), the good one's success
    // last: neither failure may fail the good rename.
    await world.deliver(groupNameUpdateFailed(CHAT, 4001));
    await world.deliver(groupNameUpdateFailed(CHAT, 4001));
    expect(await statusOf(good)).toBe("pending");
    await world.deliver(groupNameUpdated(CHAT, "Good name", { changedBy: OUR_LINE }));

    expect(await statusOf(good)).toBe("succeeded");
    expect(await statusOf(bad)).toBe("failed");
    expect((await recordOf(bad)).results.display_name?.evidence?.filter((e) => e.source === "webhook")).toHaveLength(2);
  });

  it("a failing rename whose first call died mid-flight and was retried absorbs both failure events, never failing the next rename", async () => {
    // The function died while Linq was being called: that call may have reached Linq. The retry calls Linq again.
    world.linq.answerUpdateChat(() => {
      throw new Error("the function died");
    });
    await expect(requestUpdate({ display_name: "Bad" }, CHAT, "k1")).rejects.toThrow("the function died");
    world.clock.advance(world.callLeaseMs);
    const bad = await requestUpdate({ display_name: "Bad" }, CHAT, "k1");

    await world.deliver(groupNameUpdateFailed(CHAT, 4001));
    expect(await statusOf(bad)).toBe("failed");

    const next = await requestUpdate({ display_name: "Next" });
    expect(await world.deliver(groupNameUpdateFailed(CHAT, 4001))).toEqual({ result: "kept", kind: "ambiguous" });
    expect(await statusOf(next)).toBe("pending");
  });
});

describe("an event naming one of our calls by its trace id (issue 10, 3)", () => {
  it("settles that operation, proven, even when an older operation asked for the same value", async () => {
    const older = await requestUpdate({ display_name: "Team" });
    const named = await requestUpdate({ display_name: "Team" });

    const settlement = await world.deliver(groupNameUpdated(CHAT, "Team", { traceId: await linqTraceOf(named) }));

    expect(settlement).toMatchObject({ result: "settled", records: [{ id: named }] });
    expect(await statusOf(older)).toBe("pending");
    expect((await recordOf(named)).results.display_name).toMatchObject({
      status: "succeeded",
      basis: "proven",
      evidence: [{ matched_by: "trace_id", trace_id: await linqTraceOf(named) }],
    });
  });

  it("settles the failure of that operation, proven, among several candidates", async () => {
    const first = await requestUpdate({ display_name: "A" });
    const second = await requestUpdate({ display_name: "B" });

    await world.deliver(groupNameUpdateFailed(CHAT, 4001, { traceId: await linqTraceOf(second) }));

    expect(await statusOf(first)).toBe("pending");
    expect(await recordOf(second)).toMatchObject({
      status: "failed",
      results: { display_name: { basis: "proven", error_code: 4001 } },
    });
    expect(world.store.keptEvents(CHAT)).toEqual([]);
  });

  it("settles a removal by the X-Trace-ID of Linq's answer, proven", async () => {
    world.linq.answerRemoveParticipant({
      body: { message: "Participant removal queued", status: "accepted", trace_id: "linq-t1" },
      traceId: "linq-h1",
    });
    const id = await requestRemoval("+15551234567");

    await world.deliver(participantRemoved(CHAT, "+15551234567", { traceId: "linq-h1" }));

    expect((await recordOf(id)).results.participant).toMatchObject({
      basis: "proven",
      evidence: [{ matched_by: "trace_id" }],
    });
  });

  it("with a trace id none of our calls has, falls back to the value, then to elimination", async () => {
    const older = await requestUpdate({ display_name: "Team" });
    await requestUpdate({ display_name: "Team" });
    const failing = await requestUpdate({ group_chat_icon: ICON });

    await world.deliver(groupNameUpdated(CHAT, "Team", { traceId: "0123456789abcdef0123456789abcdef" }));
    await world.deliver(groupIconUpdateFailed(CHAT, 4001, { traceId: "fedcba9876543210fedcba9876543210" }));

    expect((await recordOf(older)).results.display_name).toMatchObject({
      status: "succeeded",
      basis: "inferred",
      evidence: [{ matched_by: "value" }],
    });
    expect((await recordOf(failing)).results.group_chat_icon).toMatchObject({
      status: "failed",
      basis: "inferred",
      evidence: [{ matched_by: "elimination" }],
    });
  });
});

describe("who made the change (issue 10, 4)", () => {
  it("a person's change to exactly our pending value never settles our operation", async () => {
    const id = await requestUpdate({ display_name: "Team" });

    const settlement = await world.deliver(groupNameUpdated(CHAT, "Team", { changedBy: A_PERSON }));

    expect(settlement).toEqual({ result: "kept", kind: "change" });
    expect(await statusOf(id)).toBe("pending");
    expect(world.store.keptEvents(CHAT)).toMatchObject([{ kind: "change", evidence: { changed_by: A_PERSON } }]);
    expect(world.publisher.published).toEqual([]);

    // Linq then fails ours: the person's value is not taken for our success.
    await world.deliver(groupNameUpdateFailed(CHAT, 4001));
    expect(await recordOf(id)).toMatchObject({ status: "failed", error: { code: 4001 } });
  });

  it("our line's change settles it, proven", async () => {
    const id = await requestUpdate({ display_name: "Team" });

    await world.deliver(groupNameUpdated(CHAT, "Team", { changedBy: OUR_LINE }));

    expect((await recordOf(id)).results.display_name).toMatchObject({ status: "succeeded", basis: "proven" });
  });

  it.each([
    ["null", null],
    ["absent", undefined],
  ])("a change whose changed_by_handle is %s settles it, inferred", async (_what, changedBy) => {
    const id = await requestUpdate({ display_name: "Team" });

    await world.deliver(groupNameUpdated(CHAT, "Team", changedBy === undefined ? {} : { changedBy }));

    expect((await recordOf(id)).results.display_name).toMatchObject({ status: "succeeded", basis: "inferred" });
  });
});

describe("icons Linq may re-host (issue 10, 5)", () => {
  it("an icon success whose new_value is not our URL settles the only pending icon update, inferred", async () => {
    const id = await requestUpdate({ group_chat_icon: ICON });

    await world.deliver(groupIconUpdated(CHAT, LINQ_HOSTED, { changedBy: OUR_LINE }));

    expect((await recordOf(id)).results.group_chat_icon).toMatchObject({
      status: "succeeded",
      basis: "inferred",
      evidence: [{ value: LINQ_HOSTED, matched_by: "elimination" }],
    });
  });

  it("with two pending icon updates, a re-hosted success is kept ambiguous; a second one settles both", async () => {
    const first = await requestUpdate({ group_chat_icon: ICON });
    const second = await requestUpdate({ group_chat_icon: OTHER_ICON });

    expect(await world.deliver(groupIconUpdated(CHAT, LINQ_HOSTED))).toEqual({ result: "kept", kind: "ambiguous" });
    expect([await statusOf(first), await statusOf(second)]).toEqual(["pending", "pending"]);

    await world.deliver(groupIconUpdated(CHAT, `${LINQ_HOSTED}?v=2`));

    expect([await statusOf(first), await statusOf(second)]).toEqual(["succeeded", "succeeded"]);
  });

  it("an icon a person set on a phone never settles ours", async () => {
    const id = await requestUpdate({ group_chat_icon: ICON });

    expect(await world.deliver(groupIconUpdated(CHAT, LINQ_HOSTED, { changedBy: A_PERSON }))).toEqual({
      result: "kept",
      kind: "change",
    });
    expect(await statusOf(id)).toBe("pending");
  });
});

describe("both parts of one update", () => {
  it("fail the operation when the failure of one part arrives before the success of the other, and keep both results", async () => {
    const id = await requestUpdate({ display_name: "Team", group_chat_icon: ICON });

    await world.deliver(groupIconUpdateFailed(CHAT, 4001));
    const late = await world.deliver(groupNameUpdated(CHAT, "Team"));

    expect(late).toMatchObject({ result: "settled", records: [{ id }] });
    expect(await recordOf(id)).toMatchObject({
      status: "failed",
      error: { code: 4001 },
      results: { display_name: { status: "succeeded" }, group_chat_icon: { status: "failed", error_code: 4001 } },
    });
    expect(world.publisher.published).toMatchObject([{ trace_id: id, status: "failed" }]);
    expect(world.store.keptEvents()).toEqual([]);
  });

  it("succeed only when both success events have arrived, publishing once", async () => {
    const id = await requestUpdate({ display_name: "Team", group_chat_icon: ICON });

    await world.deliver(groupNameUpdated(CHAT, "Team"));
    expect(await statusOf(id)).toBe("pending");
    expect(world.publisher.published).toEqual([]);

    await world.deliver(groupIconUpdated(CHAT, ICON));
    expect(await statusOf(id)).toBe("succeeded");
    expect(world.publisher.published).toMatchObject([{ trace_id: id, status: "succeeded" }]);
  });

  it("read again and decide again when another writer moves the record between read and write", async () => {
    const id = await requestUpdate({ display_name: "Team", group_chat_icon: ICON });
    const commit = world.store.commit.bind(world.store);
    let raced = false;
    world.store.commit = async (changes) => {
      if (!raced) {
        raced = true;
        await world.deliver(groupIconUpdated(CHAT, ICON)); // lands between the name event's read and its write
      }
      return commit(changes);
    };

    await world.deliver(groupNameUpdated(CHAT, "Team"));

    expect(await recordOf(id)).toMatchObject({
      status: "succeeded",
      results: { display_name: { status: "succeeded" }, group_chat_icon: { status: "succeeded" } },
    });
    expect(world.journal.only("store.conflict")).toEqual([`store.conflict ${id}`]);
    expect(world.publisher.published).toMatchObject([{ trace_id: id, status: "succeeded" }]);
  });
});

// The design changed: no outbox. The stream publishes the change that made a record terminal, and only that one.
describe("one outcome event per operation", () => {
  it("a part recorded after the outcome, while that outcome is still unpublished, publishes no second outcome", async () => {
    const id = await requestUpdate({ display_name: "Team", group_chat_icon: ICON });
    world.publisher.failNext();
    expect(await world.deliver(groupNameUpdateFailed(CHAT, 4001))).toMatchObject({ result: "settled" });
    expect(world.publisher.published).toEqual([]);
    expect(world.unpublished()).toBe(1);

    // The icon's success arrives later: recorded, and the stream's next run publishes the failure it still holds.
    await world.deliver(groupIconUpdated(CHAT, ICON));
    await world.retryStream();

    expect((await recordOf(id)).results.group_chat_icon?.status).toBe("succeeded");
    expect(world.publisher.published).toMatchObject([{ trace_id: id, status: "failed" }]);
    expect(world.publisher.published).toHaveLength(1);
  });
});

describe("participant.removed", () => {
  it("settles the pending removal of that chat and handle, proven, whatever the handle's spelling", async () => {
    const queued = { message: "Participant removal queued", status: "accepted" };
    world.linq.answerRemoveParticipant(
      { body: { ...queued, trace_id: "linq-a" } },
      { body: { ...queued, trace_id: "linq-b" } },
    );
    const a = await requestRemoval("+15551234567");
    const b = await requestRemoval("carol@example.com");

    const settlement = await world.deliver(participantRemoved(CHAT, "Carol@Example.COM"));

    expect(settlement).toMatchObject({ result: "settled", records: [{ id: b }] });
    expect([await statusOf(a), await statusOf(b)]).toEqual(["pending", "succeeded"]);
    expect((await recordOf(b)).results.participant).toMatchObject({
      basis: "proven",
      evidence: [{ value: "Carol@Example.COM", matched_by: "handle" }],
    });
    expect(world.publisher.published).toMatchObject([{ trace_id: "linq-b", status: "succeeded" }]);
  });

  it("reads a phone handle with separators as the same participant", async () => {
    const id = await requestRemoval("+15551234567");

    await world.deliver(participantRemoved(CHAT, "+1 (555) 123-4567"));

    expect(await statusOf(id)).toBe("succeeded");
  });

  it("reads the deprecated top-level handle of older accounts", async () => {
    const id = await requestRemoval("+15551234567");

    await world.deliver(participantRemovedDeprecated(CHAT, "+15551234567"));

    expect(await statusOf(id)).toBe("succeeded");
  });

  it("keeps the removal of a participant nobody asked to remove against the chat", async () => {
    const id = await requestRemoval("+15551234567");

    expect(await world.deliver(participantRemoved(CHAT, "+15559999999"))).toEqual({ result: "kept", kind: "change" });
    expect(await statusOf(id)).toBe("pending");
  });
});

// The design changed: no dedupe ledger. A redelivery is recognised among the chat's watched records and kept events.
describe("a redelivered webhook", () => {
  it("has one effect: a duplicate chat.group_name_updated does NOT settle a second pending update with the same value", async () => {
    const first = await requestUpdate({ display_name: "Team" });
    const second = await requestUpdate({ display_name: "Team" });
    const body = groupNameUpdated(CHAT, "Team");

    expect(await world.deliver(body, "msg_1")).toMatchObject({ result: "settled", records: [{ id: first }] });
    expect(await world.deliver(body, "msg_1")).toEqual({ result: "duplicate" });

    expect([await statusOf(first), await statusOf(second)]).toEqual(["succeeded", "pending"]);
    expect(world.publisher.published).toHaveLength(1);
  });

  it("is kept against the chat once when it matched nothing", async () => {
    const body = groupNameUpdated(CHAT, "Renamed on a phone");

    await world.deliver(body, "msg_1");
    expect(await world.deliver(body, "msg_1")).toEqual({ result: "duplicate" });

    expect(world.store.keptEvents(CHAT)).toHaveLength(1);
  });

  it("of a removal settles it once and publishes once", async () => {
    const id = await requestRemoval("+15551234567");
    const body = participantRemoved(CHAT, "+15551234567");

    await world.deliver(body, "msg_1");
    expect(await world.deliver(body, "msg_1")).toEqual({ result: "duplicate" });

    expect(await statusOf(id)).toBe("succeeded");
    expect(world.publisher.published).toHaveLength(1);
  });

  it("is recognised by its event_id under another webhook-id (the deprecated scheme's ids change on every retry)", async () => {
    const first = await requestUpdate({ display_name: "Team" });
    const second = await requestUpdate({ display_name: "Team" });
    const body = groupNameUpdated(CHAT, "Team", { eventId: "evt-a" });

    await world.deliver(body, "msg_1");
    expect(await world.deliver(body, "msg_2")).toEqual({ result: "duplicate" });

    expect([await statusOf(first), await statusOf(second)]).toEqual(["succeeded", "pending"]);
  });

  it("is recognised by its webhook-id under another event_id", async () => {
    const first = await requestUpdate({ display_name: "Team" });
    const second = await requestUpdate({ display_name: "Team" });

    await world.deliver(groupNameUpdated(CHAT, "Team", { eventId: "evt-a" }), "msg_1");
    expect(await world.deliver(groupNameUpdated(CHAT, "Team", { eventId: "evt-b" }), "msg_1")).toEqual({
      result: "duplicate",
    });

    expect([await statusOf(first), await statusOf(second)]).toEqual(["succeeded", "pending"]);
  });

  it("of an event kept ambiguous is recognised too", async () => {
    await requestUpdate({ display_name: "A" });
    await requestUpdate({ display_name: "B" });
    const body = groupNameUpdateFailed(CHAT, 4001);

    await world.deliver(body, "msg_1");
    expect(await world.deliver(body, "msg_2")).toEqual({ result: "duplicate" });

    expect(world.store.keptEvents(CHAT)).toHaveLength(1);
  });
});

describe("events that settle nothing", () => {
  it.each(["message.received", "reaction.added", "participant.added", "chat.created", "call.started"])(
    "ignores %s without writing anything",
    async (eventType) => {
      await requestUpdate({ display_name: "Team" });
      const before = world.journal.entries.length;

      expect(await world.deliver(otherEvent(eventType, { chat_id: CHAT }))).toEqual({ result: "ignored" });

      expect(world.journal.entries.length).toBe(before);
      expect(world.store.keptEvents()).toEqual([]);
    },
  );
});

describe("a signed delivery the service cannot use (issue 10, 9)", () => {
  it("is kept against its chat as it came, never dropped", async () => {
    const body = groupNameUpdated(CHAT, "");

    expect(await world.deliver(body, "msg_1")).toEqual({ result: "kept", kind: "unusable" });

    expect(world.store.keptEvents(CHAT)).toMatchObject([
      {
        id: `event#${body.event_id}`,
        kind: "unusable",
        event_type: "chat.group_name_updated",
        reason: "data.new_value is not a usable value",
      },
    ]);
  });

  // The design changed: such an event used to be refused with a 400, which Linq never retries.
  it("naming no chat is kept apart, under its delivery id when its event id is unusable", async () => {
    const body = { event_type: "participant.removed", event_id: "x".repeat(200), data: { handle: "+15551234567" } };

    expect(await world.deliver(body, "msg_1")).toEqual({ result: "kept", kind: "unusable" });

    expect(world.store.keptEvents(UNATTRIBUTED)).toMatchObject([{ id: "event#msg_1", kind: "unusable" }]);
  });

  it("delivered again is kept once", async () => {
    const body = participantRemoved(CHAT, "nobody");

    await world.deliver(body, "msg_1");
    expect(await world.deliver(body, "msg_2")).toEqual({ result: "duplicate" });

    expect(world.store.keptEvents(CHAT)).toHaveLength(1);
  });

  it("settles nothing, even where one operation alone could own it", async () => {
    const id = await requestUpdate({ display_name: "Team" });

    await applyLinqEvent(world, { type: "unusable", chatId: CHAT, reason: "the body is not JSON", raw: "{" }, "m1");

    expect(await statusOf(id)).toBe("pending");
    expect(world.store.keptEvents(CHAT)).toMatchObject([{ kind: "unusable", raw: "{" }]);
  });
});

describe("readLinqEvent", () => {
  it.each([
    ["a body that is not an object", "chat.group_name_updated"],
    ["an array", []],
    ["null", null],
    ["no event_type", { event_id: "e1", data: {} }],
    ["no event_id", { event_type: "chat.group_name_updated", data: { chat_id: CHAT } }],
    ["an empty event_id", { event_type: "chat.group_name_updated", event_id: "", data: { chat_id: CHAT } }],
    ["an oversized event_id", { event_type: "chat.group_name_updated", event_id: "e".repeat(129), data: {} }],
    ["an event_id with spaces", { event_type: "participant.removed", event_id: "e 1", data: { chat_id: CHAT } }],
    ["a relevant event without data", { event_type: "chat.group_name_updated", event_id: "e1" }],
    ["data that is an array", { event_type: "chat.group_name_updated", event_id: "e1", data: [] }],
    ["data without chat_id", { event_type: "chat.group_name_updated", event_id: "e1", data: { new_value: "x" } }],
    [
      "a chat_id that is not one",
      { event_type: "chat.group_name_updated", event_id: "e1", data: { chat_id: "chat-1", new_value: "x" } },
    ],
    ["an empty new_value", groupNameUpdated(CHAT, "")],
    [
      "a new_value that is not a string",
      { event_type: "chat.group_icon_updated", event_id: "e1", data: { chat_id: CHAT, new_value: 42 } },
    ],
    ["an oversized new_value", groupNameUpdated(CHAT, "n".repeat(4097))],
    [
      "an error_code that is not an integer",
      { event_type: "chat.group_name_update_failed", event_id: "e1", data: { chat_id: CHAT, error_code: "4001" } },
    ],
    ["a removal naming no handle", { event_type: "participant.removed", event_id: "e1", data: { chat_id: CHAT } }],
    ["a removal naming a handle of unknown shape", participantRemoved(CHAT, "nobody")],
    [
      "a removal whose participant is not an object",
      { event_type: "participant.removed", event_id: "e1", data: { chat_id: CHAT, participant: "+15551234567" } },
    ],
    [
      "fields only under a __proto__ key",
      JSON.parse(
        `{"event_type":"chat.group_name_updated","event_id":"e1","__proto__":{"data":{"chat_id":"${CHAT}","new_value":"x"}}}`,
      ),
    ],
    [
      "data whose fields sit only under a __proto__ key",
      JSON.parse(
        `{"event_type":"chat.group_name_updated","event_id":"e1","data":{"__proto__":{"chat_id":"${CHAT}","new_value":"x"}}}`,
      ),
    ],
  ])("reads %s as unusable, without throwing", (_what, body) => {
    expect(readLinqEvent(body)).toMatchObject({ type: "unusable", reason: expect.any(String) });
  });

  it("keeps what it could read of an unusable event, to file it under its chat", () => {
    expect(readLinqEvent(participantRemoved(CHAT, "nobody", { eventId: "e9" }))).toEqual({
      type: "unusable",
      eventId: "e9",
      eventType: "participant.removed",
      chatId: CHAT,
      reason: "participant.removed names no handle of a known shape",
    });
  });

  it("leaves Object.prototype alone when a body carries __proto__", () => {
    readLinqEvent(JSON.parse(`{"event_type":"x","event_id":"e1","__proto__":{"polluted":true}}`));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("ignores event types it does not act on, even one named __proto__", () => {
    expect(readLinqEvent(otherEvent("message.received", { chat_id: CHAT }))).toMatchObject({ type: "ignored" });
    expect(readLinqEvent({ event_type: "__proto__", event_id: "e1", data: {} })).toMatchObject({ type: "ignored" });
  });

  it("reads the event's own time, falling back to the envelope's when it is missing or not a time", () => {
    const body = groupNameUpdated(CHAT, "Team");
    const { updated_at: _at, ...data } = body.data;
    expect(readLinqEvent({ ...body, data })).toMatchObject({ at: "2026-03-01T12:00:05.000Z" });
    expect(readLinqEvent({ ...body, data: { ...data, updated_at: "yesterday" } })).toMatchObject({
      at: "2026-03-01T12:00:05.000Z",
    });
    expect(readLinqEvent(groupNameUpdated(CHAT, "Team", { at: "2026-03-01T12:00:09Z" }))).toMatchObject({
      at: "2026-03-01T12:00:09.000Z",
    });
  });

  // The design changed: the handle is kept as Linq wrote it, and normalised only where it is matched.
  it("reads the handle of participant.removed as Linq wrote it, current shape first, deprecated shape too", () => {
    expect(readLinqEvent(participantRemoved(CHAT, "+1 555 123 4567"))).toMatchObject({
      type: "outcome",
      part: "participant",
      outcome: "succeeded",
      chatId: CHAT,
      value: "+1 555 123 4567",
    });
    expect(readLinqEvent(participantRemovedDeprecated(CHAT, "Dave@Example.com"))).toMatchObject({
      type: "outcome",
      value: "Dave@Example.com",
    });
  });

  it("reads the envelope's trace id and who made the change", () => {
    expect(readLinqEvent(groupNameUpdated(CHAT, "Team", { traceId: "abc123", changedBy: OUR_LINE }))).toMatchObject({
      traceId: "abc123",
      changedBy: OUR_LINE,
    });
    expect(readLinqEvent(groupNameUpdated(CHAT, "Team", { changedBy: null }))).toMatchObject({ changedBy: null });
  });

  it("reads a changed_by_handle of unknown shape as saying nothing, and an unusable trace id as none", () => {
    const body = groupNameUpdated(CHAT, "Team", { traceId: "../../etc x" });
    const event = readLinqEvent({ ...body, data: { ...body.data, changed_by_handle: { handle: 7, is_me: "yes" } } });
    expect(event).toMatchObject({ type: "outcome", value: "Team" });
    expect(event).not.toHaveProperty("changedBy");
    expect(event).not.toHaveProperty("traceId");
  });
});
