import { beforeEach, describe, expect, it } from "vitest";
import { IdempotencyConflict, LinqUnavailable } from "../../src/domain/errors.ts";
import type { ChatUpdateRequest, ParticipantRemoveRequest } from "../../src/domain/operation.ts";
import { removeParticipant, updateChat, type OperationCall } from "../../src/domain/operations-service.ts";
import { parseParticipantRemove } from "../../src/domain/validation.ts";
import { refusal, unavailable } from "../fakes/linq-api.ts";
import { participantRemoved } from "../fakes/linq-webhooks.ts";
import { CHAT, makeWorld, type World } from "../fakes/world.ts";

const HANDLE = "+15551234567";
const QUEUED = { message: "Participant removal queued", status: "accepted" };

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

/** The function dies while Linq is being called: nothing after the call runs. */
function dies(): never {
  throw new Error("the function died");
}

describe("updateChat", () => {
  it("writes the pending record before Linq is called", async () => {
    const seenByLinq: unknown[] = [];
    world.linq.answerUpdateChat(async (chatId) => {
      seenByLinq.push(...world.store.all());
      return { body: { chat_id: chatId, status: "pending" }, traceId: "linq-h1" };
    });

    await updateChat(world, update());

    expect(world.journal.entries.slice(0, 2)).toEqual(["store.commit ours-1", `linq.updateChat ${CHAT}`]);
    expect(seenByLinq).toMatchObject([
      { id: "ours-1", trace_id: "ours-1", status: "pending", kind: "chat.update", calling_since: expect.any(String) },
    ]);
  });

  it("answers 200 with Linq's body plus our trace id, keeps Linq's X-Trace-ID, and the record stays pending for the webhook", async () => {
    world.linq.answerUpdateChat({ body: { chat_id: CHAT, status: "pending" }, traceId: "linq-h1" });

    const result = await updateChat(world, update({ display_name: "Team", group_chat_icon: "https://cdn.test/a.png" }));

    expect(result.outcome).toBe("accepted");
    expect(result.answer).toEqual({ status: 200, body: { chat_id: CHAT, status: "pending", trace_id: "ours-1" } });
    expect(world.linq.callsOf("updateChat")).toEqual([
      { op: "updateChat", chatId: CHAT, request: { display_name: "Team", group_chat_icon: "https://cdn.test/a.png" } },
    ]);
    const record = await world.store.get(CHAT, "ours-1");
    expect(record).toMatchObject({
      kind: "chat.update",
      status: "pending",
      source: "http",
      request: { display_name: "Team", group_chat_icon: "https://cdn.test/a.png" },
      linq_attempts: [{ result: "accepted", trace_id: "linq-h1", status: 200 }],
    });
    expect(record?.calling_since).toBeUndefined();
    expect(world.publisher.published).toEqual([]);
  });

  it("records a Linq refusal as failed with Linq's code, publishes operation.failed once and answers Linq's envelope", async () => {
    world.linq.answerUpdateChat(refusal(409, 1006, "Cannot update direct message chats"));

    const result = await updateChat(world, update());

    expect(result.outcome).toBe("refused");
    expect(result.answer).toEqual({
      status: 409,
      body: { error: { status: 409, code: 1006, message: "Cannot update direct message chats" }, success: false },
    });
    const record = await world.store.get(CHAT, "ours-1");
    expect(record).toMatchObject({ status: "failed", error: { code: 1006, status: 409 } });
    expect(record?.results.display_name).toMatchObject({
      status: "failed",
      error_code: 1006,
      settled_by: "linq",
      basis: "proven",
    });
    expect(world.publisher.published).toHaveLength(1);
    expect(world.publisher.published[0]).toMatchObject({ trace_id: "ours-1", status: "failed" });
  });

  it("leaves the record pending with a call of unknown fate and throws when Linq is unavailable, publishing nothing", async () => {
    world.linq.answerUpdateChat(unavailable("timeout"));

    await expect(updateChat(world, update())).rejects.toBeInstanceOf(LinqUnavailable);

    expect(await world.store.get(CHAT, "ours-1")).toMatchObject({
      status: "pending",
      linq_attempts: [{ result: "unknown" }],
    });
    expect(world.publisher.published).toEqual([]);
  });
});

describe("removeParticipant", () => {
  it("writes the pending record before Linq is called", async () => {
    const seenByLinq: unknown[] = [];
    world.linq.answerRemoveParticipant(async () => {
      seenByLinq.push(...world.store.all());
      return { body: { ...QUEUED, trace_id: "linq-t1" } };
    });

    await removeParticipant(world, removal());

    expect(world.journal.entries.slice(0, 2)).toEqual([
      "store.commit ours-1",
      `linq.removeParticipant ${CHAT} ${HANDLE}`,
    ]);
    expect(seenByLinq).toMatchObject([{ id: "ours-1", trace_id: "ours-1", status: "pending" }]);
  });

  // The design changed: the record is no longer renamed. Its key stays ours; Linq's trace id becomes its public id.
  it("answers 202 with Linq's body and trace id, and the record takes Linq's trace id as its public id under the same key", async () => {
    world.linq.answerRemoveParticipant({ body: { ...QUEUED, trace_id: "linq-t1" }, traceId: "linq-h1" });

    const result = await removeParticipant(world, removal());

    expect(result.answer).toEqual({ status: 202, body: { ...QUEUED, trace_id: "linq-t1" } });
    const record = await world.store.get(CHAT, "ours-1");
    expect(record).toMatchObject({
      id: "ours-1",
      trace_id: "linq-t1",
      kind: "participant.remove",
      status: "pending",
      request: { handle: HANDLE },
      linq_attempts: [{ result: "accepted", trace_id: "linq-h1", status: 202 }],
    });
    expect(world.store.all()).toHaveLength(1);
  });

  it("keeps a webhook that settled it before Linq's answer, records the answer on the settled record, and publishes once", async () => {
    world.linq.answerRemoveParticipant(async (chatId, handle) => {
      // Linq's webhook outruns Linq's own HTTP answer.
      expect(await world.deliver(participantRemoved(chatId, "+1 (555) 123-4567"))).toMatchObject({
        result: "settled",
      });
      expect(handle).toBe(HANDLE);
      return { body: { ...QUEUED, trace_id: "linq-t1" } };
    });

    const result = await removeParticipant(world, removal());

    expect(result.answer.body).toMatchObject({ trace_id: "linq-t1" });
    const record = await world.store.get(CHAT, "ours-1");
    expect(record).toMatchObject({
      trace_id: "linq-t1",
      status: "succeeded",
      results: { participant: { settled_by: "webhook" } },
      linq_attempts: [{ result: "accepted" }],
    });
    expect(world.store.all()).toHaveLength(1);
    expect(world.publisher.published).toHaveLength(1);
    expect(world.publisher.published[0]).toMatchObject({ status: "succeeded" });
  });

  it("keeps our trace id when Linq names none", async () => {
    world.linq.answerRemoveParticipant({ body: QUEUED });

    const result = await removeParticipant(world, removal());

    expect(result.answer.body).toMatchObject({ trace_id: "ours-1" });
    expect(await world.store.get(CHAT, "ours-1")).toMatchObject({ trace_id: "ours-1", status: "pending" });
  });

  it("records a Linq refusal as failed under our trace id and publishes operation.failed once", async () => {
    world.linq.answerRemoveParticipant(refusal(409, 2013, "This chat is unavailable"));

    const result = await removeParticipant(world, removal());

    expect(result).toMatchObject({ outcome: "refused", answer: { status: 409, body: { error: { code: 2013 } } } });
    expect(await world.store.get(CHAT, "ours-1")).toMatchObject({ status: "failed", error: { code: 2013 } });
    expect(world.publisher.published).toHaveLength(1);
    expect(world.publisher.published[0]).toMatchObject({ trace_id: "ours-1", status: "failed" });
  });

  it("sends Linq the handle as the caller wrote it", async () => {
    await removeParticipant(world, removal("Carol@Example.COM"));

    expect(world.linq.callsOf("removeParticipant")).toMatchObject([{ handle: "Carol@Example.COM" }]);
  });
});

// The design changed: the key is not given back on an outage. It stays bound to its operation, which has no answer
// to replay yet, so the retry carries the same operation on.
describe("a Linq outage with an Idempotency-Key", () => {
  it("the retry carries the SAME update record on and calls Linq again", async () => {
    world.linq.answerUpdateChat(unavailable());
    await expect(updateChat(world, update(undefined, "k1"))).rejects.toBeInstanceOf(LinqUnavailable);

    const result = await updateChat(world, update(undefined, "k1"));

    expect(result.answer).toEqual({ status: 200, body: { chat_id: CHAT, status: "pending", trace_id: "ours-1" } });
    expect(world.linq.callsOf("updateChat")).toHaveLength(2);
    expect(world.store.all()).toMatchObject([
      { id: "ours-1", status: "pending", linq_attempts: [{ result: "unknown" }, { result: "accepted" }] },
    ]);
  });

  it("carries the same removal on, which takes Linq's trace id once Linq answers", async () => {
    world.linq.answerRemoveParticipant(unavailable(), { body: { ...QUEUED, trace_id: "linq-t1" } });
    await expect(removeParticipant(world, removal(HANDLE, "k1"))).rejects.toBeInstanceOf(LinqUnavailable);
    expect(world.store.all()).toMatchObject([{ id: "ours-1", trace_id: "ours-1", status: "pending" }]);

    const result = await removeParticipant(world, removal(HANDLE, "k1"));

    expect(result.answer).toMatchObject({ status: 202, body: { trace_id: "linq-t1" } });
    expect(world.linq.callsOf("removeParticipant")).toHaveLength(2);
    expect(world.store.all()).toMatchObject([{ id: "ours-1", trace_id: "linq-t1", status: "pending" }]);
  });
});

describe("Idempotency-Key", () => {
  it("is bound to its operation before Linq is called", async () => {
    const bind = world.keys.bind.bind(world.keys);
    world.keys.bind = async (key, fingerprint, binding, now) => {
      world.journal.add(`keys.bind ${key} ${binding.id}`);
      return bind(key, fingerprint, binding, now);
    };

    await updateChat(world, update(undefined, "k1"));

    expect(world.journal.entries.slice(0, 3)).toEqual([
      "keys.bind http#k1 ours-1",
      "store.commit ours-1",
      `linq.updateChat ${CHAT}`,
    ]);
  });

  it("replays the first answer for the same key and body, and Linq is called once", async () => {
    const first = await updateChat(world, update({ display_name: "Team" }, "k1"));
    const second = await updateChat(world, update({ display_name: "Team" }, "k1"));

    expect(second).toEqual(first);
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
    expect(world.store.all()).toHaveLength(1);
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

  it("treats two cases of one email as the same body, and sends Linq the first as written", async () => {
    const first = await removeParticipant(world, removal("Carol@Example.COM", "k1"));
    const second = await removeParticipant(world, removal("carol@example.com", "k1"));

    expect(second).toEqual(first);
    expect(world.linq.callsOf("removeParticipant")).toMatchObject([{ handle: "Carol@Example.COM" }]);
  });

  it("replays a refusal too, without asking Linq again", async () => {
    world.linq.answerUpdateChat(refusal(409, 1006, "Cannot update direct message chats"));
    const first = await updateChat(world, update(undefined, "k1"));
    const second = await updateChat(world, update(undefined, "k1"));

    expect(second).toEqual(first);
    expect(second).toMatchObject({ outcome: "refused", answer: { status: 409 } });
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
    expect(world.publisher.published).toHaveLength(1);
  });

  it("refuses the same key with another body (409) and does not call Linq", async () => {
    await updateChat(world, update({ display_name: "Team" }, "k1"));

    const error = await updateChat(world, update({ display_name: "Other" }, "k1")).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IdempotencyConflict);
    expect(error).toMatchObject({ status: 409, reason: "mismatch", shouldRetry: false });
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
    expect(world.store.all()).toHaveLength(1);
  });

  it("refuses the same key for another chat operation kind (409)", async () => {
    await updateChat(world, update({ display_name: "Team" }, "k1"));

    await expect(removeParticipant(world, removal(HANDLE, "k1"))).rejects.toMatchObject({
      status: 409,
      reason: "mismatch",
    });
  });

  it("refuses a retry while the call with that key is in flight (409), telling it to retry after the lease", async () => {
    let concurrent: unknown;
    world.linq.answerUpdateChat(async (chatId) => {
      world.clock.advance(5_000);
      concurrent = await updateChat(world, update(undefined, "k1")).catch((e: unknown) => e);
      return { body: { chat_id: chatId, status: "pending" } };
    });

    await updateChat(world, update(undefined, "k1"));

    expect(concurrent).toBeInstanceOf(IdempotencyConflict);
    expect(concurrent).toMatchObject({ status: 409, reason: "in-progress", shouldRetry: true, retryAfter: 30 });
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
    expect(world.store.all()).toHaveLength(1);
  });

  it("a retry after the function died mid-call resumes the same operation and calls Linq again, with no second record", async () => {
    world.linq.answerUpdateChat(dies);
    await expect(updateChat(world, update(undefined, "k1"))).rejects.toThrow("the function died");
    expect(world.store.all()).toMatchObject([{ id: "ours-1", status: "pending", calling_since: expect.any(String) }]);

    // Within the lease the first call may still be running somewhere: wait.
    world.clock.advance(world.callLeaseMs - 1_000);
    await expect(updateChat(world, update(undefined, "k1"))).rejects.toMatchObject({ reason: "in-progress" });

    world.clock.advance(2_000);
    const result = await updateChat(world, update(undefined, "k1"));

    expect(result).toMatchObject({ outcome: "accepted", answer: { status: 200, body: { trace_id: "ours-1" } } });
    expect(world.linq.callsOf("updateChat")).toHaveLength(2);
    const [record, ...others] = world.store.all();
    expect(others).toEqual([]);
    // The call that died may have reached Linq: it is kept as one of unknown fate, so two events may come.
    expect(record).toMatchObject({
      id: "ours-1",
      status: "pending",
      linq_attempts: [{ result: "unknown" }, { result: "accepted" }],
    });
    expect(record?.calling_since).toBeUndefined();
  });

  it("a retry after the function died before writing its record writes it under the operation the key names", async () => {
    const commit = world.store.commit.bind(world.store);
    let first = true;
    world.store.commit = async (changes) => {
      if (first) {
        first = false;
        throw new Error("the function died");
      }
      return commit(changes);
    };
    await expect(updateChat(world, update(undefined, "k1"))).rejects.toThrow("the function died");
    expect(world.linq.calls).toEqual([]);

    const result = await updateChat(world, update(undefined, "k1"));

    expect(result.answer.body).toMatchObject({ trace_id: "ours-1" });
    expect(world.store.all()).toMatchObject([{ id: "ours-1", trace_id: "ours-1" }]);
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
  });

  it("a retried removal that Linq refuses after a call of unknown fate is answered 202 accepted, not 404", async () => {
    world.linq.answerRemoveParticipant(unavailable(), refusal(404, 2001, "Participant not found"));
    await expect(removeParticipant(world, removal(HANDLE, "k1"))).rejects.toBeInstanceOf(LinqUnavailable);

    // The first call may have removed the participant: Linq's 404 proves nothing, the reconciler reads the chat.
    const result = await removeParticipant(world, removal(HANDLE, "k1"));

    expect(result).toMatchObject({ outcome: "accepted", answer: { status: 202, body: { trace_id: "ours-1" } } });
    expect(await world.store.get(CHAT, "ours-1")).toMatchObject({
      status: "pending",
      linq_attempts: [{ result: "unknown" }, { result: "unknown", status: 404 }],
    });
    expect(world.publisher.published).toEqual([]);
  });

  it("keeps HTTP keys and EventBridge keys apart", async () => {
    await updateChat(world, update(undefined, "k1"));
    await updateChat(world, { ...update(undefined, "k1"), source: "eventbridge" });

    expect(world.linq.callsOf("updateChat")).toHaveLength(2);
    expect(world.store.all().map((r) => r.source)).toEqual(["http", "eventbridge"]);
  });

  it("calls Linq each time when no key is given", async () => {
    await updateChat(world, update());
    await updateChat(world, update());

    expect(world.linq.callsOf("updateChat")).toHaveLength(2);
    expect(world.store.all()).toHaveLength(2);
  });
});

// The design changed: no outbox. Outcomes go out from the table's stream; a failed publish stays on the stream, which
// retries it, and the caller's answer never depends on it.
describe("a publisher failure after the outcome is stored", () => {
  it("does not turn Linq's refusal into an error: the answer stands and is replayed, and the stream publishes it once on retry", async () => {
    world.linq.answerUpdateChat(refusal(409, 1006, "Cannot update direct message chats"));
    world.publisher.failNext();

    const first = await updateChat(world, update(undefined, "k1"));
    expect(first).toMatchObject({ outcome: "refused", answer: { status: 409, body: { error: { code: 1006 } } } });
    expect(world.publisher.published).toEqual([]);
    expect(world.unpublished()).toBe(1);

    await world.retryStream();
    const retry = await updateChat(world, update(undefined, "k1"));

    expect(retry).toEqual(first);
    expect(world.linq.callsOf("updateChat")).toHaveLength(1);
    expect(world.publisher.published).toMatchObject([{ trace_id: "ours-1", status: "failed" }]);
    expect(world.unpublished()).toBe(0);
  });

  it("does not turn Linq's acceptance of a removal into an error, nor call Linq twice on a retry", async () => {
    world.linq.answerRemoveParticipant(async (chatId) => {
      world.publisher.failNext();
      await world.deliver(participantRemoved(chatId, HANDLE));
      expect(world.publisher.published).toEqual([]);
      return { body: { ...QUEUED, trace_id: "linq-t1" } };
    });

    const first = await removeParticipant(world, removal(HANDLE, "k1"));
    const retry = await removeParticipant(world, removal(HANDLE, "k1"));

    expect(first).toMatchObject({ outcome: "accepted", answer: { status: 202, body: { trace_id: "linq-t1" } } });
    expect(retry.answer).toEqual(first.answer);
    expect(world.linq.callsOf("removeParticipant")).toHaveLength(1);
    expect(world.store.all()).toMatchObject([{ trace_id: "linq-t1", status: "succeeded" }]);
    // The outcome waited for Linq's answer (its public trace id); that publish failed, and the stream's retry sends
    // it once, under Linq's trace id.
    await world.retryStream();
    expect(world.publisher.published).toMatchObject([{ trace_id: "linq-t1", status: "succeeded" }]);
    expect(world.unpublished()).toBe(0);
  });
});

describe("what an operation counts and tells the log", () => {
  it("counts a request once, by kind and source: a replay with its key is no new operation", async () => {
    await updateChat(world, update(undefined, "k1"));
    await updateChat(world, update(undefined, "k1"));
    world.linq.answerRemoveParticipant({ body: { ...QUEUED, trace_id: "linq-t1" } });
    await removeParticipant(world, removal());

    expect(world.metrics.recorded.filter((metric) => metric.name === "OperationRequested")).toEqual([
      { name: "OperationRequested", value: 1, dimensions: { kind: "chat.update", source: "http" } },
      { name: "OperationRequested", value: 1, dimensions: { kind: "participant.remove", source: "http" } },
    ]);
  });

  it("counts its outcome once it is published, by who settled it, with the time it took", async () => {
    world.linq.answerUpdateChat(refusal(409, 1006));
    expect(await updateChat(world, update())).toMatchObject({ outcome: "refused" });
    world.clock.advance(2_000);
    world.linq.answerRemoveParticipant(async (chatId) => {
      world.clock.advance(1_500);
      await world.deliver(participantRemoved(chatId, HANDLE));
      return { body: { ...QUEUED, trace_id: "linq-t1" } };
    });
    await removeParticipant(world, removal());

    expect(world.metrics.total("OperationFailed", { kind: "chat.update", settled_by: "linq" })).toBe(1);
    expect(world.metrics.total("OperationSucceeded", { kind: "participant.remove", settled_by: "webhook" })).toBe(1);
    expect(world.metrics.total("OperationSucceeded") + world.metrics.total("OperationFailed")).toBe(2);
    expect(world.metrics.recorded.filter((metric) => metric.name === "TimeToOutcome")).toHaveLength(2);
  });

  it("names the operation to the log as soon as it exists, and again when Linq gives a removal its trace id", async () => {
    world.linq.answerRemoveParticipant({ body: { ...QUEUED, trace_id: "linq-t1" } });
    await removeParticipant(world, removal());

    expect(world.log.named).toEqual([
      { chat_id: CHAT, trace_id: "ours-1" },
      { chat_id: CHAT, trace_id: "linq-t1" },
    ]);
  });

  it("names the operation a replay belongs to", async () => {
    await updateChat(world, update(undefined, "k1"));
    await updateChat(world, update(undefined, "k1"));

    expect(world.log.named).toEqual([
      { chat_id: CHAT, trace_id: "ours-1" },
      { chat_id: CHAT, trace_id: "ours-1" },
    ]);
  });
});
