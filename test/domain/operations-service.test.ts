import { beforeEach, describe, expect, it } from "vitest";
import { LinqUnavailable } from "../../src/domain/errors.ts";
import type { ChatUpdateRequest, ParticipantRemoveRequest } from "../../src/domain/operation.ts";
import {
  IdempotencyConflict,
  removeParticipant,
  updateChat,
  type OperationCall,
} from "../../src/domain/operations-service.ts";
import { parseParticipantRemove } from "../../src/domain/validation.ts";
import { refusal, unavailable } from "../fakes/linq-api.ts";
import { participantRemoved } from "../fakes/linq-webhooks.ts";
import { CHAT, makeWorld, type World } from "../fakes/world.ts";

const HANDLE = "+15551234567";

let world: World;
beforeEach(() => {
  world = makeWorld();
});

function update(request: ChatUpdateRequest = { display_name: "Team" }, key?: string): OperationCall<ChatUpdateRequest> {
  return { chatId: CHAT, request, source: "http", ...(key === undefined ? {} : { idempotencyKey: key }) };
}

function removal(handle = HANDLE, key?: string): OperationCall<ParticipantRemoveRequest> {
  return { chatId: CHAT, request: { handle }, source: "http", ...(key === undefined ? {} : { idempotencyKey: key }) };
}

describe("updateChat", () => {
  it("writes the pending record before Linq is called", async () => {
    const seenByLinq: unknown[] = [];
    world.linq.answerUpdateChat(async (chatId) => {
      seenByLinq.push(...(await world.store.all()));
      return { chat_id: chatId, status: "pending" };
    });

    await updateChat(world, update());

    expect(world.journal.entries.slice(0, 2)).toEqual(["store.create ours-1 pending", `linq.updateChat ${CHAT}`]);
    expect(seenByLinq).toMatchObject([{ trace_id: "ours-1", status: "pending", kind: "chat.update" }]);
  });

  it("answers 200 with Linq's body plus our trace id, and the record stays pending for the webhook", async () => {
    const answer = await updateChat(world, update({ display_name: "Team", group_chat_icon: "https://cdn.test/a.png" }));

    expect(answer).toEqual({ status: 200, body: { chat_id: CHAT, status: "pending", trace_id: "ours-1" } });
    expect(world.linq.callsOf("updateChat")).toEqual([
      { op: "updateChat", chatId: CHAT, request: { display_name: "Team", group_chat_icon: "https://cdn.test/a.png" } },
    ]);
    expect(await world.store.get(CHAT, "ours-1")).toMatchObject({
      kind: "chat.update",
      status: "pending",
      source: "http",
      request: { display_name: "Team", group_chat_icon: "https://cdn.test/a.png" },
    });
    expect(world.publisher.published).toEqual([]);
  });

  it("records a Linq refusal as failed with Linq's code, publishes operation.failed once and answers Linq's envelope", async () => {
    world.linq.answerUpdateChat(refusal(409, 1006, "Cannot update direct message chats"));

    const answer = await updateChat(world, update());

    expect(answer).toEqual({
      status: 409,
      body: { error: { status: 409, code: 1006, message: "Cannot update direct message chats" }, success: false },
    });
    const record = await world.store.get(CHAT, "ours-1");
    expect(record).toMatchObject({ status: "failed", error: { code: 1006, status: 409 } });
    expect(record?.results.display_name).toMatchObject({ status: "failed", error_code: 1006, settled_by: "linq" });
    expect(record?.outbox_since).toBeUndefined();
    expect(world.publisher.published).toHaveLength(1);
    expect(world.publisher.published[0]).toMatchObject({ trace_id: "ours-1", status: "failed" });
  });

  it("leaves the record pending and throws when Linq is unavailable, publishing nothing", async () => {
    world.linq.answerUpdateChat(unavailable("timeout"));

    await expect(updateChat(world, update())).rejects.toBeInstanceOf(LinqUnavailable);

    expect(await world.store.get(CHAT, "ours-1")).toMatchObject({ status: "pending" });
    expect(world.publisher.published).toEqual([]);
  });
});

describe("removeParticipant", () => {
  it("writes the intent, awaiting Linq's trace id, before Linq is called", async () => {
    const seenByLinq: unknown[] = [];
    world.linq.answerRemoveParticipant(async () => {
      seenByLinq.push(...(await world.store.all()));
      return { message: "Participant removal queued", status: "accepted", trace_id: "linq-t1" };
    });

    await removeParticipant(world, removal());

    expect(world.journal.entries.slice(0, 2)).toEqual([
      "store.create ours-1 pending",
      `linq.removeParticipant ${CHAT} ${HANDLE}`,
    ]);
    expect(seenByLinq).toMatchObject([{ trace_id: "ours-1", status: "pending", awaiting_trace_id: true }]);
  });

  it("answers 202 with Linq's body and trace id, and the record is renamed to Linq's trace id", async () => {
    world.linq.answerRemoveParticipant({
      message: "Participant removal queued",
      status: "accepted",
      trace_id: "linq-t1",
    });

    const answer = await removeParticipant(world, removal());

    expect(answer).toEqual({
      status: 202,
      body: { message: "Participant removal queued", status: "accepted", trace_id: "linq-t1" },
    });
    expect(await world.store.get(CHAT, "ours-1")).toBeUndefined();
    const record = await world.store.get(CHAT, "linq-t1");
    expect(record).toMatchObject({ kind: "participant.remove", status: "pending", request: { handle: HANDLE } });
    expect(record?.awaiting_trace_id).toBeUndefined();
    expect(await world.store.all()).toHaveLength(1);
  });

  it("carries over a webhook that settled the intent before Linq's answer, and publishes its outcome once under Linq's trace id", async () => {
    world.linq.answerRemoveParticipant(async (chatId, handle) => {
      // Linq's webhook outruns Linq's own HTTP answer.
      expect(await world.deliver(participantRemoved(chatId, "+1 (555) 123-4567"))).toMatchObject({ result: "settled" });
      expect(world.publisher.published).toEqual([]); // no outcome under a trace id nobody will ever know
      expect(handle).toBe(HANDLE);
      return { message: "Participant removal queued", status: "accepted", trace_id: "linq-t1" };
    });

    const answer = await removeParticipant(world, removal());

    expect(answer.body).toMatchObject({ trace_id: "linq-t1" });
    const record = await world.store.get(CHAT, "linq-t1");
    expect(record).toMatchObject({ status: "succeeded", results: { participant: { settled_by: "webhook" } } });
    expect(record?.outbox_since).toBeUndefined();
    expect(await world.store.get(CHAT, "ours-1")).toBeUndefined();
    expect(world.publisher.published).toHaveLength(1);
    expect(world.publisher.published[0]).toMatchObject({ trace_id: "linq-t1", status: "succeeded" });
  });

  it("keeps our trace id when Linq names none", async () => {
    world.linq.answerRemoveParticipant({ message: "Participant removal queued", status: "accepted" });

    const answer = await removeParticipant(world, removal());

    expect(answer.body).toMatchObject({ trace_id: "ours-1" });
    const record = await world.store.get(CHAT, "ours-1");
    expect(record).toMatchObject({ status: "pending" });
    expect(record?.awaiting_trace_id).toBeUndefined();
  });

  it("records a Linq refusal as failed under our trace id and publishes operation.failed once", async () => {
    world.linq.answerRemoveParticipant(refusal(409, 2013, "This chat is unavailable"));

    const answer = await removeParticipant(world, removal());

    expect(answer).toMatchObject({ status: 409, body: { error: { code: 2013 }, success: false } });
    const record = await world.store.get(CHAT, "ours-1");
    expect(record).toMatchObject({ status: "failed", error: { code: 2013 } });
    expect(record?.awaiting_trace_id).toBeUndefined();
    expect(world.publisher.published).toHaveLength(1);
    expect(world.publisher.published[0]).toMatchObject({ trace_id: "ours-1", status: "failed" });
  });
});

describe("a Linq outage with an Idempotency-Key", () => {
  it("gives the key back, and the retry carries the SAME update record on and calls Linq again", async () => {
    world.linq.answerUpdateChat(unavailable());
    await expect(updateChat(world, update(undefined, "k1"))).rejects.toBeInstanceOf(LinqUnavailable);
    expect(world.idempotency.entry("http#k1")).toMatchObject({ state: "released", traceId: "ours-1" });

    const answer = await updateChat(world, update(undefined, "k1"));

    expect(answer).toEqual({ status: 200, body: { chat_id: CHAT, status: "pending", trace_id: "ours-1" } });
    expect(world.linq.callsOf("updateChat")).toHaveLength(2);
    expect(await world.store.all()).toMatchObject([{ trace_id: "ours-1", status: "pending" }]);
  });

  it("carries the same removal intent on, and renames it once Linq answers", async () => {
    world.linq.answerRemoveParticipant(unavailable(), {
      message: "Participant removal queued",
      status: "accepted",
      trace_id: "linq-t1",
    });
    await expect(removeParticipant(world, removal(HANDLE, "k1"))).rejects.toBeInstanceOf(LinqUnavailable);
    expect(await world.store.all()).toMatchObject([{ trace_id: "ours-1", status: "pending", awaiting_trace_id: true }]);

    const answer = await removeParticipant(world, removal(HANDLE, "k1"));

    expect(answer).toMatchObject({ status: 202, body: { trace_id: "linq-t1" } });
    expect(world.linq.callsOf("removeParticipant")).toHaveLength(2);
    expect(await world.store.all()).toMatchObject([{ trace_id: "linq-t1", status: "pending" }]);
  });
});

describe("Idempotency-Key", () => {
  it("replays the first answer for the same key and body, and Linq is called once", async () => {
    const first = await updateChat(world, update({ display_name: "Team" }, "k1"));
    const second = await updateChat(world, update({ display_name: "Team" }, "k1"));

    expect(second).toEqual(first);
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
    expect(await world.store.all()).toHaveLength(1);
  });

  it("treats two spellings of one handle as the same body", async () => {
    const first = await removeParticipant(world, {
      ...removal(),
      idempotencyKey: "k1",
      request: parseParticipantRemove({ handle: "+1 555 123 4567" }),
    });
    const second = await removeParticipant(world, {
      ...removal(),
      idempotencyKey: "k1",
      request: parseParticipantRemove({ handle: "+15551234567" }),
    });

    expect(second).toEqual(first);
    expect(world.linq.callsOf("removeParticipant")).toHaveLength(1);
  });

  it("replays a refusal too, without asking Linq again", async () => {
    world.linq.answerUpdateChat(refusal(409, 1006, "Cannot update direct message chats"));
    const first = await updateChat(world, update(undefined, "k1"));
    const second = await updateChat(world, update(undefined, "k1"));

    expect(second).toEqual(first);
    expect(second.status).toBe(409);
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
    expect(world.publisher.published).toHaveLength(1);
  });

  it("refuses the same key with another body (409) and does not call Linq", async () => {
    await updateChat(world, update({ display_name: "Team" }, "k1"));

    const error = await updateChat(world, update({ display_name: "Other" }, "k1")).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IdempotencyConflict);
    expect(error).toMatchObject({ status: 409, reason: "mismatch" });
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
    expect(await world.store.all()).toHaveLength(1);
  });

  it("refuses the same key for another chat operation kind (409)", async () => {
    await updateChat(world, update({ display_name: "Team" }, "k1"));

    await expect(removeParticipant(world, removal(HANDLE, "k1"))).rejects.toMatchObject({
      status: 409,
      reason: "mismatch",
    });
  });

  it("refuses a second request while the first with that key is still running (409)", async () => {
    let concurrent: unknown;
    world.linq.answerUpdateChat(async (chatId) => {
      concurrent = await updateChat(world, update(undefined, "k1")).catch((e: unknown) => e);
      return { chat_id: chatId, status: "pending" };
    });

    await updateChat(world, update(undefined, "k1"));

    expect(concurrent).toBeInstanceOf(IdempotencyConflict);
    expect(concurrent).toMatchObject({ status: 409, reason: "in-progress" });
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
  });

  it("keeps HTTP keys and EventBridge keys apart", async () => {
    await updateChat(world, update(undefined, "k1"));
    await updateChat(world, { ...update(undefined, "k1"), source: "eventbridge" });

    expect(world.linq.callsOf("updateChat")).toHaveLength(2);
    expect((await world.store.all()).map((r) => r.source)).toEqual(["http", "eventbridge"]);
  });

  it("calls Linq each time when no key is given", async () => {
    await updateChat(world, update());
    await updateChat(world, update());

    expect(world.linq.callsOf("updateChat")).toHaveLength(2);
    expect(await world.store.all()).toHaveLength(2);
  });
});

describe("a publisher failure after the outcome is stored", () => {
  it("does not turn Linq's refusal into an error: the answer stands and is replayed, the outbox keeps the event", async () => {
    world.linq.answerUpdateChat(refusal(409, 1006, "Cannot update direct message chats"));
    world.publisher.failNext();

    const first = await updateChat(world, update(undefined, "k1"));
    const retry = await updateChat(world, update(undefined, "k1"));

    expect(first).toMatchObject({ status: 409, body: { error: { code: 1006 } } });
    expect(retry).toEqual(first);
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
    expect(await world.store.all()).toMatchObject([{ status: "failed", outbox_since: expect.any(String) }]);
    expect(world.publisher.published).toEqual([]);
  });

  it("does not turn Linq's acceptance of a removal into an error, nor call Linq twice on a retry", async () => {
    world.linq.answerRemoveParticipant(async (chatId) => {
      await world.deliver(participantRemoved(chatId, HANDLE));
      world.publisher.failNext();
      return { message: "Participant removal queued", status: "accepted", trace_id: "linq-t1" };
    });

    const first = await removeParticipant(world, removal(HANDLE, "k1"));
    const retry = await removeParticipant(world, removal(HANDLE, "k1"));

    expect(first).toMatchObject({ status: 202, body: { trace_id: "linq-t1" } });
    expect(retry).toEqual(first);
    expect(world.linq.callsOf("removeParticipant")).toHaveLength(1);
    expect(await world.store.all()).toMatchObject([
      { trace_id: "linq-t1", status: "succeeded", outbox_since: expect.any(String) },
    ]);
  });
});
