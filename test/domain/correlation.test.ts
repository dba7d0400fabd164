import { beforeEach, describe, expect, it } from "vitest";
import { ServiceError } from "../../src/domain/errors.ts";
import { readLinqEvent } from "../../src/domain/linq-events.ts";
import type { ChatUpdateRequest } from "../../src/domain/operation.ts";
import { removeParticipant, updateChat } from "../../src/domain/operations-service.ts";
import {
  groupIconUpdated,
  groupIconUpdateFailed,
  groupNameUpdated,
  groupNameUpdateFailed,
  otherEvent,
  participantRemoved,
  participantRemovedDeprecated,
} from "../fakes/linq-webhooks.ts";
import { CHAT, makeWorld, OTHER_CHAT, type World } from "../fakes/world.ts";

const ICON = "https://cdn.test/icon.png";

let world: World;
beforeEach(() => {
  world = makeWorld();
});

/** Requests an update through the service, one second after the previous one, and answers its trace id. */
async function requestUpdate(request: ChatUpdateRequest, chatId = CHAT): Promise<string> {
  world.clock.advance(1000);
  const answer = await updateChat(world, { chatId, request, source: "http" });
  return (answer.body as { trace_id: string }).trace_id;
}

async function requestRemoval(handle: string, chatId = CHAT): Promise<string> {
  world.clock.advance(1000);
  const answer = await removeParticipant(world, { chatId, request: { handle }, source: "http" });
  return (answer.body as { trace_id: string }).trace_id;
}

async function statusOf(traceId: string, chatId = CHAT) {
  return (await world.store.get(chatId, traceId))?.status;
}

describe("chat.group_name_updated / chat.group_icon_updated", () => {
  it("settles the oldest pending update whose requested value equals new_value", async () => {
    const alpha = await requestUpdate({ display_name: "Alpha" });
    const beta1 = await requestUpdate({ display_name: "Beta" });
    const beta2 = await requestUpdate({ display_name: "Beta" });

    const settlement = await world.deliver(groupNameUpdated(CHAT, "Beta"));

    expect(settlement).toMatchObject({ result: "settled", record: { trace_id: beta1 } });
    expect([await statusOf(alpha), await statusOf(beta1), await statusOf(beta2)]).toEqual([
      "pending",
      "succeeded",
      "pending",
    ]);
    expect((await world.store.get(CHAT, beta1))?.results.display_name).toEqual({
      status: "succeeded",
      settled_at: "2026-03-01T12:00:05.000Z",
      settled_by: "webhook",
    });
    expect(world.publisher.published).toMatchObject([{ trace_id: beta1, status: "succeeded" }]);
  });

  it("settles an icon update by its URL", async () => {
    const traceId = await requestUpdate({ group_chat_icon: ICON });

    await world.deliver(groupIconUpdated(CHAT, ICON));

    expect(await statusOf(traceId)).toBe("succeeded");
  });

  it("records a value nobody asked for (a person renamed the group) against the chat, not onto an operation", async () => {
    const traceId = await requestUpdate({ display_name: "Team" });

    const settlement = await world.deliver(groupNameUpdated(CHAT, "Renamed on a phone"));

    expect(settlement).toEqual({ result: "recorded-against-chat" });
    expect(await statusOf(traceId)).toBe("pending");
    expect(world.store.chatChanges(CHAT)).toMatchObject([
      { chat_id: CHAT, event_type: "chat.group_name_updated", data: { new_value: "Renamed on a phone" } },
    ]);
    expect(world.publisher.published).toEqual([]);
  });

  it("does not settle another chat's update with the same value", async () => {
    const other = await requestUpdate({ display_name: "Team" }, OTHER_CHAT);

    expect(await world.deliver(groupNameUpdated(CHAT, "Team"))).toEqual({ result: "recorded-against-chat" });
    expect(await statusOf(other, OTHER_CHAT)).toBe("pending");
  });

  it("matches the chat id whatever its case in the event", async () => {
    const traceId = await requestUpdate({ display_name: "Team" });

    await world.deliver(groupNameUpdated(CHAT.toUpperCase(), "Team"));

    expect(await statusOf(traceId)).toBe("succeeded");
  });
});

describe("chat.group_name_update_failed / chat.group_icon_update_failed", () => {
  it("fails the oldest pending update of that part, with Linq's error_code", async () => {
    const iconOnly = await requestUpdate({ group_chat_icon: ICON });
    const first = await requestUpdate({ display_name: "A" });
    const second = await requestUpdate({ display_name: "B" });

    const settlement = await world.deliver(groupNameUpdateFailed(CHAT, 4001));

    expect(settlement).toMatchObject({ result: "settled", record: { trace_id: first } });
    const record = await world.store.get(CHAT, first);
    expect(record).toMatchObject({ status: "failed", error: { code: 4001 } });
    expect(record?.results.display_name).toMatchObject({ status: "failed", error_code: 4001, settled_by: "webhook" });
    expect([await statusOf(iconOnly), await statusOf(second)]).toEqual(["pending", "pending"]);
    expect(world.publisher.published).toMatchObject([{ trace_id: first, status: "failed" }]);
  });

  it("records a failure that matches no pending update against the chat", async () => {
    expect(await world.deliver(groupIconUpdateFailed(CHAT, 3007))).toEqual({ result: "recorded-against-chat" });
    expect(world.store.chatChanges(CHAT)).toHaveLength(1);
  });
});

describe("both parts of one update", () => {
  it("fail the operation when the failure of one part arrives before the success of the other, and keep both results", async () => {
    const traceId = await requestUpdate({ display_name: "Team", group_chat_icon: ICON });

    await world.deliver(groupIconUpdateFailed(CHAT, 4001));
    const late = await world.deliver(groupNameUpdated(CHAT, "Team"));

    expect(late).toMatchObject({ result: "settled", record: { trace_id: traceId } });
    const record = await world.store.get(CHAT, traceId);
    expect(record).toMatchObject({
      status: "failed",
      error: { code: 4001 },
      results: { display_name: { status: "succeeded" }, group_chat_icon: { status: "failed", error_code: 4001 } },
    });
    expect(world.publisher.published).toMatchObject([{ trace_id: traceId, status: "failed" }]);
    expect(world.store.chatChanges()).toEqual([]);
  });

  it("succeed only when both success events have arrived, publishing once", async () => {
    const traceId = await requestUpdate({ display_name: "Team", group_chat_icon: ICON });

    await world.deliver(groupNameUpdated(CHAT, "Team"));
    expect(await statusOf(traceId)).toBe("pending");
    expect(world.publisher.published).toEqual([]);

    await world.deliver(groupIconUpdated(CHAT, ICON));
    expect(await statusOf(traceId)).toBe("succeeded");
    expect(world.publisher.published).toMatchObject([{ trace_id: traceId, status: "succeeded" }]);
  });

  it("read again and decide again when another writer moves the record between read and write", async () => {
    const traceId = await requestUpdate({ display_name: "Team", group_chat_icon: ICON });
    const save = world.store.save.bind(world.store);
    let raced = false;
    world.store.save = async (next, expectedVersion, deliveryId) => {
      if (!raced) {
        raced = true;
        await world.deliver(groupIconUpdated(CHAT, ICON)); // lands between the name event's read and its write
      }
      return save(next, expectedVersion, deliveryId);
    };

    await world.deliver(groupNameUpdated(CHAT, "Team"));

    const record = await world.store.get(CHAT, traceId);
    expect(record).toMatchObject({
      status: "succeeded",
      results: { display_name: { status: "succeeded" }, group_chat_icon: { status: "succeeded" } },
    });
    expect(world.publisher.published).toMatchObject([{ trace_id: traceId, status: "succeeded" }]);
  });
});

describe("one outcome event per operation", () => {
  it("a part recorded after the outcome, while that outcome is still unpublished, does not publish it again", async () => {
    const traceId = await requestUpdate({ display_name: "Team", group_chat_icon: ICON });
    // The name fails: the operation is failed, but PutEvents fails too, leaving the outbox mark for the reconciler.
    world.publisher.failNext();
    expect(await world.deliver(groupNameUpdateFailed(CHAT, 4001))).toMatchObject({ result: "settled" });
    expect(world.publisher.published).toEqual([]);

    // The icon's success arrives later: recorded, but it is not this write's outcome to publish.
    await world.deliver(groupIconUpdated(CHAT, ICON));
    expect(world.publisher.published).toEqual([]);
    expect((await world.store.get(CHAT, traceId))?.results.group_chat_icon?.status).toBe("succeeded");
    expect((await world.store.get(CHAT, traceId))?.outbox_since).toBeDefined();
  });
});

describe("participant.removed", () => {
  it("settles the pending removal of that chat and handle, whatever the handle's spelling", async () => {
    world.linq.answerRemoveParticipant({ message: "queued", status: "accepted", trace_id: "linq-a" });
    world.linq.answerRemoveParticipant({ message: "queued", status: "accepted", trace_id: "linq-b" });
    const a = await requestRemoval("+15551234567");
    const b = await requestRemoval("carol@example.com");

    const settlement = await world.deliver(participantRemoved(CHAT, "Carol@Example.COM"));

    expect(settlement).toMatchObject({ result: "settled", record: { trace_id: b } });
    expect([await statusOf(a), await statusOf(b)]).toEqual(["pending", "succeeded"]);
    expect(world.publisher.published).toMatchObject([{ trace_id: "linq-b", status: "succeeded" }]);
  });

  it("reads a phone handle with separators as the same participant", async () => {
    const traceId = await requestRemoval("+15551234567");

    await world.deliver(participantRemoved(CHAT, "+1 (555) 123-4567"));

    expect(await statusOf(traceId)).toBe("succeeded");
  });

  it("reads the deprecated top-level handle of older accounts", async () => {
    const traceId = await requestRemoval("+15551234567");

    await world.deliver(participantRemovedDeprecated(CHAT, "+15551234567"));

    expect(await statusOf(traceId)).toBe("succeeded");
  });

  it("records the removal of a participant nobody asked to remove against the chat", async () => {
    const traceId = await requestRemoval("+15551234567");

    expect(await world.deliver(participantRemoved(CHAT, "+15559999999"))).toEqual({ result: "recorded-against-chat" });
    expect(await statusOf(traceId)).toBe("pending");
  });
});

describe("a redelivered webhook (same webhook-id)", () => {
  it("has one effect: a duplicate chat.group_name_updated does NOT settle a second pending update with the same value", async () => {
    const first = await requestUpdate({ display_name: "Team" });
    const second = await requestUpdate({ display_name: "Team" });
    const body = groupNameUpdated(CHAT, "Team");

    expect(await world.deliver(body, "msg_1")).toMatchObject({ result: "settled", record: { trace_id: first } });
    expect(await world.deliver(body, "msg_1")).toEqual({ result: "duplicate" });

    expect([await statusOf(first), await statusOf(second)]).toEqual(["succeeded", "pending"]);
    expect(world.publisher.published).toHaveLength(1);
  });

  it("is recorded against the chat once when it matched nothing", async () => {
    const body = groupNameUpdated(CHAT, "Renamed on a phone");

    await world.deliver(body, "msg_1");
    expect(await world.deliver(body, "msg_1")).toEqual({ result: "duplicate" });

    expect(world.store.chatChanges(CHAT)).toHaveLength(1);
  });

  it("of a removal settles it once and publishes once", async () => {
    const traceId = await requestRemoval("+15551234567");
    const body = participantRemoved(CHAT, "+15551234567");

    await world.deliver(body, "msg_1");
    expect(await world.deliver(body, "msg_1")).toEqual({ result: "duplicate" });

    expect(await statusOf(traceId)).toBe("succeeded");
    expect(world.publisher.published).toHaveLength(1);
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
      expect(world.store.chatChanges()).toEqual([]);
    },
  );

  it("ignores a participant.removed that names no chat", async () => {
    const event = readLinqEvent(otherEvent("participant.removed", { handle: "+15551234567" }));
    expect(event).toMatchObject({ type: "ignored" });
  });
});

describe("readLinqEvent", () => {
  function refusedWith(body: unknown): ServiceError {
    try {
      readLinqEvent(body);
    } catch (error) {
      expect(error).toBeInstanceOf(ServiceError);
      return error as ServiceError;
    }
    throw new Error("expected the event to be refused");
  }

  it.each([
    ["a body that is not an object", "chat.group_name_updated"],
    ["an array", []],
    ["no event_type", { event_id: "e1", data: {} }],
    ["no event_id", { event_type: "chat.group_name_updated", data: { chat_id: CHAT } }],
    ["an empty event_id", { event_type: "chat.group_name_updated", event_id: "", data: { chat_id: CHAT } }],
    ["a relevant event without data", { event_type: "chat.group_name_updated", event_id: "e1" }],
    ["data without chat_id", { event_type: "chat.group_name_updated", event_id: "e1", data: { new_value: "x" } }],
    [
      "an error_code that is not an integer",
      { event_type: "chat.group_name_update_failed", event_id: "e1", data: { chat_id: CHAT, error_code: "4001" } },
    ],
    [
      "a timestamp that is not one",
      { event_type: "chat.group_name_updated", event_id: "e1", data: { chat_id: CHAT, updated_at: "yesterday" } },
    ],
    ["a removal naming no handle", { event_type: "participant.removed", event_id: "e1", data: { chat_id: CHAT } }],
    [
      "a removal naming an unreadable handle",
      { event_type: "participant.removed", event_id: "e1", data: { chat_id: CHAT, handle: "nobody" } },
    ],
  ])("refuses %s with a 400 (Linq does not retry it)", (_what, body) => {
    expect(refusedWith(body)).toMatchObject({ status: 400, code: 1003 });
  });

  it("reads the event's own time, falling back to the envelope's", () => {
    const body = groupNameUpdated(CHAT, "Team");
    const { updated_at: _at, ...data } = body.data;
    expect(readLinqEvent({ ...body, data })).toMatchObject({ at: "2026-03-01T12:00:05.000Z" });
    expect(readLinqEvent(groupNameUpdated(CHAT, "Team", { at: "2026-03-01T12:00:09Z" }))).toMatchObject({
      at: "2026-03-01T12:00:09.000Z",
    });
  });

  it("reads the handle of participant.removed normalised, current shape first, deprecated shape too", () => {
    expect(readLinqEvent(participantRemoved(CHAT, "+1 555 123 4567"))).toMatchObject({
      type: "participant.removed",
      chatId: CHAT,
      handle: "+15551234567",
    });
    expect(readLinqEvent(participantRemovedDeprecated(CHAT, "Dave@Example.com"))).toMatchObject({
      type: "participant.removed",
      handle: "dave@example.com",
    });
  });
});
