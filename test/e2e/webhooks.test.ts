/**
 * `POST /webhooks/linq` end to end: Linq's signed deliveries through the HTTP adapter into DynamoDB Local, and the
 * outcome events they cause on the bus.
 *
 * The sandbox here answers and applies at once (delayMs 0), sends every event twice with the same webhook-id
 * (duplicateRate 1), and signs with the newer of two secrets the service holds during a rotation. Deliveries the
 * tests make themselves play Linq (or an attacker) with the `standardwebhooks` package.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { legacySignature } from "../../local/sandbox/index.ts";
import type { LocalStack } from "../../local/stack.ts";
import { eventually, startTestStack, callService, type ServiceBody } from "../support/local-stack.ts";
import {
  chatChanges,
  deliver,
  linqEvent,
  nowSeconds,
  outcomeCounts,
  outcomeEvents,
  signature,
  signed,
  webhookSecret,
  expectOneOutcomeEach,
} from "../support/webhooks.ts";

const OLD_SECRET = webhookSecret("linq-chat-ops: the secret being retired");
const NEW_SECRET = webhookSecret("linq-chat-ops: the secret rotated in");
const STRANGER_SECRET = webhookSecret("anyone else's secret, not the service's");

const ME = "+15550100001";
const SAM = "+15550100002";
const ALEX = "+15550100003";
const KIM = "+15550100004";
/** Ends in 0000: the sandbox accepts its removal and never does it, and no event says so. */
const LOST = "+15550200000";

let stack: LocalStack;
/** The operations the running test started: each must end with exactly one outcome event. */
let started: string[] = [];
/** Outcome events per trace id before the running test: any operation whose count moved must be at exactly one. */
let countsBefore = new Map<string, number>();

beforeAll(async () => {
  stack = await startTestStack({
    webhookSecret: `${OLD_SECRET},${NEW_SECRET}`,
    sandbox: { delayMs: 0, duplicateRate: 1 },
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
  await expectOneOutcomeEach(stack, started, countsBefore);
});

function group(): string {
  return stack.sandbox!.seedChat({ handles: [ME, SAM, ALEX, KIM, LOST] }).id;
}

function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: ServiceBody }> {
  return callService(stack, method, path, body);
}

async function update(chatId: string, request: { display_name?: string; group_chat_icon?: string }): Promise<string> {
  const answer = await api("PUT", `/v3/chats/${chatId}`, request);
  expect(answer.status).toBe(200);
  const traceId = String(answer.body.trace_id);
  started.push(traceId);
  return traceId;
}

async function remove(chatId: string, handle: string): Promise<string> {
  const answer = await api("DELETE", `/v3/chats/${chatId}/participants`, { handle });
  expect(answer.status).toBe(202);
  const traceId = String(answer.body.trace_id);
  started.push(traceId);
  return traceId;
}

async function record(chatId: string, traceId: string): Promise<ServiceBody> {
  const answer = await api("GET", `/v3/chats/${chatId}/operations/${traceId}`);
  expect(answer.status).toBe(200);
  return answer.body;
}

/**
 * The record once terminal and no part awaits an outcome any more (a failed update may still hear of its other part),
 * and once every delivery has been answered: the handler that settled it answers only after publishing the outcome.
 */
async function settled(chatId: string, traceId: string): Promise<ServiceBody> {
  await eventually(async () => {
    const body = await record(chatId, traceId);
    const open = Object.values(body.results ?? {}).some((part) => part.status === "pending");
    return body.status !== "pending" && !open ? body : undefined;
  });
  await stack.sandbox!.idle();
  await stack.published();
  return record(chatId, traceId);
}

/** Linq's `participant.removed` for a handle, as the sandbox words it. */
function removedEvent(chatId: string, handle: string): string {
  const at = new Date().toISOString();
  return linqEvent("participant.removed", {
    chat_id: chatId,
    handle,
    participant: { handle, status: "removed", left_at: at },
    removed_at: at,
  });
}

function outcomeTypes(traceId: string): string[] {
  return outcomeEvents(stack, traceId).map((event) => event["detail-type"]);
}

function sandboxEvents(chatId: string) {
  return stack.sandbox!.truth().events.filter((event) => event.chatId === chatId);
}

function deliveriesOf(eventId: string) {
  return stack
    .sandbox!.truth()
    .deliveries.filter((delivery) => delivery.eventId === eventId)
    .map(({ copy, status, result }) => ({ copy, status, result }));
}

describe("Linq's own deliveries, each sent twice under one webhook-id", () => {
  it("a name update settles succeeded once: the second copy of the delivery changes nothing", async () => {
    const chatId = group();
    const traceId = await update(chatId, { display_name: "Weekend plans" });
    const done = await settled(chatId, traceId);
    expect(done).toMatchObject({
      status: "succeeded",
      results: { display_name: { status: "succeeded", settled_by: "webhook" } },
    });

    await stack.sandbox!.idle();
    const [event, ...others] = sandboxEvents(chatId);
    expect(others).toEqual([]);
    expect(event).toMatchObject({ eventType: "chat.group_name_updated", duplicated: true });
    expect(deliveriesOf(event!.eventId)).toEqual([
      { copy: 1, status: 200, result: "delivered" },
      { copy: 2, status: 200, result: "delivered" },
    ]);
    expect(await record(chatId, traceId)).toEqual(done);
    expect(await chatChanges(stack, chatId)).toEqual([]);
    const outcomes = outcomeEvents(stack, traceId);
    expect(outcomes.map((e) => e["detail-type"])).toEqual(["operation.succeeded"]);
    expect(outcomes[0]!.detail).toEqual({ ...done, schema_version: 1 });
  });

  it("an update of name and icon succeeds only once both parts have", async () => {
    const chatId = group();
    const traceId = await update(chatId, {
      display_name: "Climbing crew",
      group_chat_icon: "https://cdn.example.com/icons/rope.png",
    });
    expect(await settled(chatId, traceId)).toMatchObject({
      status: "succeeded",
      results: {
        display_name: { status: "succeeded", settled_by: "webhook" },
        group_chat_icon: { status: "succeeded", settled_by: "webhook" },
      },
    });
    expect(outcomeTypes(traceId)).toEqual(["operation.succeeded"]);
  });

  it("Linq answering and reporting at once cannot outrun the record: updates and removals sent together all settle", async () => {
    // delayMs 0: Linq's event can reach the webhook before Linq's HTTP answer reaches the caller. The record is
    // written before Linq is called, so the event always finds it; a removal's, written under our own id, is carried
    // over to Linq's trace id whichever comes first.
    const chats = [group(), group(), group()];
    const traceIds = await Promise.all(
      chats.flatMap((chatId, i) => [
        update(chatId, { display_name: `Fast lane ${i}` }).then((traceId) => ({ chatId, traceId })),
        remove(chatId, KIM).then((traceId) => ({ chatId, traceId })),
      ]),
    );
    for (const { chatId, traceId } of traceIds) {
      expect((await settled(chatId, traceId)).status).toBe("succeeded");
      expect(outcomeTypes(traceId)).toEqual(["operation.succeeded"]);
    }
    const calls = stack.sandbox!.truth().calls;
    for (const chatId of chats) {
      const list = await api("GET", `/v3/chats/${chatId}/operations`);
      const records = list.body.data as { kind: string; trace_id: string }[];
      expect(records.map((r) => r.kind).sort()).toEqual(["chat.update", "participant.remove"]);
      // The removal lives under Linq's trace id only, not also under the id it was first written with.
      const removal = records.find((r) => r.kind === "participant.remove")!;
      expect(calls.some((call) => call.method === "DELETE" && call.traceId === removal.trace_id)).toBe(true);
    }
  });

  it("a person renaming the group is recorded against the chat, once, and touches no operation", async () => {
    const chatId = group();
    const ours = await update(chatId, { display_name: "Book club" });
    const before = await settled(chatId, ours);

    const rename = stack.sandbox!.humanRename(chatId, "Book club 📚 (Sam's)");
    await stack.sandbox!.idle();
    expect(deliveriesOf(rename.eventId).map((d) => d.status)).toEqual([200, 200]);
    const changes = await chatChanges(stack, chatId);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      chat_id: chatId,
      id: `event#${rename.eventId}`,
      kind: "change",
      event_type: "chat.group_name_updated",
      evidence: { event_id: rename.eventId, value: "Book club 📚 (Sam's)", changed_by: { is_me: false } },
    });
    expect(await record(chatId, ours)).toEqual(before);
    const list = await api("GET", `/v3/chats/${chatId}/operations`);
    expect((list.body.data as unknown[]).length).toBe(1);
  });
});

describe("the sandbox's magic values", () => {
  it("a name starting with fail: fails with Linq's error_code 4001 and one operation.failed", async () => {
    const chatId = group();
    const traceId = await update(chatId, { display_name: "fail:no such luck" });
    const done = await settled(chatId, traceId);
    expect(done).toMatchObject({
      status: "failed",
      error: { code: 4001 },
      results: { display_name: { status: "failed", error_code: 4001, settled_by: "webhook" } },
    });
    expect(done.completed_at).toBeTypeOf("string");
    const outcomes = outcomeEvents(stack, traceId);
    expect(outcomes.map((e) => e["detail-type"])).toEqual(["operation.failed"]);
    expect(outcomes[0]!.detail).toEqual({ ...done, schema_version: 1 });
  });

  it("an icon URL containing /fail fails with error_code 4001", async () => {
    const chatId = group();
    const traceId = await update(chatId, { group_chat_icon: "https://cdn.example.com/fail/icon.png" });
    expect(await settled(chatId, traceId)).toMatchObject({
      status: "failed",
      error: { code: 4001 },
      results: { group_chat_icon: { status: "failed", error_code: 4001 } },
    });
    expect(outcomeTypes(traceId)).toEqual(["operation.failed"]);
  });

  it("name and icon where only the icon fails: failed, the name's success still recorded, one operation.failed", async () => {
    const chatId = group();
    const traceId = await update(chatId, {
      display_name: "Half right",
      group_chat_icon: "https://cdn.example.com/fail/half.png",
    });
    expect(await settled(chatId, traceId)).toMatchObject({
      status: "failed",
      error: { code: 4001 },
      results: {
        display_name: { status: "succeeded" },
        group_chat_icon: { status: "failed", error_code: 4001 },
      },
    });
    expect(outcomeTypes(traceId)).toEqual(["operation.failed"]);
  });
});

describe("deliveries made by hand", () => {
  it("the same webhook-id delivered twice at the same moment settles once", async () => {
    const chatId = group();
    const traceId = await remove(chatId, LOST);
    await stack.sandbox!.idle();
    expect((await record(chatId, traceId)).status).toBe("pending");

    const body = removedEvent(chatId, LOST);
    const headers = signed(NEW_SECRET, body);
    const answers = await Promise.all([deliver(stack, body, headers), deliver(stack, body, headers)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.map((a) => a.body.result).sort()).toEqual(["duplicate", "settled"]);
    expect(await record(chatId, traceId)).toMatchObject({
      status: "succeeded",
      results: { participant: { status: "succeeded", settled_by: "webhook" } },
    });
    expect(outcomeTypes(traceId)).toEqual(["operation.succeeded"]);
  });

  it("unknown and irrelevant event types are acknowledged with 2xx and change nothing", async () => {
    const chatId = group();
    const bodies = [
      linqEvent("message.received", { chat_id: chatId, message: { id: randomUUID(), parts: [] } }),
      linqEvent("reaction.added", { chat_id: chatId }),
      linqEvent("participant.added", { chat_id: chatId, handle: "+15550100009" }),
      linqEvent("chat.created", { chat: { id: chatId } }),
      linqEvent("call.started", "no object here either"),
    ];
    const eventsBefore = stack.bus.events().length;
    for (const body of bodies) {
      const answer = await deliver(stack, body, signed(NEW_SECRET, body));
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ received: true, result: "ignored" });
    }
    expect(await chatChanges(stack, chatId)).toEqual([]);
    expect(stack.bus.events().length).toBe(eventsBefore);
  });

  it("a signed delivery the service cannot use is answered 2xx and kept as it came: Linq never retries a 4xx", async () => {
    const chatId = group();
    const unusable = [
      linqEvent("chat.group_name_update_failed", { chat_id: chatId, failed_at: new Date().toISOString() }),
      linqEvent("chat.group_name_updated", { chat_id: chatId, new_value: "" }),
      linqEvent("participant.removed", { chat_id: chatId, participant: { handle: "not a handle" } }),
    ];
    const unattributed = [
      "{not json",
      "",
      "[]",
      '"chat.group_name_updated"',
      linqEvent("chat.group_name_updated", { updated_at: new Date().toISOString(), new_value: "x" }),
      // A removal that names no chat can match nothing of ours.
      linqEvent("participant.removed", { handle: SAM }),
      JSON.stringify({
        __proto__: { polluted: true },
        event_id: "x".repeat(500),
        event_type: "chat.group_name_updated",
      }),
    ];
    for (const body of [...unusable, ...unattributed]) {
      const answer = await deliver(stack, body, signed(NEW_SECRET, body));
      expect(answer.status, body).toBe(200);
      expect(answer.body, body).toMatchObject({ received: true, result: "kept" });
    }
    const kept = await chatChanges(stack, chatId);
    expect(kept.map((item) => item.kind)).toEqual(["unusable", "unusable", "unusable"]);
    expect(kept.map((item) => item.raw).sort()).toEqual([...unusable].sort());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const elsewhere = await chatChanges(stack, "unattributed");
    expect(elsewhere.map((item) => item.raw)).toEqual(expect.arrayContaining(unattributed));
  });
});

describe("signatures", () => {
  it("unsigned, forged, altered, stale, future-dated and replayed deliveries get 401 and change nothing", async () => {
    const chatId = group();
    const traceId = await remove(chatId, LOST);
    await stack.sandbox!.idle();
    const pending = await record(chatId, traceId);
    expect(pending.status).toBe("pending");

    const body = removedEvent(chatId, LOST);
    const id = `msg_${randomUUID()}`;
    const now = nowSeconds();
    const genuine = signed(NEW_SECRET, body, { id, timestampSeconds: now });
    // An earlier genuine delivery, accepted: its id and signature attached to another body are a replay.
    const earlierBody = linqEvent("chat.group_name_updated", { chat_id: group(), new_value: "Earlier" });
    const earlier = signed(NEW_SECRET, earlierBody);
    expect((await deliver(stack, earlierBody, earlier)).status).toBe(200);

    const refused: [string, string, Record<string, string>][] = [
      ["unsigned", body, {}],
      ["no signature header", body, { "webhook-id": id, "webhook-timestamp": String(now) }],
      ["no timestamp header", body, { "webhook-id": id, "webhook-signature": genuine["webhook-signature"] }],
      ["signed with a stranger's secret", body, signed(STRANGER_SECRET, body, { id })],
      ["body altered after signing", body.replace(LOST, SAM), genuine],
      ["another id under the same signature", body, { ...genuine, "webhook-id": `msg_${randomUUID()}` }],
      [
        "a v2 signature only",
        body,
        { ...genuine, "webhook-signature": genuine["webhook-signature"].replace("v1,", "v2,") },
      ],
      ["signed 301 s ago", body, signed(NEW_SECRET, body, { id, timestampSeconds: now - 301 })],
      ["signed 305 s in the future", body, signed(NEW_SECRET, body, { id, timestampSeconds: now + 305 })],
      ["an unreadable timestamp", body, { ...genuine, "webhook-timestamp": new Date().toISOString() }],
      ["a replayed id and signature with another body", body, earlier],
      // Linq's deprecated scheme is accepted only when a legacy secret is configured, and none is here.
      [
        "only the deprecated X-Webhook-Signature",
        body,
        { "x-webhook-timestamp": String(now), "x-webhook-signature": legacySignature(NEW_SECRET, now, body) },
      ],
    ];
    for (const [what, sent, headers] of refused) {
      const answer = await deliver(stack, sent, headers);
      expect(answer.status, what).toBe(401);
      expect(answer.body, what).toEqual({
        error: { status: 401, code: 2004, message: "Invalid webhook signature" },
        success: false,
      });
    }

    expect(await record(chatId, traceId)).toEqual(pending);
    expect(outcomeEvents(stack, traceId)).toEqual([]);
    expect(await chatChanges(stack, chatId)).toEqual([]);

    // The refusals used nothing up: the genuine delivery under the same webhook-id still applies, once.
    const applied = await deliver(stack, body, genuine);
    expect(applied).toMatchObject({ status: 200, body: { result: "settled" } });
    const retried = await deliver(stack, body, genuine);
    expect(retried).toMatchObject({ status: 200, body: { result: "duplicate" } });
    expect((await record(chatId, traceId)).status).toBe("succeeded");
    expect(outcomeTypes(traceId)).toEqual(["operation.succeeded"]);
  });

  it("a delivery signed within the window either way is accepted", async () => {
    const chatId = group();
    for (const [offset, name] of [
      [-290, "Signed a while ago"],
      [290, "Signed by a fast clock"],
    ] as const) {
      const body = linqEvent("chat.group_name_updated", { chat_id: chatId, new_value: name });
      const answer = await deliver(stack, body, signed(NEW_SECRET, body, { timestampSeconds: nowSeconds() + offset }));
      expect(answer).toMatchObject({ status: 200, body: { result: "kept" } });
    }
    expect(await chatChanges(stack, chatId)).toHaveLength(2);
  });

  it("a body API Gateway base64-encodes (non-text content type) is verified on its decoded bytes", async () => {
    const chatId = group();
    const name = "Équipe 🎉 — « déjà vu »";
    const body = linqEvent("chat.group_name_updated", {
      chat_id: chatId,
      new_value: name,
      changed_by_handle: { handle: ALEX },
    });
    const answer = await deliver(stack, body, signed(NEW_SECRET, body), "application/octet-stream");
    expect(answer).toMatchObject({ status: 200, body: { result: "kept" } });
    const changes = await chatChanges(stack, chatId);
    expect(changes.map((change) => (change.evidence as { value: string }).value)).toEqual([name]);

    const altered = body.replace("déjà", "deja");
    const forged = await deliver(stack, altered, signed(NEW_SECRET, body), "application/octet-stream");
    expect(forged.status).toBe(401);
    expect(await chatChanges(stack, chatId)).toHaveLength(1);
  });

  it("a rotation's second subscription URL, the route with a query, reaches the same function and verifies alike", async () => {
    const chatId = group();
    const body = linqEvent("chat.group_name_updated", { chat_id: chatId, new_value: "via the second URL" });
    const response = await fetch(`${stack.url}/webhooks/linq?version=2026-02-03&rotation=2`, {
      method: "POST",
      headers: { "content-type": "application/json", ...signed(NEW_SECRET, body) },
      body,
    });
    expect(response.status).toBe(200);
    await stack.published();
    expect(await chatChanges(stack, chatId)).toHaveLength(1);
  });

  it("during a rotation both secrets verify, and every offered v1 signature is tried", async () => {
    // The sandbox signs with the new secret: every delivery it made in this file was accepted.
    const deliveries = stack.sandbox!.truth().deliveries;
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.filter((d) => d.status !== 200)).toEqual([]);

    const chatId = group();
    const send = (name: string, sign: (body: string, id: string, at: number) => string) => {
      const body = linqEvent("chat.group_name_updated", { chat_id: chatId, new_value: name });
      const id = `msg_${randomUUID()}`;
      const at = nowSeconds();
      return deliver(stack, body, {
        "webhook-id": id,
        "webhook-timestamp": String(at),
        "webhook-signature": sign(body, id, at),
      });
    };
    const accepted = [
      await send("old secret", (body, id, at) => signature(OLD_SECRET, id, at, body)),
      await send("new secret", (body, id, at) => signature(NEW_SECRET, id, at, body)),
      await send("stranger first, then old", (body, id, at) =>
        [signature(STRANGER_SECRET, id, at, body), signature(OLD_SECRET, id, at, body)].join(" "),
      ),
      await send("unknown scheme first, then new", (body, id, at) =>
        [`v1a,${signature(NEW_SECRET, id, at, body).slice(3)}`, signature(NEW_SECRET, id, at, body)].join(" "),
      ),
    ];
    expect(accepted.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const refused = await send("stranger only", (body, id, at) => signature(STRANGER_SECRET, id, at, body));
    expect(refused.status).toBe(401);
    expect(await chatChanges(stack, chatId)).toHaveLength(4);
  });
});
