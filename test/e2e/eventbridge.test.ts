/**
 * The contract's EventBridge door, end to end: request events put with the AWS SDK's own EventBridgeClient on the
 * local bus, routed by the stacks' patterns to the deployed handlers, which call Linq (the sandbox), record the
 * operation and publish its outcome on the same bus.
 */
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { SERVICE_EVENT_SOURCE } from "../../src/definitions/events.ts";
import {
  busClient,
  busEvent,
  callFate,
  chatOperation,
  chatOperations,
  deadLettersOf,
  deliverAgain,
  linqCalls,
  outcomeEvents,
  putEvent,
  quiet,
  seedForCalls,
  startFreshStack,
  type OperationRecord,
} from "../support/eventbridge.ts";
import { eventually } from "../support/local-stack.ts";

const GROUP = ["+15550000001", "+15550000002", "+15550000003", "+15550000004"];
const TRIO = GROUP.slice(0, 3);
const DM = GROUP.slice(0, 2);
const DEAD_LETTER_QUEUE = "RequestDeadLetters";

/** The chat's only operation once it has left `pending`. */
async function settledOperation(stack: LocalStack, chatId: string): Promise<OperationRecord> {
  return eventually(async () => {
    const records = await chatOperations(stack, chatId);
    return records.length === 1 && records[0]!.status !== "pending" ? records[0] : undefined;
  });
}

/**
 * The one outcome event of the chat, checked to carry the record as it settled. Facts that come after (the answer of a
 * call whose webhook outran it, late evidence) are added to the record, never published again.
 */
async function onlyOutcome(stack: LocalStack, record: OperationRecord): Promise<string> {
  const outcomes = outcomeEvents(stack, record.chat_id as string);
  expect(outcomes).toHaveLength(1);
  expect(outcomes[0]!.source).toBe(SERVICE_EVENT_SOURCE);
  const { chat_id, trace_id, kind, status, request, source, created_at, completed_at, error } = await chatOperation(
    stack,
    record.chat_id as string,
    record.trace_id,
  );
  expect(outcomes[0]!.detail).toMatchObject({ chat_id, trace_id, kind, status, request, source, created_at });
  expect(outcomes[0]!.detail.schema_version).toBe(1);
  expect(outcomes[0]!.detail.completed_at).toEqual(completed_at);
  expect(outcomes[0]!.detail.error).toEqual(error);
  return outcomes[0]!["detail-type"];
}

describe("with Linq answering", () => {
  let stack: LocalStack;
  let client: EventBridgeClient;
  const seed = (handles: string[]) => stack.sandbox!.seedChat({ handles }).id;

  beforeAll(async () => {
    // Lambda's own async retries wait a minute or more; these only need to outlast a first (cold) invocation still
    // holding an idempotency key.
    stack = await startFreshStack({ busRetryDelaysMs: [1000, 2000] });
    client = busClient(stack);
  });

  afterAll(async () => {
    client?.destroy();
    await stack?.stop();
  });

  describe("a valid request event runs the operation", () => {
    it("chat.update.requested: succeeded, source eventbridge, one operation.succeeded", async () => {
      const chatId = seed(GROUP);
      const icon = "https://example.com/team.png";
      await putEvent(client, "chat.update.requested", {
        chat_id: chatId,
        display_name: "Team Discussion",
        group_chat_icon: icon,
      });

      const record = await settledOperation(stack, chatId);
      await quiet(stack);
      expect(record).toMatchObject({
        chat_id: chatId,
        kind: "chat.update",
        status: "succeeded",
        source: "eventbridge",
        request: { display_name: "Team Discussion", group_chat_icon: icon },
        results: { display_name: { status: "succeeded" }, group_chat_icon: { status: "succeeded" } },
      });
      expect(record.completed_at).toBeTypeOf("string");
      expect(await onlyOutcome(stack, record)).toBe("operation.succeeded");
      expect(linqCalls(stack, chatId).map((call) => [call.method, call.status])).toEqual([["PUT", 200]]);
      expect(stack.sandbox!.truth().chats.find((chat) => chat.id === chatId)).toMatchObject({
        display_name: "Team Discussion",
        group_chat_icon: icon,
      });
    });

    it("participant.remove.requested: succeeded under Linq's trace id, source eventbridge, one operation.succeeded", async () => {
      const chatId = seed(GROUP);
      await putEvent(client, "participant.remove.requested", { chat_id: chatId, handle: "+1 (555) 000-0004" });

      const record = await settledOperation(stack, chatId);
      await quiet(stack);
      const calls = linqCalls(stack, chatId);
      expect(calls.map((call) => [call.method, call.status])).toEqual([["DELETE", 202]]);
      expect(record).toMatchObject({
        chat_id: chatId,
        trace_id: calls[0]!.traceId,
        kind: "participant.remove",
        status: "succeeded",
        source: "eventbridge",
        request: { handle: "+15550000004" },
      });
      expect(await onlyOutcome(stack, record)).toBe("operation.succeeded");
    });
  });

  describe("a duplicate delivery calls Linq once and records one operation", () => {
    it("the same event delivered again (same EventBridge id)", async () => {
      const chatId = seed(GROUP);
      const eventId = await putEvent(client, "chat.update.requested", { chat_id: chatId, display_name: "Once" });
      const record = await settledOperation(stack, chatId);
      await quiet(stack);

      const delivered = busEvent(stack, eventId);
      await deliverAgain(delivered);
      await deliverAgain(delivered);
      await quiet(stack);

      expect(linqCalls(stack, chatId)).toHaveLength(1);
      expect(await chatOperations(stack, chatId)).toEqual([record]);
      expect(await onlyOutcome(stack, record)).toBe("operation.succeeded");
      expect(deadLettersOf(stack, eventId)).toEqual([]);
    });

    it("two PutEvents with the same idempotency_key, even while the first is still running", async () => {
      const chatId = seed(GROUP);
      const detail = { chat_id: chatId, handle: "+15550000004", idempotency_key: `remove-${chatId}` };
      const ids = await Promise.all([
        putEvent(client, "participant.remove.requested", detail),
        putEvent(client, "participant.remove.requested", detail),
      ]);
      expect(ids[0]).not.toBe(ids[1]);

      const record = await settledOperation(stack, chatId);
      await quiet(stack);
      expect(linqCalls(stack, chatId)).toHaveLength(1);
      expect(await chatOperations(stack, chatId)).toEqual([record]);
      expect(await onlyOutcome(stack, record)).toBe("operation.succeeded");
      expect(ids.flatMap((id) => deadLettersOf(stack, id))).toEqual([]);

      // Later, once more: the first answer stands.
      await putEvent(client, "participant.remove.requested", detail);
      await quiet(stack);
      expect(linqCalls(stack, chatId)).toHaveLength(1);
      expect(await chatOperations(stack, chatId)).toEqual([record]);
    });

    it("the same idempotency_key with another request is dead-lettered, not run", async () => {
      const chatId = seed(GROUP);
      const key = `rename-${chatId}`;
      await putEvent(client, "chat.update.requested", { chat_id: chatId, display_name: "First", idempotency_key: key });
      const record = await settledOperation(stack, chatId);
      await quiet(stack);

      const eventId = await putEvent(client, "chat.update.requested", {
        chat_id: chatId,
        display_name: "Second",
        idempotency_key: key,
      });
      await quiet(stack);
      expect(deadLettersOf(stack, eventId)).toMatchObject([
        { subscription: DEAD_LETTER_QUEUE, reason: "Idempotency-Key was already used with a different request" },
      ]);
      expect(linqCalls(stack, chatId)).toHaveLength(1);
      expect(await chatOperations(stack, chatId)).toEqual([record]);
    });
  });

  describe("a malformed event calls no Linq and is dead-lettered with the reason", () => {
    const validChat = "00000000-0000-4000-8000-00000000000a";

    it.each([
      {
        name: "a chat_id that is not a UUID",
        detailType: "chat.update.requested",
        detail: { chat_id: "not-a-uuid", display_name: "x" },
        reason: "chatId must be a UUID",
        code: undefined,
      },
      {
        name: "a removal without a handle",
        detailType: "participant.remove.requested",
        detail: { chat_id: validChat },
        reason: "handle is required",
        code: 1001,
      },
      {
        name: "an unknown field",
        detailType: "chat.update.requested",
        detail: { chat_id: validChat, display_name: "x", topic: "y" },
        reason: "Unknown field: topic",
        code: 1003,
      },
      {
        name: "a plain-http icon",
        detailType: "chat.update.requested",
        detail: { chat_id: validChat, group_chat_icon: "http://example.com/a.png" },
        reason: "group_chat_icon must be an https URL",
        code: 1005,
      },
    ])("$name", async ({ detailType, detail, reason, code }) => {
      // Each case its own real chat, so its records and outcome are its alone.
      const chatId = detail.chat_id === validChat ? seed(GROUP) : undefined;
      const outcomesBefore = outcomeEvents(stack).length;
      const callsBefore = stack.sandbox!.truth().calls.length;
      const eventId = await putEvent(client, detailType, { ...detail, ...(chatId ? { chat_id: chatId } : {}) });
      await quiet(stack);

      const letters = deadLettersOf(stack, eventId);
      expect(letters).toMatchObject([{ subscription: DEAD_LETTER_QUEUE, reason }]);
      expect(letters[0]!.event).toEqual(busEvent(stack, eventId));
      expect(stack.sandbox!.truth().calls.length).toBe(callsBefore);

      if (chatId === undefined) {
        expect(outcomeEvents(stack)).toHaveLength(outcomesBefore);
        return;
      }
      const [record, ...others] = await chatOperations(stack, chatId);
      expect(others).toEqual([]);
      expect(record).toMatchObject({
        chat_id: chatId,
        status: "failed",
        source: "eventbridge",
        error: { code, message: reason },
      });
      expect(await onlyOutcome(stack, record!)).toBe("operation.failed");
    });
  });

  describe("a permanent Linq refusal is recorded failed with Linq's code, not retried", () => {
    it.each([
      {
        name: "updating a DM: 1006",
        handles: DM,
        detailType: "chat.update.requested",
        detail: { display_name: "Just us" },
        code: 1006,
      },
      {
        name: "a removal leaving fewer than 3: 2013",
        handles: TRIO,
        detailType: "participant.remove.requested",
        detail: { handle: "+15550000003" },
        code: 2013,
      },
    ])("$name", async ({ handles, detailType, detail, code }) => {
      const chatId = seed(handles);
      const eventId = await putEvent(client, detailType, { chat_id: chatId, ...detail });
      const record = await settledOperation(stack, chatId);
      await quiet(stack);

      expect(record).toMatchObject({ status: "failed", source: "eventbridge", error: { code, status: 409 } });
      expect(linqCalls(stack, chatId).map((call) => [call.status, call.code])).toEqual([[409, code]]);
      expect(await onlyOutcome(stack, record)).toBe("operation.failed");
      expect(deadLettersOf(stack, eventId)).toEqual([]);
    });
  });

  describe("routing by the stacks' patterns", () => {
    it("any source may request; another detail-type reaches no subscriber", async () => {
      const chatId = seed(GROUP);
      const ask = { chat_id: chatId, display_name: "Routed" };
      const callsBefore = stack.sandbox!.truth().calls.length;
      const lettersBefore = stack.bus.deadLetters().length;

      const ignored = [
        await putEvent(client, "operation.succeeded", ask),
        await putEvent(client, "operation.failed", ask, SERVICE_EVENT_SOURCE),
        await putEvent(client, "Chat.Update.Requested", ask),
        await putEvent(client, "chat.update", ask),
      ];
      await quiet(stack);
      expect(ignored.map((id) => busEvent(stack, id).id)).toEqual(ignored);
      expect(stack.sandbox!.truth().calls.length).toBe(callsBefore);
      expect(stack.bus.deadLetters()).toHaveLength(lettersBefore);
      expect(await chatOperations(stack, chatId)).toEqual([]);

      await putEvent(client, "chat.update.requested", ask, "some.other.team");
      expect(await settledOperation(stack, chatId)).toMatchObject({ status: "succeeded", source: "eventbridge" });
    });
  });
});

describe("with Linq failing for a while (5xx), the bus's retries carry the same operation on", () => {
  // LinqClient tries 4 times in one invocation; 4 failures make the handler throw and the bus retry the delivery.
  const plan = ["fail", "fail", "fail", "fail", "ok"] as const;
  let stack: LocalStack;
  let client: EventBridgeClient;

  beforeAll(async () => {
    stack = await startFreshStack({
      sandbox: { failRate: 0.8, failMode: "before", seed: seedForCalls([...plan, ...plan], 0.8) },
    });
    client = busClient(stack);
  });

  afterAll(async () => {
    client?.destroy();
    await stack?.stop();
  });

  it.each([
    { detailType: "chat.update.requested", detail: { display_name: "Eventually" } },
    { detailType: "participant.remove.requested", detail: { handle: "+15550000004" } },
  ])("$detailType: succeeded after a retried delivery, with one record", async ({ detailType, detail }) => {
    const chatId = stack.sandbox!.seedChat({ handles: GROUP }).id;
    const eventId = await putEvent(client, detailType, { chat_id: chatId, ...detail });
    const record = await settledOperation(stack, chatId);
    await quiet(stack);

    expect(linqCalls(stack, chatId).map(callFate)).toEqual(plan);
    expect(record).toMatchObject({ status: "succeeded", source: "eventbridge" });
    expect(await chatOperations(stack, chatId)).toEqual([record]);
    expect(await onlyOutcome(stack, record)).toBe("operation.succeeded");
    expect(deadLettersOf(stack, eventId)).toEqual([]);
  });
});

describe("with Linq down (every call 5xx)", () => {
  let stack: LocalStack;
  let client: EventBridgeClient;

  beforeAll(async () => {
    stack = await startFreshStack({ sandbox: { failRate: 1, failMode: "before" } });
    client = busClient(stack);
  });

  afterAll(async () => {
    client?.destroy();
    await stack?.stop();
  });

  it("every delivery fails, then the event is dead-lettered with the reason; one operation, left pending", async () => {
    const chatId = stack.sandbox!.seedChat({ handles: GROUP }).id;
    const eventId = await putEvent(client, "chat.update.requested", { chat_id: chatId, display_name: "Never" });
    const letter = await eventually(async () => deadLettersOf(stack, eventId)[0]);
    await quiet(stack);

    // Lambda's first invocation and its 2 retries, each trying Linq 4 times.
    expect(letter).toMatchObject({ subscription: "OnChatUpdateRequested", reason: "Linq is unavailable", attempts: 3 });
    expect(letter.event).toEqual(busEvent(stack, eventId));
    expect(linqCalls(stack, chatId).map((call) => call.status)).toEqual(Array(12).fill(500));
    // Whether Linq acted is unknown to us: the record waits, pending, for the reconciler, and nothing is announced yet.
    expect(await chatOperations(stack, chatId)).toMatchObject([{ status: "pending", source: "eventbridge" }]);
    expect(outcomeEvents(stack, chatId)).toEqual([]);
  });
});

describe("with Linq doing a removal but its answer lost (5xx after the work), then failing", () => {
  // The first call removes the participant and answers 500; the other three fail before the work, so the handler
  // throws and the bus retries. Linq's webhook for the removal arrives before that retry, as it would before Lambda's
  // first retry a minute later.
  const plan = ["fail-after", "fail", "fail", "fail", "ok"] as const;
  let stack: LocalStack;
  let client: EventBridgeClient;

  beforeAll(async () => {
    stack = await startFreshStack({
      sandbox: { failRate: 0.8, failMode: "either", seed: seedForCalls(plan, 0.8, "either") },
      busRetryDelaysMs: [500, 1000],
    });
    client = busClient(stack);
  });

  afterAll(async () => {
    client?.destroy();
    await stack?.stop();
  });

  // The retry finds the first attempt's operation already settled by the webhook: that operation is the answer, with
  // no second record and no second call to Linq.
  it("succeeded with one record and one operation.succeeded", async () => {
    const chatId = stack.sandbox!.seedChat({ handles: GROUP }).id;
    const eventId = await putEvent(client, "participant.remove.requested", { chat_id: chatId, handle: "+15550000004" });
    await quiet(stack);

    expect(linqCalls(stack, chatId).map(callFate).slice(0, 4)).toEqual(plan.slice(0, 4));
    expect(stack.sandbox!.truth().chats.find((chat) => chat.id === chatId)?.handles).toContainEqual(
      expect.objectContaining({ handle: "+15550000004", status: "removed" }),
    );
    const records = await chatOperations(stack, chatId);
    expect(records).toMatchObject([{ status: "succeeded", source: "eventbridge" }]);
    expect(await onlyOutcome(stack, records[0]!)).toBe("operation.succeeded");
    expect(deadLettersOf(stack, eventId)).toEqual([]);
  });
});
