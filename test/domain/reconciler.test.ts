import { beforeEach, describe, expect, it } from "vitest";
import { newOperation, type ChatUpdateRequest, type StoredOperation } from "../../src/domain/operation.ts";
import { removeParticipant, updateChat } from "../../src/domain/operations-service.ts";
import type { LinqApi, LinqHandle } from "../../src/domain/ports.ts";
import { reconcile, type ReconcilerPolicy } from "../../src/domain/reconciler.ts";
import { refusal, unavailable } from "../fakes/linq-api.ts";
import {
  A_PERSON,
  groupNameUpdated,
  groupNameUpdateFailed,
  OUR_LINE,
  participantRemoved,
} from "../fakes/linq-webhooks.ts";
import { CHAT, makeWorld, OTHER_CHAT, type World } from "../fakes/world.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const policy: ReconcilerPolicy = {
  settleAfterMs: 2 * MINUTE,
  // Apart on purpose, to show each kind keeps its own deadline.
  failAfterMs: { "chat.update": 30 * MINUTE, "participant.remove": 20 * MINUTE },
  abandonCallAfterMs: 6 * MINUTE,
  batchSize: 50,
  maxPages: 10,
  concurrency: 4,
};
const HANDLE = "+15551234567";
const ICON = "https://cdn.test/icon.png";
const LINQ_HOSTED = "https://media.linqapp.com/icons/0b7e.png";
const T0 = "2026-03-01T12:00:00.000Z";
/** A moment before every request of these tests, and one after. */
const BEFORE = "2026-03-01T11:00:00.000Z";
const LATER = "2026-03-01T12:00:30.000Z";

let world: World;
beforeEach(() => {
  world = makeWorld();
});

async function requestRemoval(chatId = CHAT, handle = HANDLE): Promise<string> {
  const result = await removeParticipant(world, { chatId, request: { handle }, source: "http" });
  return result.record.id;
}

async function requestUpdate(request: ChatUpdateRequest, chatId = CHAT): Promise<string> {
  const result = await updateChat(world, { chatId, request, source: "http" });
  return result.record.id;
}

async function recordOf(id: string, chatId = CHAT): Promise<StoredOperation> {
  const record = await world.store.get(chatId, id);
  if (record === undefined) throw new Error(`no record ${id}`);
  return record;
}

function member(handle: string, status: LinqHandle["status"], joinedAt = BEFORE): LinqHandle {
  return { handle, status, joined_at: joinedAt };
}

function chatWith(handles: LinqHandle[], chatId = CHAT): void {
  world.linq.setChat({ id: chatId, display_name: "Old name", group_chat_icon: null, handles });
}

/** Runs the reconciler `ms` after the start of the test. */
async function reconcileAt(ms: number, options: Partial<ReconcilerPolicy> = {}) {
  world.clock.set(new Date(Date.parse(T0) + ms).toISOString());
  return reconcile(world, { ...policy, ...options });
}

const DUE = policy.settleAfterMs + SECOND;
const UPDATE_DEADLINE = policy.failAfterMs["chat.update"];
const REMOVAL_DEADLINE = policy.failAfterMs["participant.remove"];

describe("a pending removal", () => {
  it.each([
    ["listed as removed", [member("+1 (555) 123-4567", "removed")], "proven", "the chat lists the handle as removed"],
    ["listed as left", [member(HANDLE, "left")], "proven", "the chat lists the handle as left"],
    ["no longer listed", [], "inferred", "the handle is no longer listed in the chat"],
  ] as const)("succeeds once the chat shows the handle %s, %s", async (_what, handles, basis, reason) => {
    const id = await requestRemoval();
    chatWith([member("+15550001111", "active"), ...handles]);

    const report = await reconcileAt(DUE);

    expect(report).toEqual({ checked: 1, settled: 1, errors: 0, stoppedEarly: false });
    expect(await recordOf(id)).toMatchObject({
      status: "succeeded",
      results: {
        participant: {
          settled_by: "reconciler",
          basis,
          reason,
          evidence: [{ source: "reconciler", conclusion: reason }],
        },
      },
    });
    expect(world.publisher.published).toMatchObject([{ trace_id: "linq-1", status: "succeeded" }]);
  });

  it("matches the handle normalised (an email in mixed case), while Linq was sent it as written", async () => {
    const id = await requestRemoval(CHAT, "Carol@Example.COM");
    chatWith([member("carol@example.com", "removed")]);

    await reconcileAt(DUE);

    expect(world.linq.callsOf("removeParticipant")).toMatchObject([{ handle: "Carol@Example.COM" }]);
    expect((await recordOf(id)).results.participant).toMatchObject({
      status: "succeeded",
      basis: "proven",
      evidence: [{ read: { handle_status: "removed" } }],
    });
  });

  it("succeeds, inferred, when the handle is active again with a joined_at after our request", async () => {
    const id = await requestRemoval();
    chatWith([member(HANDLE, "active", LATER)]);

    await reconcileAt(DUE);

    const result = (await recordOf(id)).results.participant;
    expect(result).toMatchObject({
      status: "succeeded",
      basis: "inferred",
      evidence: [{ read: { joined_at: LATER } }],
    });
    expect(result?.reason).toMatch(/^overwritten/);
  });

  it("is left alone while the participant is still active and its deadline has not passed", async () => {
    const id = await requestRemoval();
    chatWith([member(HANDLE, "active")]);
    const before = await recordOf(id);

    const report = await reconcileAt(REMOVAL_DEADLINE - SECOND);

    expect(report).toMatchObject({ checked: 1, settled: 0 });
    expect(await recordOf(id)).toEqual(before);
    expect(world.publisher.published).toEqual([]);
  });

  it("fails, inferred, with a timeout reason when the participant is still active after its deadline", async () => {
    const id = await requestRemoval();
    chatWith([member(HANDLE, "active")]);

    await reconcileAt(REMOVAL_DEADLINE);

    expect(await recordOf(id)).toMatchObject({
      status: "failed",
      error: { code: 9001, message: "timeout: the participant is still in the chat" },
      results: { participant: { status: "failed", settled_by: "reconciler", basis: "inferred", error_code: 9001 } },
    });
    expect(world.publisher.published).toMatchObject([{ trace_id: "linq-1", status: "failed" }]);
  });

  it("is not even looked at before settleAfter", async () => {
    await requestRemoval();
    chatWith([]);

    expect(await reconcileAt(policy.settleAfterMs - SECOND)).toEqual({
      checked: 0,
      settled: 0,
      errors: 0,
      stoppedEarly: false,
    });
    expect(world.linq.callsOf("getChat")).toEqual([]);
  });
});

describe("a pending update", () => {
  it("succeeds, proven, when the chat shows the requested name", async () => {
    const id = await requestUpdate({ display_name: "Team" });
    world.linq.setChat({ id: CHAT, display_name: "Team" });

    await reconcileAt(DUE);

    expect(await recordOf(id)).toMatchObject({
      status: "succeeded",
      results: {
        display_name: {
          status: "succeeded",
          settled_by: "reconciler",
          basis: "proven",
          reason: "the chat shows the requested value",
          evidence: [{ source: "reconciler", read: { display_name: "Team" } }],
        },
      },
    });
  });

  it("succeeds, inferred, when the chat shows the requested name that a person also set", async () => {
    const id = await requestUpdate({ display_name: "Team" });
    world.clock.advance(10 * SECOND);
    await world.deliver(groupNameUpdated(CHAT, "Team", { changedBy: A_PERSON, at: world.clock.iso() }));
    world.linq.setChat({ id: CHAT, display_name: "Team" });

    await reconcileAt(DUE);

    expect((await recordOf(id)).results.display_name).toMatchObject({ status: "succeeded", basis: "inferred" });
  });

  it("succeeds, inferred only, when another operation asked for the same value: the value cannot say whose call set it", async () => {
    const first = await requestUpdate({ display_name: "Team" });
    await world.deliver(groupNameUpdated(CHAT, "Team", { changedBy: OUR_LINE }));
    world.clock.advance(SECOND);
    const second = await requestUpdate({ display_name: "Team" }); // Linq fails it, and its failure webhook is lost
    world.linq.setChat({ id: CHAT, display_name: "Team", updated_at: "2026-03-01T12:00:05.000Z" });

    await reconcileAt(DUE + SECOND);

    expect((await recordOf(first)).results.display_name).toMatchObject({ settled_by: "webhook" });
    expect((await recordOf(second)).results.display_name).toMatchObject({
      status: "succeeded",
      basis: "inferred",
      reason: expect.stringContaining("another operation"),
    });
  });

  it("succeeds, inferred only, when the chat showed the requested value already before the request", async () => {
    const id = await requestUpdate({ display_name: "Team" });
    world.linq.setChat({ id: CHAT, display_name: "Team", updated_at: BEFORE });

    await reconcileAt(DUE);

    expect((await recordOf(id)).results.display_name).toMatchObject({
      status: "succeeded",
      basis: "inferred",
      reason: expect.stringContaining("before the request"),
    });
  });

  it("settles the part in place and waits for the other, then fails that one, inferred, after its deadline", async () => {
    const id = await requestUpdate({ display_name: "Team", group_chat_icon: ICON });
    world.linq.setChat({ id: CHAT, display_name: "Team", group_chat_icon: null });

    await reconcileAt(DUE);
    expect(await recordOf(id)).toMatchObject({
      status: "pending",
      results: { display_name: { status: "succeeded" }, group_chat_icon: { status: "pending" } },
    });

    await reconcileAt(UPDATE_DEADLINE);
    expect(await recordOf(id)).toMatchObject({
      status: "failed",
      error: { code: 9001, message: "timeout: the chat does not show the requested value and nothing explains it" },
      results: { group_chat_icon: { basis: "inferred" } },
    });
    expect(world.publisher.published).toMatchObject([{ trace_id: id, status: "failed" }]);
  });

  it("loses to a webhook that settles it while the chat is being read, and publishes nothing twice", async () => {
    const id = await requestUpdate({ display_name: "Team" });
    world.linq.answerGetChat(CHAT, async (chatId) => {
      await world.deliver(groupNameUpdated(chatId, "Team"));
      return { id: chatId, display_name: "Team", group_chat_icon: null, updated_at: null, handles: [] };
    });

    const report = await reconcileAt(DUE);

    expect(report).toMatchObject({ checked: 1, settled: 0 });
    expect((await recordOf(id)).results.display_name).toMatchObject({ settled_by: "webhook" });
    expect(world.publisher.published).toHaveLength(1);
  });
});

describe("a value the chat does not show (issue 10, 2)", () => {
  it("past the deadline, was overwritten by a later operation's value: succeeded, inferred", async () => {
    const a = await requestUpdate({ display_name: "X" }); // its webhook is lost
    world.clock.advance(SECOND);
    const b = await requestUpdate({ display_name: "Y" });
    await world.deliver(groupNameUpdated(CHAT, "Y", { changedBy: OUR_LINE }));
    world.linq.setChat({ id: CHAT, display_name: "Y", updated_at: LATER });

    await reconcileAt(DUE);
    expect(await recordOf(a)).toMatchObject({ status: "pending" });

    await reconcileAt(UPDATE_DEADLINE);

    const record = await recordOf(a);
    expect(record).toMatchObject({
      status: "succeeded",
      results: { display_name: { status: "succeeded", basis: "inferred", settled_by: "reconciler" } },
    });
    expect(record.results.display_name?.reason).toMatch(/^overwritten/);
    expect(await recordOf(b)).toMatchObject({ status: "succeeded" });
    expect(world.publisher.published).toMatchObject([
      { trace_id: b, status: "succeeded" },
      { trace_id: a, status: "succeeded" },
    ]);
  });

  it("past the deadline, was overwritten by a later change kept against the chat: succeeded, inferred", async () => {
    const id = await requestUpdate({ display_name: "X" });
    world.clock.advance(10 * SECOND);
    await world.deliver(groupNameUpdated(CHAT, "Renamed on a phone", { changedBy: A_PERSON, at: world.clock.iso() }));
    world.linq.setChat({ id: CHAT, display_name: "Renamed on a phone" });

    await reconcileAt(UPDATE_DEADLINE);

    expect((await recordOf(id)).results.display_name?.reason).toMatch(/^overwritten: a later change of the chat/);
    expect(await recordOf(id)).toMatchObject({ status: "succeeded" });
  });

  it("past the deadline, with nothing to explain it: failed 9001, inferred", async () => {
    const id = await requestUpdate({ display_name: "X" });
    world.linq.setChat({ id: CHAT, display_name: "Old name", updated_at: BEFORE });

    await reconcileAt(UPDATE_DEADLINE - SECOND);
    expect(await recordOf(id)).toMatchObject({ status: "pending" });

    await reconcileAt(UPDATE_DEADLINE);
    expect(await recordOf(id)).toMatchObject({
      status: "failed",
      error: { code: 9001 },
      results: { display_name: { status: "failed", basis: "inferred", error_code: 9001 } },
    });
  });

  it("of an icon Linq re-hosts: the chat showing an icon set since the request makes it succeeded, inferred, by the deadline", async () => {
    const id = await requestUpdate({ group_chat_icon: ICON });
    world.linq.setChat({ id: CHAT, group_chat_icon: LINQ_HOSTED, updated_at: LATER });

    await reconcileAt(DUE);
    expect(await recordOf(id)).toMatchObject({ status: "pending" });

    await reconcileAt(UPDATE_DEADLINE);
    expect((await recordOf(id)).results.group_chat_icon).toMatchObject({
      status: "succeeded",
      basis: "inferred",
      reason: expect.stringMatching(/^overwritten/),
    });
  });

  it("keeps each kind's own deadline", async () => {
    const update = await requestUpdate({ display_name: "X" });
    const removal = await requestRemoval();
    world.linq.setChat({ id: CHAT, display_name: "Old name", handles: [member(HANDLE, "active")] });

    await reconcileAt(REMOVAL_DEADLINE);

    expect(await recordOf(removal)).toMatchObject({ status: "failed" });
    expect(await recordOf(update)).toMatchObject({ status: "pending" });
  });

  it("keeps a webhook that arrives after the deadline decided on the record; the outcome stands, published once", async () => {
    const id = await requestUpdate({ display_name: "X" });
    world.linq.setChat({ id: CHAT, display_name: "Old name" });
    await reconcileAt(UPDATE_DEADLINE);
    expect(await recordOf(id)).toMatchObject({ status: "failed" });

    await world.deliver(groupNameUpdated(CHAT, "X", { changedBy: OUR_LINE, eventId: "late-1" }));

    const record = await recordOf(id);
    expect(record).toMatchObject({ status: "failed", results: { display_name: { status: "failed" } } });
    expect(record.results.display_name?.evidence).toMatchObject([{ source: "reconciler" }, { event_id: "late-1" }]);
    expect(world.publisher.published).toHaveLength(1);
  });
});

describe("a failure event kept ambiguous", () => {
  it("is assigned to the oldest of its candidates, inferred, once every candidate is past the deadline", async () => {
    const first = await requestUpdate({ display_name: "A" });
    world.clock.advance(SECOND);
    const second = await requestUpdate({ display_name: "B" });
    await world.deliver(groupNameUpdateFailed(CHAT, 4001, { eventId: "fail-1" }));
    world.linq.setChat({ id: CHAT, display_name: "Old name" });

    await reconcileAt(UPDATE_DEADLINE - SECOND);
    expect(world.store.keptEvents(CHAT)).toMatchObject([{ kind: "ambiguous" }]);
    expect(world.store.keptEvents(CHAT)[0]?.resolved_to).toBeUndefined();

    await reconcileAt(UPDATE_DEADLINE + 2 * SECOND);

    expect(await recordOf(first)).toMatchObject({
      status: "failed",
      error: { code: 4001 },
      results: { display_name: { basis: "inferred", evidence: [{ event_id: "fail-1" }] } },
    });
    expect(await recordOf(second)).toMatchObject({ status: "failed", error: { code: 9001 } });
    expect(world.store.keptEvents(CHAT)).toMatchObject([{ resolved_to: first }]);
  });

  it("is the oldest candidate's once that one is past its deadline, even while a younger one is not", async () => {
    const older = await requestUpdate({ display_name: "A" });
    world.clock.set(new Date(Date.parse(T0) + 10 * MINUTE).toISOString());
    const younger = await requestUpdate({ display_name: "B" });
    await world.deliver(groupNameUpdateFailed(CHAT, 4001, { eventId: "fail-1" }));
    world.linq.setChat({ id: CHAT, display_name: "Old name" });

    await reconcileAt(UPDATE_DEADLINE + SECOND);

    // Every event of the older one has arrived by its deadline: the failure is its, not a timeout of ours.
    expect(await recordOf(older)).toMatchObject({
      status: "failed",
      error: { code: 4001 },
      results: { display_name: { basis: "inferred", evidence: [{ event_id: "fail-1" }] } },
    });
    expect(await recordOf(younger)).toMatchObject({ status: "pending" });
  });

  it("is resolved by the chat showing the other candidate's value: that one succeeded, proven, this one failed, inferred", async () => {
    const failing = await requestUpdate({ display_name: "A" });
    world.clock.advance(SECOND);
    const good = await requestUpdate({ display_name: "B" }); // its success webhook is lost
    await world.deliver(groupNameUpdateFailed(CHAT, 4001, { eventId: "fail-1" }));
    world.linq.setChat({ id: CHAT, display_name: "B", updated_at: LATER });

    await reconcileAt(DUE);

    expect(await recordOf(good)).toMatchObject({
      status: "succeeded",
      results: { display_name: { basis: "proven", settled_by: "reconciler" } },
    });
    expect(await recordOf(failing)).toMatchObject({
      status: "failed",
      error: { code: 4001 },
      results: { display_name: { basis: "inferred", evidence: [{ event_id: "fail-1" }] } },
    });
    expect(world.store.keptEvents(CHAT)).toMatchObject([{ resolved_to: failing }]);
  });

  it("arriving after the chat showed the other rename's value, fails the one left, inferred", async () => {
    const failing = await requestUpdate({ display_name: "A" });
    world.clock.advance(SECOND);
    await requestUpdate({ display_name: "B" });
    world.linq.setChat({ id: CHAT, display_name: "B", updated_at: LATER });
    await reconcileAt(DUE);

    expect(await world.deliver(groupNameUpdateFailed(CHAT, 4001))).toMatchObject({
      result: "settled",
      records: [{ id: failing }],
    });
    expect(await recordOf(failing)).toMatchObject({
      status: "failed",
      results: { display_name: { basis: "inferred" } },
    });
  });

  it("still leaves the delayed success of the candidate the chat proved to that candidate", async () => {
    await requestUpdate({ display_name: "A" });
    world.clock.advance(SECOND);
    const good = await requestUpdate({ display_name: "B" });
    await world.deliver(groupNameUpdateFailed(CHAT, 4001));
    world.linq.setChat({ id: CHAT, display_name: "B", updated_at: LATER });
    await reconcileAt(DUE);

    const late = await world.deliver(groupNameUpdated(CHAT, "B", { changedBy: OUR_LINE }));

    expect(late).toMatchObject({ result: "settled", records: [{ id: good }] });
    expect(world.publisher.published).toHaveLength(2);
  });
});

describe("a chat the reconciler cannot read (issue 10, 7)", () => {
  it.each([
    ["403/2005", refusal(403, 2005, "Access denied"), "timeout: Linq refused to show the chat (403/2005)"],
    ["404/2001", refusal(404, 2001, "Chat not found"), "timeout: Linq no longer knows the chat"],
    ["409/2013", refusal(409, 2013, "This chat is unavailable"), "timeout: Linq refused to show the chat (409/2013)"],
  ])(
    "(%s) gets a final state by its deadline, failed, inferred, saying what Linq answered, and not before",
    async (_what, answer, reason) => {
      const id = await requestRemoval();
      world.linq.answerGetChat(CHAT, answer, answer);

      expect(await reconcileAt(REMOVAL_DEADLINE - SECOND)).toMatchObject({ checked: 1, settled: 0, errors: 0 });
      expect(await recordOf(id)).toMatchObject({ status: "pending" });

      await reconcileAt(REMOVAL_DEADLINE);

      expect(await recordOf(id)).toMatchObject({
        status: "failed",
        error: { code: 9001, message: reason },
        results: {
          participant: {
            basis: "inferred",
            evidence: [{ source: "reconciler", read: { refused: { status: answer.status, code: answer.code } } }],
          },
        },
      });
      expect(world.publisher.published).toMatchObject([{ status: "failed" }]);
    },
  );

  it("that Linq cannot answer for now stays pending and counts an error, even past the deadline", async () => {
    const id = await requestRemoval();
    world.linq.answerGetChat(CHAT, unavailable());

    expect(await reconcileAt(REMOVAL_DEADLINE)).toMatchObject({ settled: 0, errors: 1 });
    expect(await recordOf(id)).toMatchObject({ status: "pending" });
  });
});

// The design changed: no "awaiting Linq's trace id" state. A removal whose answer was lost keeps our trace id.
describe("a call whose function died before writing Linq's answer", () => {
  async function diedMidCall(): Promise<string> {
    const record = newOperation({
      kind: "chat.update",
      id: "dead-1",
      chatId: CHAT,
      request: { display_name: "Team" },
      source: "http",
      now: world.clock.iso(),
    });
    await world.store.commit([{ type: "operation", before: undefined, after: record }]);
    return record.id;
  }

  it("keeps a settled outcome from going out until the call is given up, then publishes it once", async () => {
    const id = await diedMidCall();
    await world.deliver(groupNameUpdated(CHAT, "Team", { changedBy: OUR_LINE }));
    expect(await recordOf(id)).toMatchObject({ status: "succeeded", calling_since: T0 });
    expect(world.publisher.published).toEqual([]);

    chatWith([]);
    await reconcileAt(policy.abandonCallAfterMs - SECOND);
    expect(world.publisher.published).toEqual([]);

    await reconcileAt(policy.abandonCallAfterMs + SECOND);
    const record = await recordOf(id);
    expect(record.calling_since).toBeUndefined();
    expect(record.linq_attempts).toEqual([{ at: T0, result: "unknown" }]);
    expect(world.publisher.published).toMatchObject([{ trace_id: id, status: "succeeded" }]);
    await reconcileAt(policy.abandonCallAfterMs + 2 * SECOND);
    expect(world.publisher.published).toHaveLength(1);
  });
});

describe("a removal whose Linq answer was lost", () => {
  async function lostAnswer(): Promise<string> {
    world.linq.answerRemoveParticipant(unavailable("timeout"));
    await expect(
      removeParticipant(world, { chatId: CHAT, request: { handle: HANDLE }, source: "http" }),
    ).rejects.toThrow();
    expect(world.store.all()).toMatchObject([{ id: "ours-1", trace_id: "ours-1", status: "pending" }]);
    return "ours-1";
  }

  it("is settled under our trace id by reading the chat, and its outcome published", async () => {
    const id = await lostAnswer();
    chatWith([member(HANDLE, "removed")]);

    await reconcileAt(DUE);

    expect(await recordOf(id)).toMatchObject({ trace_id: "ours-1", status: "succeeded" });
    expect(world.publisher.published).toMatchObject([{ trace_id: "ours-1", status: "succeeded" }]);
  });

  it("is published under our trace id as soon as a webhook settles it", async () => {
    const id = await lostAnswer();

    await world.deliver(participantRemoved(CHAT, HANDLE, { at: world.clock.iso() }));

    expect(await recordOf(id)).toMatchObject({ status: "succeeded" });
    expect(world.publisher.published).toMatchObject([{ trace_id: "ours-1", status: "succeeded" }]);
    await reconcileAt(DUE);
    expect(world.publisher.published).toHaveLength(1);
  });
});

describe("one reconcile run", () => {
  it("goes on with the other chats when Linq fails for one", async () => {
    const stuck = await requestRemoval(CHAT);
    const fine = await requestRemoval(OTHER_CHAT);
    world.linq.answerGetChat(CHAT, unavailable());
    chatWith([], OTHER_CHAT);
    const errors: { chatId: string }[] = [];

    const report = await reconcile(world, { ...policy }, { onError: (error) => errors.push(error) });
    expect(report).toMatchObject({ checked: 0 });

    world.clock.advance(DUE);
    expect(await reconcile(world, policy, { onError: (error) => errors.push(error) })).toMatchObject({
      settled: 1,
      errors: 1,
    });
    expect(errors).toMatchObject([{ chatId: CHAT }]);
    expect(await recordOf(stuck)).toMatchObject({ status: "pending" });
    expect(await recordOf(fine, OTHER_CHAT)).toMatchObject({ status: "succeeded" });
  });

  it("works through a backlog page by page, so newer operations are not starved behind the oldest page", async () => {
    world.linq.answerGetChat(CHAT, unavailable(), unavailable(), unavailable());
    for (let i = 0; i < 3; i++) {
      world.clock.advance(SECOND);
      await requestRemoval(CHAT, `+1555123000${i}`);
    }
    world.clock.advance(SECOND);
    const newer = await requestRemoval(OTHER_CHAT);
    chatWith([], OTHER_CHAT);

    // Pages of 2: the first page is CHAT's, which Linq cannot show; the second page still gets its turn, and CHAT,
    // read once already this run, is not read again for its third operation.
    const report = await reconcileAt(DUE + 4 * SECOND, { batchSize: 2, maxPages: 3 });

    expect(report).toMatchObject({ checked: 1, settled: 1, errors: 1 });
    expect(world.linq.callsOf("getChat").map((call) => call.chatId)).toEqual([CHAT, OTHER_CHAT]);
    expect(await recordOf(newer, OTHER_CHAT)).toMatchObject({ status: "succeeded" });
  });

  it("reads each chat once for all its pending operations", async () => {
    await requestRemoval(CHAT, "+15551230001");
    await requestRemoval(CHAT, "+15551230002");
    chatWith([]);

    expect(await reconcileAt(DUE)).toMatchObject({ checked: 2, settled: 2 });
    expect(world.linq.callsOf("getChat")).toHaveLength(1);
  });

  it("stops at its time budget and leaves the rest to the next run", async () => {
    await requestRemoval();
    chatWith([]);
    world.clock.advance(DUE);

    const report = await reconcile(world, policy, { deadline: Date.now() - 1 });

    expect(report).toEqual({ checked: 0, settled: 0, errors: 0, stoppedEarly: true });
    expect(world.linq.callsOf("getChat")).toEqual([]);
  });
});

describe("the walk through the backlog, across runs", () => {
  /** Chats each with one removal Linq shows not done yet (so each stays pending), requested a second apart. */
  async function backlogOf(count: number): Promise<string[]> {
    const chats = Array.from({ length: count }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    for (const chatId of chats) {
      world.clock.advance(SECOND);
      await requestRemoval(chatId);
      chatWith([member(HANDLE, "active")], chatId);
    }
    world.clock.advance(DUE);
    return chats;
  }

  /** The chats Linq was asked for, in order, since the last call of this. */
  function readSince(): () => string[] {
    let seen = 0;
    return () => {
      const calls = world.linq.callsOf("getChat").map((call) => call.chatId);
      const fresh = calls.slice(seen);
      seen = calls.length;
      return fresh;
    };
  }

  it("carries on where the last run stopped, and wraps to the oldest once it reaches the end", async () => {
    const chats = await backlogOf(10);
    const reads = readSince();
    const onePage = { ...policy, batchSize: 4, maxPages: 1 };

    await reconcile(world, onePage);
    expect(reads()).toEqual(chats.slice(0, 4));
    await reconcile(world, onePage);
    expect(reads()).toEqual(chats.slice(4, 8));
    await reconcile(world, onePage);
    expect(reads()).toEqual(chats.slice(8, 10));
    // The end was reached: the oldest chats get their turn again rather than waiting behind a growing backlog.
    await reconcile(world, onePage);
    expect(reads()).toEqual(chats.slice(0, 4));
  });

  it("in a run that began further on, goes round to the oldest chats before stopping, reading each chat once", async () => {
    const chats = await backlogOf(6);
    const reads = readSince();
    await reconcile(world, { ...policy, batchSize: 4, maxPages: 1 });
    reads();

    await reconcile(world, { ...policy, batchSize: 4, maxPages: 10 });

    expect(reads()).toEqual([...chats.slice(4), ...chats.slice(0, 4)]);
    expect(world.position.position).toBeUndefined();
  });

  it("with a slow Linq, returns inside its budget, and the next runs carry on until every chat was read", async () => {
    const chats = await backlogOf(12);
    const reads = readSince();
    const delayMs = 60;
    const budgetMs = 150;
    const started: number[] = [];
    const slow: LinqApi = {
      updateChat: (...args) => world.linq.updateChat(...args),
      removeParticipant: (...args) => world.linq.removeParticipant(...args),
      getChat: async (chatId) => {
        started.push(Date.now());
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return world.linq.getChat(chatId);
      },
    };
    const walk = { ...policy, batchSize: 4, concurrency: 2 };

    const runs: string[][] = [];
    for (let run = 0; run < 3; run++) {
      started.length = 0;
      const deadline = Date.now() + budgetMs;
      const report = await reconcile({ ...world, linq: slow }, walk, { deadline });
      const returned = Date.now();

      expect(report.stoppedEarly).toBe(true);
      // No read starts past the deadline, so the run ends within one read of it (the handler's margin covers one).
      expect(started.every((at) => at < deadline)).toBe(true);
      expect(returned - deadline).toBeLessThan(delayMs + 250);
      runs.push(reads());
    }

    // Each run starts at the first page the one before did not finish, never at the oldest page again...
    for (let run = 1; run < runs.length; run++) {
      const before = runs[run - 1]!;
      const stoppedAt = chats.indexOf(before.at(-1)!) + 1;
      expect(chats.indexOf(runs[run]![0]!)).toBe(stoppedAt - (stoppedAt % 4));
    }
    // ...so between them they read every chat.
    expect(new Set(runs.flat())).toEqual(new Set(chats));
  });

  it("starts from the oldest when the saved position is not one the store hands out", async () => {
    const chats = await backlogOf(2);
    world.position.position = "not-a-cursor";

    await reconcile(world, policy);

    expect(world.linq.callsOf("getChat").map((call) => call.chatId)).toEqual(chats);
    expect(world.position.position).toBeUndefined();
  });

  it("writes no position when it has nothing to carry over", async () => {
    await backlogOf(2);

    await reconcile(world, policy);
    await reconcile(world, policy);

    expect(world.position.saves).toEqual([]);
  });
});

// The design changed: no outbox for the reconciler to drain. Its outcomes go out from the stream like any other.
describe("an outcome the reconciler settled", () => {
  it("whose publish failed is published once when the stream retries", async () => {
    const id = await requestUpdate({ display_name: "Team" });
    world.linq.setChat({ id: CHAT, display_name: "Team" });
    world.publisher.failNext();

    expect(await reconcileAt(DUE)).toMatchObject({ settled: 1, errors: 0 });
    expect(world.publisher.published).toEqual([]);

    await world.retryStream();
    await reconcileAt(DUE + SECOND);

    expect(world.publisher.published).toMatchObject([{ trace_id: id, status: "succeeded" }]);
    expect(world.publisher.published).toHaveLength(1);
  });
});
