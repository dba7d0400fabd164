import { createHmac } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_SCHEDULE_MS, LOCAL_WEBHOOK_SECRET, type Sandbox } from "../../local/sandbox/index.ts";
import { ALICE, BOB, CAROL, DAN, linqClient, ME, type Receiver, receiverForTest, sandboxForTest } from "./helpers.ts";

/** Webhook deliveries as a receiver sees them, checked by the `standardwebhooks` package rather than our own code. */

const CHAT_EVENTS = [
  "chat.group_name_updated",
  "chat.group_icon_updated",
  "chat.group_name_update_failed",
  "chat.group_icon_update_failed",
  "participant.added",
  "participant.removed",
] as const;

async function subscribe(sandbox: Sandbox, receiver: Receiver, events: readonly string[] = CHAT_EVENTS) {
  return linqClient(sandbox).webhookSubscriptions.create({
    target_url: receiver.url,
    subscribed_events: events as never,
  });
}

describe("sandbox webhooks", () => {
  it("signs each event with the subscription's secret, verified by standardwebhooks, in Linq's envelope", async () => {
    const sandbox = await sandboxForTest({ traceLink: "own" });
    const receiver = await receiverForTest();
    const subscription = await subscribe(sandbox, receiver);
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });

    await linqClient(sandbox).chats.update(chat.id, {
      display_name: "Team",
      group_chat_icon: "https://example.com/icon.png",
    });
    await sandbox.idle();

    expect(receiver.received).toHaveLength(2);
    const verifier = new Webhook(subscription.signing_secret);
    const events = receiver.received.map(({ headers, body }) => verifier.verify(body, headers) as Record<string, any>);
    const callTraceIds = sandbox.truth().calls.map((call) => call.traceId);
    for (const [index, event] of events.entries()) {
      expect(event).toEqual({
        api_version: "v3",
        webhook_version: "2026-02-03",
        event_type: expect.any(String),
        event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        created_at: expect.any(String),
        trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        partner_id: "sandbox-partner",
        data: expect.any(Object),
      });
      expect(callTraceIds).not.toContain(event.trace_id);
      const { headers } = receiver.received[index]!;
      expect(headers["x-webhook-event"]).toBe(event.event_type);
      expect(headers["x-webhook-subscription-id"]).toBe(subscription.id);
    }
    expect(new Set(events.map((event) => event.trace_id)).size).toBe(2);

    const own = expect.objectContaining({ handle: ME, is_me: true });
    const byType = Object.fromEntries(events.map((event) => [event.event_type, event.data]));
    expect(byType["chat.group_name_updated"]).toEqual({
      chat_id: chat.id,
      updated_at: expect.any(String),
      changed_by_handle: own,
      new_value: "Team",
      old_value: `${ALICE}, ${BOB}`,
    });
    expect(byType["chat.group_icon_updated"]).toEqual({
      chat_id: chat.id,
      updated_at: expect.any(String),
      changed_by_handle: own,
      new_value: "https://example.com/icon.png",
      old_value: null,
    });
  });

  it("also signs with the deprecated X-Webhook-Signature: hex HMAC of `${timestamp}.${body}`", async () => {
    const sandbox = await sandboxForTest();
    const receiver = await receiverForTest();
    const { signing_secret: secret } = await subscribe(sandbox, receiver);
    sandbox.humanRename(sandbox.seedChat({ handles: [ME, ALICE, BOB] }).id, "Theirs");
    await sandbox.idle();

    const [{ headers, body }] = receiver.received as [Receiver["received"][number]];
    const timestamp = headers["x-webhook-timestamp"];
    expect(timestamp).toBe(headers["webhook-timestamp"]);
    expect(headers["x-webhook-signature"]).toBe(
      createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex"),
    );
  });

  it("reports a removal with participant.removed", async () => {
    const sandbox = await sandboxForTest({ traceLink: "own" });
    const receiver = await receiverForTest();
    await subscribe(sandbox, receiver);
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL] });

    const { trace_id: traceId } = await linqClient(sandbox).chats.participants.remove(chat.id, { handle: BOB });
    await sandbox.idle();

    const [event] = receiver.events();
    expect(event?.event_type).toBe("participant.removed");
    expect(event?.trace_id).not.toBe(traceId);
    expect(event?.data).toEqual({
      chat_id: chat.id,
      handle: BOB,
      participant: expect.objectContaining({ handle: BOB, status: "removed", left_at: expect.any(String) }),
      removed_at: expect.any(String),
    });
  });

  it("magic values: fail: names and /fail icons fail with 4001 and change nothing", async () => {
    const sandbox = await sandboxForTest();
    const receiver = await receiverForTest();
    await subscribe(sandbox, receiver);
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB], display_name: "Before" });

    await linqClient(sandbox).chats.update(chat.id, {
      display_name: "fail: no luck",
      group_chat_icon: "https://example.com/fail/icon.png",
    });
    await sandbox.idle();

    const events = receiver.events();
    expect(events.map((event) => event.event_type).sort()).toEqual([
      "chat.group_icon_update_failed",
      "chat.group_name_update_failed",
    ]);
    for (const event of events) {
      expect(event.data).toEqual({ chat_id: chat.id, error_code: 4001, failed_at: expect.any(String) });
    }
    const truth = sandbox.truth();
    expect(truth.chats[0]).toMatchObject({ display_name: "Before", group_chat_icon: null });
    expect(truth.operations[0]?.outcomes).toMatchObject([
      { part: "display_name", status: "failed", errorCode: 4001 },
      { part: "group_chat_icon", status: "failed", errorCode: 4001 },
    ]);
  });

  it("magic values: one outcome can fail while the other applies", async () => {
    const sandbox = await sandboxForTest();
    const receiver = await receiverForTest();
    await subscribe(sandbox, receiver);
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });

    await linqClient(sandbox).chats.update(chat.id, {
      display_name: "Kept",
      group_chat_icon: "https://example.com/fail.png",
    });
    await sandbox.idle();

    expect(
      receiver
        .events()
        .map((event) => event.event_type)
        .sort(),
    ).toEqual(["chat.group_icon_update_failed", "chat.group_name_updated"]);
    expect(sandbox.truth().chats[0]).toMatchObject({ display_name: "Kept", group_chat_icon: null });
  });

  it("magic values: removing a handle ending in 0000 is accepted, never happens, and sends nothing", async () => {
    const sandbox = await sandboxForTest();
    const receiver = await receiverForTest();
    await subscribe(sandbox, receiver);
    const lost = "+12025550000";
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB, lost] });

    const answer = await linqClient(sandbox).chats.participants.remove(chat.id, { handle: lost });
    expect(answer.status).toBe("accepted");
    await sandbox.idle();

    expect(receiver.received).toEqual([]);
    const truth = sandbox.truth();
    expect(truth.events).toEqual([]);
    expect(truth.operations[0]?.outcomes).toMatchObject([{ part: "participant", status: "never" }]);
    expect(truth.chats[0]?.handles.find((h) => h.handle === lost)?.status).toBe("active");
  });

  it("a human renaming the group sends the same event, changed by them", async () => {
    const sandbox = await sandboxForTest();
    const receiver = await receiverForTest();
    await subscribe(sandbox, receiver);
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB], display_name: "Ours" });

    const event = sandbox.humanRename(chat.id, "Theirs", BOB);
    await sandbox.idle();

    expect(receiver.events()).toEqual([
      expect.objectContaining({
        event_id: event.eventId,
        event_type: "chat.group_name_updated",
        data: {
          chat_id: chat.id,
          updated_at: expect.any(String),
          changed_by_handle: expect.objectContaining({ handle: BOB, is_me: false }),
          new_value: "Theirs",
          old_value: "Ours",
        },
      }),
    ]);
    expect(sandbox.truth().operations[0]).toMatchObject({ kind: "human.rename", traceId: undefined });
    expect((await linqClient(sandbox).chats.retrieve(chat.id)).display_name).toBe("Theirs");
  });

  it("sends a subscription only the event types it subscribed to", async () => {
    const sandbox = await sandboxForTest();
    const names = await receiverForTest();
    const removals = await receiverForTest();
    await subscribe(sandbox, names, ["chat.group_name_updated"]);
    await subscribe(sandbox, removals, ["participant.removed"]);
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL] });

    await linqClient(sandbox).chats.update(chat.id, { display_name: "Team" });
    await linqClient(sandbox).chats.participants.remove(chat.id, { handle: CAROL });
    await linqClient(sandbox).chats.participants.add(chat.id, { handle: DAN });
    await sandbox.idle();

    expect(names.events().map((event) => event.event_type)).toEqual(["chat.group_name_updated"]);
    expect(removals.events().map((event) => event.event_type)).toEqual(["participant.removed"]);
  });

  it("delivers every event to configured targets with their own secret, and honours ?version=", async () => {
    const target = await receiverForTest();
    const versioned = await receiverForTest();
    const sandbox = await sandboxForTest({ webhookTargets: [{ url: target.url, secret: LOCAL_WEBHOOK_SECRET }] });
    const subscription = await linqClient(sandbox).webhookSubscriptions.create({
      target_url: `${versioned.url}?version=2025-01-01`,
      subscribed_events: ["chat.group_name_updated"],
    });
    sandbox.humanRename(sandbox.seedChat({ handles: [ME, ALICE, BOB] }).id, "Theirs");
    await sandbox.idle();

    const [toTarget] = target.received;
    const [toSubscription] = versioned.received;
    expect(new Webhook(LOCAL_WEBHOOK_SECRET).verify(toTarget!.body, toTarget!.headers)).toMatchObject({
      webhook_version: "2026-02-03",
    });
    expect(toTarget!.headers).not.toHaveProperty("x-webhook-subscription-id");
    expect(
      new Webhook(subscription.signing_secret).verify(toSubscription!.body, toSubscription!.headers),
    ).toMatchObject({ webhook_version: "2025-01-01" });
    expect(toTarget!.headers["webhook-id"]).toBe(toSubscription!.headers["webhook-id"]);
  });

  it("retries a 5xx or 429 answer with the same webhook-id and body until it is accepted", async () => {
    const sandbox = await sandboxForTest({ retryScheduleMs: [10, 20, 30] });
    const receiver = await receiverForTest((_, previous) => [503, 429, 500][previous] ?? 200);
    const { signing_secret: secret } = await subscribe(sandbox, receiver);
    sandbox.humanRename(sandbox.seedChat({ handles: [ME, ALICE, BOB] }).id, "Theirs");
    await sandbox.idle();

    expect(receiver.received.map((r) => r.status)).toEqual([503, 429, 500, 200]);
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    for (const { headers, body } of receiver.received)
      expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(sandbox.truth().deliveries.map((d) => [d.attempt, d.status, d.result])).toEqual([
      [1, 503, "retrying"],
      [2, 429, "retrying"],
      [3, 500, "retrying"],
      [4, 200, "delivered"],
    ]);
  });

  it("by default retries on Linq's schedule: 10 retries over about 25 minutes", () => {
    expect(DEFAULT_RETRY_SCHEDULE_MS).toHaveLength(10);
    const totalMinutes = DEFAULT_RETRY_SCHEDULE_MS.reduce((sum, ms) => sum + ms, 0) / 60_000;
    expect(totalMinutes).toBeGreaterThan(22);
    expect(totalMinutes).toBeLessThan(28);
  });

  it("does not retry a 400, and gives up after the schedule", async () => {
    const sandbox = await sandboxForTest({ retryScheduleMs: [10, 10] });
    const rejecting = await receiverForTest(() => 400);
    const failing = await receiverForTest(() => 500);
    await subscribe(sandbox, rejecting);
    await subscribe(sandbox, failing);
    sandbox.humanRename(sandbox.seedChat({ handles: [ME, ALICE, BOB] }).id, "Theirs");
    await sandbox.idle();

    expect(rejecting.received.map((r) => r.status)).toEqual([400]);
    expect(failing.received.map((r) => r.status)).toEqual([500, 500, 500]);
    const results = sandbox.truth().deliveries.map((d) => [d.url, d.result]);
    expect(results).toContainEqual([rejecting.url, "rejected"]);
    expect(results.filter(([url]) => url === failing.url).map(([, result]) => result)).toEqual([
      "retrying",
      "retrying",
      "gave_up",
    ]);
  });

  it("retries a network error", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/hook`;
    closed.close();
    await once(closed, "close");

    const sandbox = await sandboxForTest({
      retryScheduleMs: [10],
      webhookTargets: [{ url, secret: LOCAL_WEBHOOK_SECRET }],
    });
    sandbox.humanRename(sandbox.seedChat({ handles: [ME, ALICE, BOB] }).id, "Theirs");
    await sandbox.idle();

    expect(sandbox.truth().deliveries).toMatchObject([
      { attempt: 1, status: null, result: "retrying", error: expect.stringContaining("ECONNREFUSED") },
      { attempt: 2, status: null, result: "gave_up" },
    ]);
  });

  it("duplicates, drops and reorders events when told to", async () => {
    const duplicating = await sandboxForTest({ duplicateRate: 1 });
    const twice = await receiverForTest();
    const { signing_secret: secret } = await subscribe(duplicating, twice);
    duplicating.humanRename(duplicating.seedChat({ handles: [ME, ALICE, BOB] }).id, "Theirs");
    await duplicating.idle();
    expect(twice.received).toHaveLength(2);
    expect(twice.received[0]!.headers["webhook-id"]).toBe(twice.received[1]!.headers["webhook-id"]);
    for (const { headers, body } of twice.received)
      expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();

    const dropping = await sandboxForTest({ dropRate: 1 });
    const never = await receiverForTest();
    await subscribe(dropping, never);
    dropping.humanRename(dropping.seedChat({ handles: [ME, ALICE, BOB] }).id, "Theirs");
    await dropping.idle();
    expect(never.received).toEqual([]);
    expect(dropping.truth().events[0]).toMatchObject({ dropped: true });

    const reordering = await sandboxForTest({ reorder: 1, reorderWindowMs: 30 });
    const reversed = await receiverForTest();
    await subscribe(reordering, reversed);
    const chat = reordering.seedChat({ handles: [ME, ALICE, BOB] });
    for (const name of ["first", "second", "third"])
      await linqClient(reordering).chats.update(chat.id, { display_name: name });
    await reordering.idle();
    expect(reversed.events().map((event) => event.data["new_value"])).toEqual(["third", "second", "first"]);
    expect(reordering.truth().chats[0]?.display_name).toBe("third");
  });

  it("stop() cancels pending outcomes and deliveries; idle() then resolves", async () => {
    const sandbox = await sandboxForTest({ delayMs: 60_000 });
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });
    await linqClient(sandbox).chats.update(chat.id, { display_name: "Later" });
    await sandbox.stop();
    await sandbox.idle();
    expect(sandbox.truth().operations[0]?.outcomes).toMatchObject([{ status: "pending" }]);
  });
});
