/**
 * Outcomes no webhook brought, end to end: the reconciler reading chats from Linq; and outcomes published from the
 * table's stream, retried when EventBridge fails.
 *
 * The sandbox here applies every change at once but drops every webhook (dropRate 1), as if Linq never sent them;
 * the reconciler checks pending operations at once and fails what has not happened after 1 s. Where a test needs
 * Linq's events after all (out of order, late, or while the service crashes), it delivers the very events the
 * sandbox dropped, signed as Linq signs them.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { LOCAL_WEBHOOK_SECRET, type EventRecord } from "../../local/sandbox/index.ts";
import type { LocalStack } from "../../local/stack.ts";
import { EventBridgePublisher } from "../../src/adapters/eventbridge-publisher.ts";
import type { ReconcileReport } from "../../src/domain/reconciler.ts";
import { eventually, startTestStack, callService, type ServiceBody } from "../support/local-stack.ts";
import {
  chatChanges,
  deliver,
  outcomeCounts,
  outcomeEvents,
  sandboxEventBody,
  signed,
  type WebhookAnswer,
  expectOneOutcomeEach,
} from "../support/webhooks.ts";

const ME = "+15550300001";
const SAM = "+15550300002";
const ALEX = "+15550300003";
const KIM = "+15550300004";
/** Ends in 0000: the sandbox accepts its removal and never does it, and no event says so (Linq has none). */
const LOST = "+15550400000";
const FAIL_AFTER_MS = 1000;
/** Our own code (9xxx, none of Linq's) for "the reconciler found the change not done past the final deadline". */
const OUTCOME_TIMEOUT = 9001;

let stack: LocalStack;
/** The operations the running test started: each must end with exactly one outcome event. */
let started: string[] = [];
/** Outcome events per trace id before the running test: any operation whose count moved must be at exactly one. */
let countsBefore = new Map<string, number>();

beforeAll(async () => {
  stack = await startTestStack({
    sandbox: { delayMs: 0, dropRate: 1 },
    reconcilerEnv: {
      RECONCILE_AFTER_SECONDS: "0",
      RECONCILE_FAIL_AFTER_SECONDS: String(FAIL_AFTER_MS / 1000),
    },
  });
});

afterAll(async () => {
  await stack.stop();
});

beforeEach(() => {
  started = [];
  countsBefore = outcomeCounts(stack);
});

afterEach(async () => {
  await stack.sandbox!.idle();
  await stack.bus.idle();
  // Another run finds nothing left to settle or publish: no operation ever gets a second outcome event.
  expect(await reconcile()).toMatchObject({ settled: 0, errors: 0 });
  await expectOneOutcomeEach(stack, started, countsBefore);
});

function group(): string {
  return stack.sandbox!.seedChat({ handles: [ME, SAM, ALEX, KIM, LOST] }).id;
}

/** Runs the reconciler once, and lets what it settled be published. */
async function reconcile(): Promise<ReconcileReport> {
  const report = (await stack.reconcileNow()) as ReconcileReport;
  await stack.published();
  return report;
}

function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: ServiceBody }> {
  return callService(stack, method, path, body);
}

/** Sends the request and waits until the sandbox has done (or not done) the change and dropped its events. */
async function update(chatId: string, request: { display_name?: string; group_chat_icon?: string }): Promise<string> {
  const answer = await api("PUT", `/v3/chats/${chatId}`, request);
  expect(answer.status).toBe(200);
  started.push(String(answer.body.trace_id));
  await stack.sandbox!.idle();
  return String(answer.body.trace_id);
}

async function remove(chatId: string, handle: string): Promise<string> {
  const answer = await api("DELETE", `/v3/chats/${chatId}/participants`, { handle });
  expect(answer.status).toBe(202);
  started.push(String(answer.body.trace_id));
  await stack.sandbox!.idle();
  return String(answer.body.trace_id);
}

async function record(chatId: string, traceId: string): Promise<ServiceBody> {
  const answer = await api("GET", `/v3/chats/${chatId}/operations/${traceId}`);
  expect(answer.status).toBe(200);
  return answer.body;
}

/** Runs the reconciler, as its schedule would, until the operation is no longer pending. */
function reconciled(chatId: string, traceId: string): Promise<ServiceBody> {
  return eventually(async () => {
    await reconcile();
    const body = await record(chatId, traceId);
    return body.status === "pending" ? undefined : body;
  });
}

function outcomeTypes(traceId: string): string[] {
  return outcomeEvents(stack, traceId).map((event) => event["detail-type"]);
}

/** The events the sandbox emitted for a chat, every one of them dropped. */
function droppedEvents(chatId: string): EventRecord[] {
  const events = stack.sandbox!.truth().events.filter((event) => event.chatId === chatId);
  expect(events.every((event) => event.dropped)).toBe(true);
  return events;
}

function droppedEvent(chatId: string, eventType: string): EventRecord {
  const event = droppedEvents(chatId).find((candidate) => candidate.eventType === eventType);
  expect(event, eventType).toBeDefined();
  return event!;
}

/** Delivers an event the sandbox dropped, as Linq would have: its body, its webhook-id, signed with the secret. */
function deliverLate(event: EventRecord): Promise<WebhookAnswer> {
  const body = sandboxEventBody(event);
  return deliver(stack, body, signed(LOCAL_WEBHOOK_SECRET, body, { id: event.webhookId }));
}

describe("the reconciler settles what no webhook settled", () => {
  it("a removal that never happens (handle ending 0000) fails once the final deadline passes", async () => {
    const chatId = group();
    const traceId = await remove(chatId, LOST);
    const operation = stack.sandbox!.truth().operations.find((op) => op.traceId === traceId);
    expect(operation?.outcomes).toMatchObject([{ part: "participant", status: "never" }]);
    expect(stack.sandbox!.truth().events.filter((event) => event.chatId === chatId)).toEqual([]);

    // Checked at once, but the participant is still there and the final deadline has not passed: it waits.
    expect(await reconcile()).toMatchObject({ settled: 0, errors: 0 });
    expect((await record(chatId, traceId)).status).toBe("pending");
    expect(outcomeEvents(stack, traceId)).toEqual([]);

    const failed = await reconciled(chatId, traceId);
    expect(failed).toMatchObject({
      kind: "participant.remove",
      status: "failed",
      request: { handle: LOST },
      results: {
        participant: {
          status: "failed",
          settled_by: "reconciler",
          error_code: OUTCOME_TIMEOUT,
          basis: "inferred",
          reason: "timeout: the participant is still in the chat",
        },
      },
      error: { code: OUTCOME_TIMEOUT, message: "timeout: the participant is still in the chat" },
    });
    expect(Date.parse(String(failed.completed_at)) - Date.parse(String(failed.created_at))).toBeGreaterThanOrEqual(
      FAIL_AFTER_MS,
    );
    const outcomes = outcomeEvents(stack, traceId);
    expect(outcomes.map((event) => event["detail-type"])).toEqual(["operation.failed"]);
    expect(outcomes[0]!.detail).toEqual({ ...failed, schema_version: 1 });
  });

  it("a removal that happened but whose webhook was dropped succeeds", async () => {
    const chatId = group();
    const traceId = await remove(chatId, KIM);
    expect(droppedEvents(chatId).map((event) => event.eventType)).toEqual(["participant.removed"]);
    const chat = stack.sandbox!.truth().chats.find((candidate) => candidate.id === chatId);
    expect(chat?.handles.find((handle) => handle.handle === KIM)?.status).toBe("removed");
    expect((await record(chatId, traceId)).status).toBe("pending");

    expect(await reconcile()).toMatchObject({ settled: 1, errors: 0 });
    const done = await record(chatId, traceId);
    expect(done).toMatchObject({
      status: "succeeded",
      results: { participant: { status: "succeeded", settled_by: "reconciler", basis: "proven" } },
    });
    expect(outcomeTypes(traceId)).toEqual(["operation.succeeded"]);
  });

  it("an update whose webhook was dropped succeeds when the chat shows the value, and times out when it does not", async () => {
    const shown = group();
    const shownTrace = await update(shown, {
      display_name: "Visible on the chat",
      group_chat_icon: "https://cdn.example.com/icons/visible.png",
    });
    const notShown = group();
    const notShownTrace = await update(notShown, { display_name: "fail:never shows" });

    expect(await reconcile()).toMatchObject({ settled: 1, errors: 0 });
    expect(await record(shown, shownTrace)).toMatchObject({
      status: "succeeded",
      results: {
        display_name: { status: "succeeded", settled_by: "reconciler", basis: "proven" },
        group_chat_icon: { status: "succeeded", settled_by: "reconciler", basis: "proven" },
      },
    });
    expect(outcomeTypes(shownTrace)).toEqual(["operation.succeeded"]);
    expect((await record(notShown, notShownTrace)).status).toBe("pending");

    expect(await reconciled(notShown, notShownTrace)).toMatchObject({
      status: "failed",
      results: {
        display_name: {
          status: "failed",
          settled_by: "reconciler",
          error_code: OUTCOME_TIMEOUT,
          basis: "inferred",
          reason: "timeout: the chat does not show the requested value and nothing explains it",
        },
      },
      error: { code: OUTCOME_TIMEOUT },
    });
    expect(outcomeTypes(notShownTrace)).toEqual(["operation.failed"]);
  });
});

describe("Linq's events delivered late, out of order, or by a person", () => {
  it("one part's failure before the other part's success: failed at once with Linq's code, one operation.failed", async () => {
    const finals: ServiceBody[] = [];
    for (const order of ["failure first", "success first"] as const) {
      const chatId = group();
      const traceId = await update(chatId, {
        display_name: "fail:not this name",
        group_chat_icon: "https://cdn.example.com/icons/fine.png",
      });
      const failure = droppedEvent(chatId, "chat.group_name_update_failed");
      const success = droppedEvent(chatId, "chat.group_icon_updated");
      const [first, second] = order === "failure first" ? [failure, success] : [success, failure];

      expect(await deliverLate(first)).toMatchObject({ status: 200, body: { result: "settled" } });
      const between = await record(chatId, traceId);
      if (order === "failure first") {
        // The outcome cannot change any more, so it is published now, with the icon still pending.
        expect(between).toMatchObject({ status: "failed", results: { group_chat_icon: { status: "pending" } } });
        expect(outcomeEvents(stack, traceId).map((event) => event.detail)).toEqual([{ ...between, schema_version: 1 }]);
      } else {
        expect(between).toMatchObject({ status: "pending", results: { display_name: { status: "pending" } } });
        expect(outcomeEvents(stack, traceId)).toEqual([]);
      }

      expect(await deliverLate(second)).toMatchObject({ status: 200, body: { result: "settled" } });
      const final = await record(chatId, traceId);
      expect(final).toMatchObject({
        status: "failed",
        error: { code: 4001 },
        results: {
          display_name: { status: "failed", error_code: 4001, settled_by: "webhook" },
          group_chat_icon: { status: "succeeded", settled_by: "webhook" },
        },
      });
      if (order === "failure first") expect(final.completed_at).toBe(between.completed_at);
      expect(outcomeTypes(traceId)).toEqual(["operation.failed"]);
      finals.push(final);
    }
    const [a, b] = finals.map(({ status, error, results }) => ({
      status,
      error,
      parts: Object.fromEntries(Object.entries(results ?? {}).map(([part, result]) => [part, result.status])),
    }));
    expect(a).toEqual(b);
  });

  it("a person's rename while our update is pending is recorded against the chat; our operation is untouched", async () => {
    const chatId = group();
    const traceId = await update(chatId, { display_name: "Our name" });
    const pending = await record(chatId, traceId);
    expect(pending.status).toBe("pending");

    const rename = stack.sandbox!.humanRename(chatId, "Their name");
    await stack.sandbox!.idle();
    expect(await deliverLate(rename)).toMatchObject({ status: 200, body: { result: "kept" } });
    expect(await chatChanges(stack, chatId)).toMatchObject([
      {
        id: `event#${rename.eventId}`,
        kind: "change",
        event_type: "chat.group_name_updated",
        evidence: { event_id: rename.eventId, value: "Their name", changed_by: { is_me: false } },
      },
    ]);
    expect(await record(chatId, traceId)).toEqual(pending);
    expect(outcomeEvents(stack, traceId)).toEqual([]);

    // Our own rename's event, arriving after theirs, still settles our operation.
    const ours = droppedEvents(chatId).find((event) => event.data.new_value === "Our name")!;
    expect(await deliverLate(ours)).toMatchObject({ status: 200, body: { result: "settled" } });
    expect(await record(chatId, traceId)).toMatchObject({
      status: "succeeded",
      results: { display_name: { status: "succeeded", settled_by: "webhook" } },
    });
    expect(await chatChanges(stack, chatId)).toHaveLength(1);
    expect(outcomeTypes(traceId)).toEqual(["operation.succeeded"]);
  });
});

describe("many events for one chat at once", () => {
  it("all settle: writers that collide read again and decide again, and none is answered 5xx", async () => {
    const chatId = group();
    const traces: string[] = [];
    for (let i = 0; i < 12; i++) traces.push(await update(chatId, { display_name: `Busy ${i}` }));
    const events = droppedEvents(chatId);
    expect(events).toHaveLength(12);

    const answers = await Promise.all(events.map((event) => deliverLate(event)));

    expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(200));
    for (const traceId of traces) expect((await record(chatId, traceId)).status).toBe("succeeded");
    await stack.published();
    for (const traceId of traces) expect(outcomeTypes(traceId)).toEqual(["operation.succeeded"]);
  });
});

describe("outcomes from the stream", () => {
  it("a publish EventBridge refuses is retried from the stream: the outcome goes out once, and nothing else moves", async () => {
    const chatId = group();
    const traceId = await update(chatId, { display_name: "Survives a refusal" });
    const event = droppedEvent(chatId, "chat.group_name_updated");

    const publish = vi
      .spyOn(EventBridgePublisher.prototype, "publish")
      .mockRejectedValueOnce(new Error("EventBridge did not answer"));
    let answer: WebhookAnswer;
    try {
      answer = await deliverLate(event);
      await stack.published();
      expect(publish).toHaveBeenCalledTimes(2);
    } finally {
      publish.mockRestore();
    }
    // The settlement is stored before anything is published: the delivery is done, Linq is not asked again.
    expect(answer).toMatchObject({ status: 200, body: { result: "settled" } });
    const settled = await record(chatId, traceId);
    expect(settled).toMatchObject({ status: "succeeded" });
    const outcomes = outcomeEvents(stack, traceId);
    expect(outcomes.map((e) => e["detail-type"])).toEqual(["operation.succeeded"]);
    expect(outcomes[0]!.detail).toEqual({ ...settled, schema_version: 1 });

    // Linq redelivering the event changes nothing and publishes nothing.
    expect(await deliverLate(event)).toMatchObject({ status: 200, body: { result: "duplicate" } });
    expect(outcomeEvents(stack, traceId)).toHaveLength(1);
    expect(await record(chatId, traceId)).toEqual(settled);
  });
});
