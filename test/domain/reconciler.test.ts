import { beforeEach, describe, expect, it } from "vitest";
import type { ChatUpdateRequest } from "../../src/domain/operation.ts";
import { removeParticipant, updateChat } from "../../src/domain/operations-service.ts";
import { reconcile, type ReconcilerPolicy } from "../../src/domain/reconciler.ts";
import { unavailable } from "../fakes/linq-api.ts";
import { groupNameUpdated, participantRemoved } from "../fakes/linq-webhooks.ts";
import { CHAT, makeWorld, OTHER_CHAT, type World } from "../fakes/world.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const policy: ReconcilerPolicy = {
  settleAfterMs: 2 * MINUTE,
  failAfterMs: 15 * MINUTE,
  abandonAwaitingAfterMs: 5 * MINUTE,
  outboxAfterMs: 1 * MINUTE,
  batchSize: 50,
};
const HANDLE = "+15551234567";
const ICON = "https://cdn.test/icon.png";

let world: World;
beforeEach(() => {
  world = makeWorld();
});

async function requestRemoval(chatId = CHAT, handle = HANDLE): Promise<string> {
  const answer = await removeParticipant(world, { chatId, request: { handle }, source: "http" });
  return (answer.body as { trace_id: string }).trace_id;
}

async function requestUpdate(request: ChatUpdateRequest, chatId = CHAT): Promise<string> {
  const answer = await updateChat(world, { chatId, request, source: "http" });
  return (answer.body as { trace_id: string }).trace_id;
}

function chatWith(handles: { handle: string; status: "active" | "left" | "removed" | null }[], chatId = CHAT): void {
  world.linq.setChat({ id: chatId, display_name: "Old name", group_chat_icon: null, handles });
}

describe("a pending removal", () => {
  it.each([
    ["no longer listed", []],
    ["listed as removed", [{ handle: "+1 (555) 123-4567", status: "removed" as const }]],
    ["listed as left", [{ handle: HANDLE, status: "left" as const }]],
  ])("succeeds once the chat shows the handle %s", async (_what, handles) => {
    const traceId = await requestRemoval();
    chatWith([{ handle: "+15550001111", status: "active" }, ...handles]);
    world.clock.advance(policy.settleAfterMs + SECOND);

    const report = await reconcile(world, policy);

    expect(report).toEqual({ checked: 1, settled: 1, published: 0, errors: 0 });
    const record = await world.store.get(CHAT, traceId);
    expect(record).toMatchObject({ status: "succeeded", results: { participant: { settled_by: "reconciler" } } });
    expect(world.publisher.published).toMatchObject([{ trace_id: traceId, status: "succeeded" }]);
  });

  it("is left alone while the participant is still active and failAfter has not passed", async () => {
    const traceId = await requestRemoval();
    chatWith([{ handle: HANDLE, status: "active" }]);
    world.clock.advance(policy.failAfterMs - SECOND);
    const before = await world.store.get(CHAT, traceId);

    const report = await reconcile(world, policy);

    expect(report).toMatchObject({ checked: 1, settled: 0 });
    expect(await world.store.get(CHAT, traceId)).toEqual(before);
    expect(world.publisher.published).toEqual([]);
  });

  it("fails with a timeout reason when the participant is still active after failAfter", async () => {
    const traceId = await requestRemoval();
    chatWith([{ handle: HANDLE, status: "active" }]);
    world.clock.advance(policy.failAfterMs);

    await reconcile(world, policy);

    const record = await world.store.get(CHAT, traceId);
    expect(record).toMatchObject({
      status: "failed",
      error: { message: "timeout: the participant is still in the chat" },
      results: { participant: { status: "failed", settled_by: "reconciler" } },
    });
    expect(world.publisher.published).toMatchObject([{ trace_id: traceId, status: "failed" }]);
  });

  it("fails after failAfter when Linq no longer knows the chat, and is left alone before", async () => {
    const traceId = await requestRemoval();
    world.clock.advance(policy.settleAfterMs + SECOND);
    await reconcile(world, policy);
    expect(await world.store.get(CHAT, traceId)).toMatchObject({ status: "pending" });

    world.clock.advance(policy.failAfterMs);
    await reconcile(world, policy);
    expect(await world.store.get(CHAT, traceId)).toMatchObject({
      status: "failed",
      error: { message: "timeout: Linq no longer knows the chat" },
    });
  });

  it("is not even looked at before settleAfter", async () => {
    await requestRemoval();
    chatWith([]);
    world.clock.advance(policy.settleAfterMs - SECOND);

    expect(await reconcile(world, policy)).toEqual({ checked: 0, settled: 0, published: 0, errors: 0 });
    expect(world.linq.callsOf("getChat")).toEqual([]);
  });
});

describe("a pending update", () => {
  it("succeeds when the chat shows the requested name", async () => {
    const traceId = await requestUpdate({ display_name: "Team" });
    world.linq.setChat({ id: CHAT, display_name: "Team" });
    world.clock.advance(policy.settleAfterMs + SECOND);

    await reconcile(world, policy);

    expect(await world.store.get(CHAT, traceId)).toMatchObject({
      status: "succeeded",
      results: { display_name: { status: "succeeded", settled_by: "reconciler" } },
    });
  });

  it("settles the part in place and waits for the other, then fails that one after failAfter", async () => {
    const traceId = await requestUpdate({ display_name: "Team", group_chat_icon: ICON });
    world.linq.setChat({ id: CHAT, display_name: "Team", group_chat_icon: null });
    world.clock.advance(policy.settleAfterMs + SECOND);

    await reconcile(world, policy);
    expect(await world.store.get(CHAT, traceId)).toMatchObject({
      status: "pending",
      results: { display_name: { status: "succeeded" }, group_chat_icon: { status: "pending" } },
    });

    world.clock.advance(policy.failAfterMs);
    await reconcile(world, policy);
    expect(await world.store.get(CHAT, traceId)).toMatchObject({
      status: "failed",
      error: { message: "timeout: the chat does not show the requested value" },
    });
    expect(world.publisher.published).toMatchObject([{ trace_id: traceId, status: "failed" }]);
  });

  it("loses to a webhook that settles it while the chat is being read, and publishes nothing twice", async () => {
    const traceId = await requestUpdate({ display_name: "Team" });
    world.linq.answerGetChat(CHAT, async (chatId) => {
      await world.deliver(groupNameUpdated(chatId, "Team"));
      return { id: chatId, display_name: "Team", group_chat_icon: null, handles: [] };
    });
    world.clock.advance(policy.settleAfterMs + SECOND);

    const report = await reconcile(world, policy);

    expect(report).toMatchObject({ checked: 1, settled: 0 });
    expect((await world.store.get(CHAT, traceId))?.results.display_name).toMatchObject({ settled_by: "webhook" });
    expect(world.publisher.published).toHaveLength(1);
  });
});

describe("a removal whose Linq answer was lost (still awaiting Linq's trace id)", () => {
  async function lostAnswer(): Promise<string> {
    world.linq.answerRemoveParticipant(unavailable("timeout"));
    await expect(
      removeParticipant(world, { chatId: CHAT, request: { handle: HANDLE }, source: "http" }),
    ).rejects.toThrow();
    const [intent] = await world.store.all();
    expect(intent).toMatchObject({ trace_id: "ours-1", awaiting_trace_id: true, status: "pending" });
    return "ours-1";
  }

  it("is left alone while an invocation could still be waiting for Linq's answer", async () => {
    const traceId = await lostAnswer();
    chatWith([]);
    world.clock.advance(policy.abandonAwaitingAfterMs - SECOND);

    await reconcile(world, policy);

    expect(await world.store.get(CHAT, traceId)).toMatchObject({ status: "pending", awaiting_trace_id: true });
  });

  it("is settled under our trace id once older than abandonAwaitingAfterMs, and its outcome published", async () => {
    const traceId = await lostAnswer();
    chatWith([]);
    world.clock.advance(policy.abandonAwaitingAfterMs);

    await reconcile(world, policy);

    const record = await world.store.get(CHAT, traceId);
    expect(record).toMatchObject({ status: "succeeded" });
    expect(record?.awaiting_trace_id).toBeUndefined();
    expect(world.publisher.published).toMatchObject([{ trace_id: traceId, status: "succeeded" }]);
  });

  it("keeps our trace id for good even when nothing can be settled yet", async () => {
    const traceId = await lostAnswer();
    chatWith([{ handle: HANDLE, status: "active" }]);
    world.clock.advance(policy.abandonAwaitingAfterMs);

    await reconcile(world, policy);

    const record = await world.store.get(CHAT, traceId);
    expect(record).toMatchObject({ status: "pending" });
    expect(record?.awaiting_trace_id).toBeUndefined();
  });

  it("is published under our trace id when a webhook settled it meanwhile", async () => {
    const traceId = await lostAnswer();
    await world.deliver(participantRemoved(CHAT, HANDLE, { at: world.clock.iso() }));
    expect(world.publisher.published).toEqual([]); // it still awaits a trace id that will never come

    world.clock.advance(policy.abandonAwaitingAfterMs);
    await reconcile(world, policy);
    await reconcile(world, policy);

    expect(world.publisher.published).toMatchObject([{ trace_id: traceId, status: "succeeded" }]);
    const record = await world.store.get(CHAT, traceId);
    expect(record?.awaiting_trace_id).toBeUndefined();
    expect(record?.outbox_since).toBeUndefined();
  });
});

describe("one reconcile run", () => {
  it("goes on with the other chats when Linq fails for one", async () => {
    const stuck = await requestRemoval(CHAT);
    const fine = await requestRemoval(OTHER_CHAT);
    world.linq.answerGetChat(CHAT, unavailable());
    chatWith([], OTHER_CHAT);
    world.clock.advance(policy.settleAfterMs + SECOND);

    const report = await reconcile(world, policy);

    expect(report).toMatchObject({ settled: 1, errors: 1 });
    expect(await world.store.get(CHAT, stuck)).toMatchObject({ status: "pending" });
    expect(await world.store.get(OTHER_CHAT, fine)).toMatchObject({ status: "succeeded" });
  });

  it("works through a backlog page by page, so newer operations are not starved behind the oldest page", async () => {
    world.linq.answerGetChat(CHAT, unavailable(), unavailable(), unavailable());
    for (let i = 0; i < 3; i++) await requestRemoval(CHAT, `+1555123000${i}`);
    const newer = await requestRemoval(OTHER_CHAT);
    chatWith([], OTHER_CHAT);
    world.clock.advance(policy.settleAfterMs + SECOND);

    // Pages of 2: the first page is CHAT's, which Linq cannot show; the second page still gets its turn.
    const report = await reconcile(world, { ...policy, batchSize: 2, maxPages: 3 });

    expect(report).toMatchObject({ checked: 1, settled: 1, errors: 3 });
    expect(await world.store.get(OTHER_CHAT, newer)).toMatchObject({ status: "succeeded" });
  });

  it("reads each chat once for all its pending operations", async () => {
    await requestRemoval(CHAT, "+15551230001");
    await requestRemoval(CHAT, "+15551230002");
    chatWith([]);
    world.clock.advance(policy.settleAfterMs + SECOND);

    expect(await reconcile(world, policy)).toMatchObject({ checked: 2, settled: 2 });
    expect(world.linq.callsOf("getChat")).toHaveLength(1);
  });
});

describe("the outbox", () => {
  it("publishes a settled record whose publish failed, on the next run after outboxAfter, exactly once, and clears the mark", async () => {
    const traceId = await requestUpdate({ display_name: "Team" });
    world.publisher.failNext();
    // The webhook is still acknowledged: the outcome is stored with its mark.
    expect(await world.deliver(groupNameUpdated(CHAT, "Team", { at: world.clock.iso() }))).toMatchObject({
      result: "settled",
    });
    expect(await world.store.get(CHAT, traceId)).toMatchObject({
      status: "succeeded",
      outbox_since: expect.any(String),
    });

    world.clock.advance(policy.outboxAfterMs - SECOND);
    expect(await reconcile(world, policy)).toMatchObject({ published: 0 });
    expect(world.publisher.published).toEqual([]);

    world.clock.advance(2 * SECOND);
    expect(await reconcile(world, policy)).toMatchObject({ published: 1, errors: 0 });
    expect(await reconcile(world, policy)).toMatchObject({ published: 0 });

    expect(world.publisher.published).toMatchObject([{ trace_id: traceId, status: "succeeded" }]);
    expect((await world.store.get(CHAT, traceId))?.outbox_since).toBeUndefined();
  });

  it("keeps the mark and counts an error when the publisher fails again", async () => {
    const traceId = await requestUpdate({ display_name: "Team" });
    world.publisher.failNext(2);
    await world.deliver(groupNameUpdated(CHAT, "Team", { at: world.clock.iso() }));
    world.clock.advance(policy.outboxAfterMs + SECOND);

    expect(await reconcile(world, policy)).toMatchObject({ published: 0, errors: 1 });
    expect((await world.store.get(CHAT, traceId))?.outbox_since).toBeDefined();

    expect(await reconcile(world, policy)).toMatchObject({ published: 1, errors: 0 });
    expect(world.publisher.published).toHaveLength(1);
  });
});
